"""Decision rounds: each round as its participants' page shows it, and one response per member and round.

A response is a row keyed by (proposal, member): answering again replaces it (changeable until the round
closes; the page refuses after). The round's snapshot (titles, texts, kind, options, close) is written by the
decision-rounds operation when it sends the links, so the page never reads the spreadsheet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Table, Text, select

from weaver.state.core import StateDB, as_utc, metadata, upsert

decision_rounds = Table(
    "decision_rounds",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("snapshot", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

decision_responses = Table(
    "decision_responses",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("choice", String(200), nullable=False),
    Column("comment", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def save_rounds(db: StateDB, snapshots: Mapping[str, Mapping[str, Any]], at: datetime) -> None:
    rows = [{"proposal_id": pid, "snapshot": dict(s), "updated_at": at} for pid, s in snapshots.items()]
    with db.begin() as conn:
        upsert(conn, decision_rounds, rows, "proposal_id")


def load_round(db: StateDB, proposal_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(decision_rounds.c.snapshot).where(decision_rounds.c.proposal_id == proposal_id))
        found = row.scalar()
    return dict(found) if found is not None else None


def save_response(db: StateDB, proposal_id: str, member_id: str, choice: str, comment: str, at: datetime) -> None:
    """The member's answer for the round, replacing an earlier one."""
    row = {"proposal_id": proposal_id, "member_id": member_id, "choice": choice, "comment": comment,
           "updated_at": at}  # fmt: skip
    with db.begin() as conn:
        upsert(conn, decision_responses, [row], ("proposal_id", "member_id"))


def responses(db: StateDB, proposal_ids: Iterable[str]) -> list[dict[str, Any]]:
    ids = list(proposal_ids)
    if not ids:
        return []
    with db.engine.connect() as conn:
        rows = conn.execute(select(decision_responses).where(decision_responses.c.proposal_id.in_(ids)))
        return [{**dict(r._mapping), "updated_at": as_utc(r.updated_at)} for r in rows]


def response_of(db: StateDB, proposal_id: str, member_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(decision_responses).where(
                decision_responses.c.proposal_id == proposal_id, decision_responses.c.member_id == member_id
            )
        ).first()
    return dict(row._mapping) if row is not None else None
