"""Double opt-in for joins: when each join submission was asked to confirm, and whether it did, in time.

One row per join submission (its inbox id) that member-intake asked to confirm. No personal data: the
person's answers stay in the inbox entry until they confirm (then they become a row of the members tab) or the
request expires (then the answers are erased from the inbox). `confirm_join` is what the confirm page does; it
acts once (a replay or a late click confirms nothing) and queues a `confirmed:<entry>` inbox entry, which the
receiver's dispatcher turns into a member-intake run for that join (a new id, so Prefect starts a new run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, select

from weaver.state.core import StateDB, as_utc, chunked, inbox, insert_ignore, metadata

join_confirmations = Table(
    "join_confirmations",
    metadata,
    Column("entry_id", String(256), primary_key=True),  # the join's inbox id
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("expired_at", DateTime(timezone=True)),
)

CONFIRMED_PREFIX = "confirmed:"
LINK_PURPOSE = "confirm-join"  # the personal link of the confirm page: /l/confirm-join/<token>
CONFIRMED, ALREADY, TOO_LATE, UNKNOWN = "confirmed", "already", "too late", "unknown"


def confirmation_marker(entry_id: str) -> str:
    """The inbox id of the entry that says "this join was confirmed" (dispatched like a new submission)."""
    return f"{CONFIRMED_PREFIX}{entry_id}"


def confirmations_of(db: StateDB, entry_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    ids = sorted(set(entry_ids))
    found: dict[str, dict[str, Any]] = {}
    with db.engine.connect() as conn:
        for part in chunked(ids, 500):
            for row in conn.execute(select(join_confirmations).where(join_confirmations.c.entry_id.in_(part))):
                found[row.entry_id] = {k: as_utc(v) if isinstance(v, datetime) else v for k, v in row._mapping.items()}
    return found


def pending_confirmations(db: StateDB) -> list[str]:
    """Joins asked to confirm that neither confirmed nor expired yet (the expiry sweep looks at these)."""
    query = select(join_confirmations.c.entry_id).where(
        join_confirmations.c.confirmed_at.is_(None), join_confirmations.c.expired_at.is_(None)
    )
    with db.engine.connect() as conn:
        return [r.entry_id for r in conn.execute(query.order_by(join_confirmations.c.asked_at))]


def record_asked(db: StateDB, asked: Sequence[tuple[str, datetime, datetime]]) -> None:
    """(entry id, asked at, expires at) for each join whose confirm email went out; an earlier row is kept."""
    rows = [{"entry_id": e, "asked_at": at, "expires_at": until} for e, at, until in asked]
    if rows:
        with db.begin() as conn:
            conn.execute(insert_ignore(conn, join_confirmations), rows)


def confirm_join(db: StateDB, entry_id: str, now: datetime) -> str:
    """The confirm link was used: CONFIRMED (first time, in time), ALREADY, TOO_LATE or UNKNOWN.

    Only a first confirmation in time changes anything: it stamps the row and queues the marker entry that
    starts member-intake for this join, in one transaction.
    """
    table = join_confirmations
    with db.begin() as conn:
        row = conn.execute(select(table).where(table.c.entry_id == entry_id)).first()
        if row is None:
            return UNKNOWN
        if row.confirmed_at is not None:
            return ALREADY
        if row.expired_at is not None or as_utc(row.expires_at) <= now:
            return TOO_LATE
        entry = conn.execute(select(inbox.c.form, inbox.c.provider).where(inbox.c.id == entry_id)).first()
        if entry is None:
            return UNKNOWN
        conn.execute(table.update().where(table.c.entry_id == entry_id).values(confirmed_at=now))
        marker = {"id": confirmation_marker(entry_id), "provider": entry.provider, "form": entry.form,
                  "kind": "join", "payload": {"confirms": entry_id}, "received_at": now, "status": "received",
                  "attempts": 0}  # fmt: skip
        conn.execute(insert_ignore(conn, inbox), [marker])
    return CONFIRMED


def expire_joins(db: StateDB, entry_ids: Sequence[str], at: datetime, detail: str) -> None:
    """Unconfirmed joins past their time: stamped expired, and their inbox entries failed with their answers
    erased (only the id, form, times and `detail` stay), in one transaction."""
    if not entry_ids:
        return
    with db.begin() as conn:
        for part in chunked(list(entry_ids), 500):
            conn.execute(join_confirmations.update().where(join_confirmations.c.entry_id.in_(part))
                         .values(expired_at=at))  # fmt: skip
            conn.execute(inbox.update().where(inbox.c.id.in_(part)).values(status="failed", detail=detail, payload={}))
