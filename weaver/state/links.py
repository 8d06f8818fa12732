"""Uses of personal links: the first use of a token is recorded, so a replay is recognised, not repeated.

A page that acts once per token (a check-in, a confirmation) calls `first_use`: True means act now; False
means this token was used before, and the page answers with what the first use did (`link_use`). Pages whose
answer may change until a close (a vote) keep their own table and use this one only to count visits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Table, select

from weaver.state.core import StateDB, insert_ignore, members, metadata

link_uses = Table(
    "link_uses",
    metadata,
    Column("id", String(64), primary_key=True),  # Link.id: a hash of the token, never the token
    Column("purpose", String(32), nullable=False, index=True),
    Column("subject", String(64), nullable=False, index=True),
    Column("scope", String(128), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
    Column("outcome", JSON, nullable=False),  # what the first use did (shown again on a replay)
)


def first_use(
    db: StateDB, link_id: str, purpose: str, subject: str, scope: str, at: datetime,
    outcome: Mapping[str, Any] | None = None,
) -> bool:  # fmt: skip
    """Record the first use of a token; False when it was used before (nothing is changed then)."""
    row = {"id": link_id, "purpose": purpose, "subject": subject, "scope": scope, "used_at": at,
           "outcome": dict(outcome or {})}  # fmt: skip
    with db.begin() as conn:
        return bool(conn.execute(insert_ignore(conn, link_uses), [row]).rowcount)


def link_use(db: StateDB, link_id: str) -> dict[str, Any] | None:
    """The recorded first use of a token, or None."""
    with db.engine.connect() as conn:
        row = conn.execute(select(link_uses).where(link_uses.c.id == link_id)).mappings().first()
    return dict(row) if row is not None else None


def uses_of(db: StateDB, purpose: str, scope: str | None = None) -> list[dict[str, Any]]:
    """Every recorded use for a purpose (and scope), oldest first."""
    query = select(link_uses).where(link_uses.c.purpose == purpose).order_by(link_uses.c.used_at)
    if scope is not None:
        query = query.where(link_uses.c.scope == scope)
    with db.engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def member_by_id(db: StateDB, member_id: str) -> dict[str, Any] | None:
    """The member a link is for (active or gone), or None: one indexed lookup."""
    with db.engine.connect() as conn:
        row = conn.execute(select(members).where(members.c.member_id == member_id)).mappings().first()
    return dict(row) if row is not None else None
