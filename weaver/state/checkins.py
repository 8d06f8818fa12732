"""Check-ins by personal link (issue 18, part 4): the events a link may check into, and the check-ins made.

event-invites saves each scheduled event it invited to (`checkin_events`: title and start, what the page
shows); the check-in page records a check-in at once (`event_checkins`, one row per event and member: a
replay changes nothing); the next event-invites run writes the check-ins not yet written to the Attendance
tab in one batch and marks them written (`written_at`), so a rerun writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, Text, select, update

from weaver.state.core import StateDB, as_utc, insert_ignore, members, metadata, upsert

checkin_events = Table(
    "checkin_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("title", Text, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # scheduled | cancelled
)

event_checkins = Table(
    "event_checkins",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("checked_in_at", DateTime(timezone=True), nullable=False),
    Column("written_at", DateTime(timezone=True)),  # into the Attendance tab; null until then
)


def save_checkin_events(db: StateDB, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        with db.begin() as conn:
            upsert(conn, checkin_events, list(rows), "event_id")


def checkin_event(db: StateDB, event_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(checkin_events).where(checkin_events.c.event_id == event_id)).mappings().first()
    if row is None:
        return None
    return {**row, "starts_at": as_utc(row["starts_at"]), "ends_at": as_utc(row["ends_at"])}


def record_checkin(db: StateDB, event_id: str, member_id: str, at: datetime) -> bool:
    """Record a check-in; False when this member had already checked in to this event (nothing changes)."""
    row = {"event_id": event_id, "member_id": member_id, "checked_in_at": at, "written_at": None}
    with db.begin() as conn:
        return bool(conn.execute(insert_ignore(conn, event_checkins), [row]).rowcount)


def checkin_of(db: StateDB, event_id: str, member_id: str) -> dict[str, Any] | None:
    query = select(event_checkins).where(event_checkins.c.event_id == event_id, event_checkins.c.member_id == member_id)
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def pending_checkins(db: StateDB) -> list[dict[str, Any]]:
    """Check-ins not yet written to the Attendance tab, oldest first."""
    query = (
        select(event_checkins)
        .where(event_checkins.c.written_at.is_(None))
        .order_by(event_checkins.c.checked_in_at, event_checkins.c.event_id, event_checkins.c.member_id)
    )
    with db.engine.connect() as conn:
        return [{**r, "checked_in_at": as_utc(r["checked_in_at"])} for r in conn.execute(query).mappings()]


def mark_written(db: StateDB, pairs: Sequence[tuple[str, str]], at: datetime) -> None:
    with db.begin() as conn:
        for event_id, member_id in pairs:
            conn.execute(
                update(event_checkins)
                .where(event_checkins.c.event_id == event_id, event_checkins.c.member_id == member_id)
                .values(written_at=at)
            )


def checkins_for(db: StateDB, event_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every check-in to these events (written to the Attendance tab or not), oldest first."""
    if not event_ids:
        return []
    query = (
        select(event_checkins)
        .where(event_checkins.c.event_id.in_(list(event_ids)))
        .order_by(event_checkins.c.checked_in_at, event_checkins.c.event_id, event_checkins.c.member_id)
    )
    with db.engine.connect() as conn:
        return [{**r, "checked_in_at": as_utc(r["checked_in_at"])} for r in conn.execute(query).mappings()]


def active_member_by_email(db: StateDB, email: str) -> dict[str, Any] | None:
    """The active member with this (normalised) address, for a walk-in at the door; None when there is none."""
    query = select(members).where(members.c.email == email, members.c.status == "active")
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None
