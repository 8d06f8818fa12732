"""After the event (issue 18, part 2): the events whose harvest is open, and the members' answers.

event-harvest saves each finished event it thanked attendees for (`harvest_events`: its title, times and when
the harvest closes, what the page shows); the harvest page records one answer per event and member
(`harvest_answers`: a rating, a tag, a quote and the member's consent to share it; a replay changes nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, select

from weaver.state.core import StateDB, as_utc, insert_ignore, metadata, upsert

harvest_events = Table(
    "harvest_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("title", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),  # the run (as of its clock) that first thanked
)

harvest_answers = Table(
    "harvest_answers",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("rating", Integer),  # 1..5, or none given
    Column("tag", String(32), nullable=False),
    Column("quote", Text, nullable=False),
    Column("consent", String(16), nullable=False),  # name | anonymous | no
    Column("answered_at", DateTime(timezone=True), nullable=False),
)

_TIMES = ("starts_at", "ends_at", "closes_at", "opened_at")


def save_harvest_events(db: StateDB, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or update each event; an event already there keeps its `opened_at` (when the reminder counts from)."""
    if rows:
        utc = [{k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]
        with db.begin() as conn:  # in UTC: SQLite keeps no zone, and reads give UTC back
            changing = [c for c in rows[0] if c not in ("event_id", "opened_at")]
            upsert(conn, harvest_events, utc, "event_id", update=changing)


def harvest_event(db: StateDB, event_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(harvest_events).where(harvest_events.c.event_id == event_id)).mappings().first()
    return None if row is None else {**row, **{k: as_utc(row[k]) for k in _TIMES}}


def record_answer(db: StateDB, event_id: str, member_id: str, rating: int | None, tag: str, quote: str,
                  consent: str, at: datetime) -> bool:  # fmt: skip
    """Record an answer; False when this member had already answered for this event (nothing changes)."""
    row = {"event_id": event_id, "member_id": member_id, "rating": rating, "tag": tag, "quote": quote,
           "consent": consent, "answered_at": at.astimezone(UTC)}  # fmt: skip
    with db.begin() as conn:
        return bool(conn.execute(insert_ignore(conn, harvest_answers), [row]).rowcount)


def answer_of(db: StateDB, event_id: str, member_id: str) -> dict[str, Any] | None:
    query = select(harvest_answers).where(harvest_answers.c.event_id == event_id,
                                          harvest_answers.c.member_id == member_id)  # fmt: skip
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return None if row is None else {**row, "answered_at": as_utc(row["answered_at"])}


def answers_for(db: StateDB, event_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every answer for these events, oldest first."""
    if not event_ids:
        return []
    query = (
        select(harvest_answers)
        .where(harvest_answers.c.event_id.in_(list(event_ids)))
        .order_by(harvest_answers.c.answered_at, harvest_answers.c.event_id, harvest_answers.c.member_id)
    )
    with db.engine.connect() as conn:
        return [{**r, "answered_at": as_utc(r["answered_at"])} for r in conn.execute(query).mappings()]


def harvest_opened(db: StateDB) -> dict[str, datetime]:
    """event id -> when event-harvest first thanked its attendees (as of that run's clock)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(harvest_events.c.event_id, harvest_events.c.opened_at))
        return {r.event_id: as_utc(r.opened_at) for r in rows}


def all_answers(db: StateDB) -> list[dict[str, Any]]:
    """Every harvest answer, oldest first."""
    query = select(harvest_answers).order_by(harvest_answers.c.answered_at, harvest_answers.c.member_id)
    with db.engine.connect() as conn:
        return [{**r, "answered_at": as_utc(r["answered_at"])} for r in conn.execute(query).mappings()]


def harvest_titles(db: StateDB) -> dict[str, str]:
    with db.engine.connect() as conn:
        return {r.event_id: r.title for r in conn.execute(select(harvest_events.c.event_id, harvest_events.c.title))}
