"""Dot votes on event ideas: the round as its page shows it, and one allocation of dots per member and round.

An allocation is a row keyed by (round, member) holding {idea id: dots}; voting again replaces it until the
round closes. The snapshot (ideas, dots, close) is written by the event-ideas operation when it sends links.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Table, select

from weaver.state.core import StateDB, metadata, upsert

idea_rounds = Table(
    "idea_rounds",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("snapshot", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

idea_votes = Table(
    "idea_votes",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("dots", JSON, nullable=False),  # {idea id: dots}
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def save_idea_round(db: StateDB, round_id: str, snapshot: Mapping[str, Any], at: datetime) -> None:
    with db.begin() as conn:
        upsert(conn, idea_rounds, [{"round_id": round_id, "snapshot": dict(snapshot), "updated_at": at}], "round_id")


def load_idea_round(db: StateDB, round_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        found = conn.execute(select(idea_rounds.c.snapshot).where(idea_rounds.c.round_id == round_id)).scalar()
    return dict(found) if found is not None else None


def save_dots(db: StateDB, round_id: str, member_id: str, dots: Mapping[str, int], at: datetime) -> None:
    row = {"round_id": round_id, "member_id": member_id, "dots": dict(dots), "updated_at": at}
    with db.begin() as conn:
        upsert(conn, idea_votes, [row], ("round_id", "member_id"))


def dots_of(db: StateDB, round_id: str, member_id: str | None = None) -> list[dict[str, Any]]:
    query = select(idea_votes).where(idea_votes.c.round_id == round_id)
    if member_id is not None:
        query = query.where(idea_votes.c.member_id == member_id)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]
