"""event-invites' state: each event's sent version, RSVPs, seats, and Google calendars read as a source."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, Text, select

from weaver.state.core import StateDB, as_utc, metadata, upsert, utcnow
from weaver.state.submissions import settle_inbox

# Each event's last-sent version: a changed start, end or place bumps `sequence` (the .ics SEQUENCE).
event_versions = Table(
    "event_versions",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # hash of start, end and place
    Column("status", String(16), nullable=False),  # scheduled | cancelled
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# RSVPs as answered, one row per source so a later answer from either source wins (never the re-read tab).
event_rsvps = Table(
    "event_rsvps",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("source", String(16), primary_key=True),  # tab | inbox
    Column("response", String(8), nullable=False),  # yes | no | maybe
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

# Seats given: a confirmed seat is kept until its holder declines; the waitlist moves up into freed seats.
event_seats = Table(
    "event_seats",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("seat", String(16), nullable=False),  # confirmed | waitlisted | declined
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A Google calendar read as an events source: its events as last listed and the sync token to go on from.
calendar_sync = Table(
    "calendar_sync",
    metadata,
    Column("calendar_id", String(256), primary_key=True),
    Column("sync_token", Text),
    Column("events", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def load_event_versions(db: StateDB) -> dict[str, dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(event_versions))
        return {r.event_id: {**r._mapping, "changed_at": as_utc(r.changed_at)} for r in rows}


def save_event_versions(db: StateDB, rows: Sequence[dict[str, Any]]) -> None:
    with db.begin() as conn:
        upsert(conn, event_versions, list(rows), "event_id")


def load_rsvps(db: StateDB) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(event_rsvps))
        return [{**r._mapping, "submitted_at": as_utc(r.submitted_at)} for r in rows]


def load_seats(db: StateDB) -> dict[tuple[str, str], str]:
    with db.engine.connect() as conn:
        return {(r.event_id, r.member_id): r.seat for r in conn.execute(select(event_seats))}


def save_rsvps(
    db: StateDB,
    rsvps: Sequence[dict[str, Any]],
    seats: Sequence[dict[str, Any]],
    processed: Sequence[str],
    failed: Sequence[tuple[str, str]],
) -> None:
    """Record answers and seats and mark the inbox rows they came from, in one transaction."""
    now = utcnow()
    with db.begin() as conn:
        upsert(conn, event_rsvps, list(rsvps), ["event_id", "member_id", "source"])
        upsert(conn, event_seats, [{**s, "updated_at": now} for s in seats], ["event_id", "member_id"])
        settle_inbox(conn, processed, failed)


def load_calendar_sync(db: StateDB, calendar_id: str) -> tuple[str | None, dict[str, Any]]:
    with db.engine.connect() as conn:
        row = conn.execute(select(calendar_sync).where(calendar_sync.c.calendar_id == calendar_id)).first()
        return (row.sync_token, dict(row.events)) if row else (None, {})


def save_calendar_sync(db: StateDB, calendar_id: str, sync_token: str | None, events: dict[str, Any]) -> None:
    row = {"calendar_id": calendar_id, "sync_token": sync_token, "events": events, "updated_at": utcnow()}
    with db.begin() as conn:
        upsert(conn, calendar_sync, [row], "calendar_id")
