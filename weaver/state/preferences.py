"""Members' own mail preferences, set on the preference page of their personal link (`/l/unsubscribe/...`).

One row per member who changed something: the topics they turned off (newsletter, events, surveys,
introductions) and the language they chose. The delivery path reads `topics_off` in its central consent check
(a message of a topic the member turned off is never sent); unsubscribing from everything is not kept here but
on the suppression list (source "link"), which member-sync carries to the sheet's consent column and Mailchimp.
`synced_at` marks when member-sync last carried a change to the sheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Table, delete, select

from weaver.state.core import StateDB, chunked, metadata, suppressions, upsert

member_preferences = Table(
    "member_preferences",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("topics_off", JSON, nullable=False),  # sorted list of topic names
    Column("language", String(8), nullable=False),  # "" = as in the sheet
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def preferences_of(db: StateDB, member_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """member id -> {"topics_off": [...], "language": ..., "updated_at": ...} for those who set any."""
    found: dict[str, dict[str, Any]] = {}
    with db.engine.connect() as conn:
        for part in chunked(sorted(set(member_ids)), 500):
            rows = conn.execute(select(member_preferences).where(member_preferences.c.member_id.in_(part)))
            found.update({r.member_id: dict(r._mapping) for r in rows})
    return found


def topics_off(db: StateDB) -> dict[str, tuple[str, ...]]:
    """member id -> the topics they turned off, for every member who turned any off (one small table)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(member_preferences.c.member_id, member_preferences.c.topics_off))
        return {r.member_id: tuple(r.topics_off) for r in rows if r.topics_off}


def save_preferences(db: StateDB, member_id: str, topics_off: Sequence[str], language: str, at: datetime) -> None:
    row = {"member_id": member_id, "topics_off": sorted(set(topics_off)), "language": language, "updated_at": at}
    with db.begin() as conn:
        upsert(conn, member_preferences, [row], "member_id")


def suppression_of(db: StateDB, email: str) -> dict[str, Any] | None:
    """The suppression row of one (lowercased) address, or None."""
    with db.engine.connect() as conn:
        row = conn.execute(select(suppressions).where(suppressions.c.email == email)).mappings().first()
    return dict(row) if row is not None else None


def lift_own_unsubscribe(db: StateDB, email: str) -> bool:
    """A member who unsubscribed by their link and subscribes again by it: only their own entry is lifted
    (a bounce, a Mailchimp unsubscribe or a coordinator's entry stays)."""
    with db.begin() as conn:
        gone = conn.execute(
            delete(suppressions).where(suppressions.c.email == email, suppressions.c.source == "link")
        ).rowcount
    return bool(gone)
