"""Bounces read from the bounce mailbox: one row per failed recipient of a delivery-status notification.

`dsn_id` (the notification's Message-ID) is the key, so a notification read twice (a rerun, a renumbered
folder) is recorded once. Soft bounces are counted per address over distinct messages (`ledger_key`), so a
"delayed" notice followed by a "failed" one for the same email counts once. Also the ledger's recent
emails (key, member, address, subject), for mapping a VERP token back to its message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, func, select

from weaver.state.core import StateDB, chunked, insert_ignore, ledger, metadata, save_cursor, suppressions

bounces = Table(
    "bounces",
    metadata,
    Column("dsn_id", String(256), primary_key=True),
    Column("email", String(320), nullable=False, index=True),  # lowercased, as the suppression list keeps it
    Column("member_id", String(64)),  # None for staff mail
    Column("ledger_key", String(512), nullable=False),
    Column("kind", String(8), nullable=False),  # hard | soft
    Column("status", String(16), nullable=False),  # "5.1.1", or "" when the notification gave none
    Column("diagnostic", String(320), nullable=False),  # addresses masked
    Column("received_at", DateTime(timezone=True), nullable=False),
)


def recorded_dsn_ids(db: StateDB, ids: Iterable[str]) -> set[str]:
    found: set[str] = set()
    with db.engine.connect() as conn:
        for part in chunked(sorted(set(ids)), 500):
            found |= set(conn.execute(select(bounces.c.dsn_id).where(bounces.c.dsn_id.in_(part))).scalars())
    return found


def soft_messages(db: StateDB, emails: Iterable[str]) -> dict[str, set[str]]:
    """email -> the ledger keys of its soft bounces recorded so far."""
    found: dict[str, set[str]] = {}
    with db.engine.connect() as conn:
        for part in chunked(sorted(set(emails)), 500):
            rows = conn.execute(
                select(bounces.c.email, bounces.c.ledger_key).where(bounces.c.kind == "soft", bounces.c.email.in_(part))
            )
            for r in rows:
                found.setdefault(r.email, set()).add(r.ledger_key)
    return found


def record_bounces(
    db: StateDB, rows: Sequence[dict[str, Any]], suppress: Sequence[dict[str, Any]], cursor: tuple[str, str] | None
) -> None:
    """The run's bounces, the addresses to suppress and the mailbox cursor, in one transaction."""
    with db.begin() as conn:
        if rows:
            conn.execute(insert_ignore(conn, bounces), list(rows))
        if suppress:
            conn.execute(insert_ignore(conn, suppressions), list(suppress))
        if cursor is not None:
            save_cursor(conn, *cursor)


def bounce_counts(db: StateDB) -> dict[str, int]:
    """kind -> how many bounces are recorded (for reports and tests)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(bounces.c.kind, func.count()).group_by(bounces.c.kind))
        return {r[0]: int(r[1]) for r in rows}


def recent_emails(db: StateDB, since: datetime) -> list[dict[str, Any]]:
    """Ledger emails created since `since`: key, member_id, to_email, to_name, subject, purpose.

    Only these fields of the payload are read (not the bodies); an entry whose payload was dropped (retention)
    gives its key alone.
    """
    payload = ledger.c.payload
    fields = ("member_id", "to_email", "to_name", "subject", "purpose")
    columns = [payload[f].as_string().label(f) for f in fields]
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.key, *columns).where(ledger.c.kind == "email", ledger.c.created_at >= since)
        )
        return [dict(r._mapping) for r in rows]
