"""The inbox of form submissions (table `inbox` in the core): stored on receipt, dispatched, consumed by kind.

Webhook receivers and pollers add entries, the dispatcher starts flow runs for them, and the flows that
consume them (member-intake, event-invites, survey-distribution, engagement-review) read and settle them here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from weaver.state.core import StateDB, chunked, inbox, insert_ignore, utcnow

RECEIVED, DISPATCHED, PROCESSED, INBOX_FAILED = "received", "dispatched", "processed", "failed"


def inbox_add(db: StateDB, entry_id: str, provider: str, form: str, kind: str, payload: dict[str, Any]) -> bool:
    """Store a submission as `received`; False when its id is already there (a replay), which changes nothing."""
    row = {"id": entry_id, "provider": provider, "form": form, "kind": kind, "payload": payload,
           "received_at": utcnow(), "status": RECEIVED, "attempts": 0}  # fmt: skip
    with db.begin() as conn:
        return conn.execute(insert_ignore(conn, inbox), row).rowcount == 1


def inbox_waiting(db: StateDB, forms: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
    """Submissions of these forms that no flow run was started for yet, oldest first."""
    query = (
        select(inbox.c.id, inbox.c.form, inbox.c.kind, inbox.c.attempts)
        .where(inbox.c.status == RECEIVED, inbox.c.form.in_(list(forms)))
        .order_by(inbox.c.received_at, inbox.c.id)
        .limit(limit)
    )
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def inbox_entries(
    db: StateDB, kind: str, statuses: Sequence[str] = (RECEIVED, DISPATCHED), ids: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Whole entries of one kind (payload included) for the flow that consumes them, oldest first."""
    query = select(inbox).where(inbox.c.kind == kind, inbox.c.status.in_(list(statuses)))
    if ids:
        query = query.where(inbox.c.id.in_(list(ids)))
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(inbox.c.received_at, inbox.c.id))]


def inbox_rows(db: StateDB, kinds: Sequence[str]) -> list[dict[str, Any]]:
    """Form submissions of the given kinds (id, kind, payload, received_at), oldest first."""
    cols = (inbox.c.id, inbox.c.kind, inbox.c.payload, inbox.c.received_at)
    with db.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(inbox.c.kind.in_(list(kinds))).order_by(inbox.c.received_at))
        return [dict(r._mapping) for r in rows]


def inbox_get(db: StateDB, entry_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(inbox).where(inbox.c.id == entry_id)).first()
        return dict(row._mapping) if row else None


def inbox_mark(db: StateDB, ids: Sequence[str], status: str, detail: str = "", flow_run_id: str | None = None) -> None:
    """Move entries on (dispatched, processed, failed); `detail` must carry no personal data."""
    values: dict[str, Any] = {"status": status, "detail": detail or None}
    if flow_run_id is not None:
        values["flow_run_id"] = flow_run_id
    if status == DISPATCHED:
        values["attempts"] = inbox.c.attempts + 1
    with db.begin() as conn:
        for part in chunked(list(ids), 500):
            conn.execute(inbox.update().where(inbox.c.id.in_(part)).values(**values))


def inbox_note_attempt(db: StateDB, entry_id: str, detail: str) -> None:
    """A dispatch that did not happen (Prefect unreachable): the entry stays `received` for the next try."""
    with db.begin() as conn:
        conn.execute(inbox.update().where(inbox.c.id == entry_id).values(attempts=inbox.c.attempts + 1, detail=detail))


def settle_inbox(
    conn: Connection, processed: Sequence[str], failed: Sequence[tuple[str, str]], detail: str | None = None
) -> None:
    """Mark consumed entries processed (with `detail`) and malformed ones failed (with why), in the caller's
    transaction, so an entry is settled exactly when what was read from it is recorded."""
    for part in chunked(list(processed), 500):
        conn.execute(inbox.update().where(inbox.c.id.in_(part)).values(status=PROCESSED, detail=detail))
    for row_id, reason in failed:
        conn.execute(inbox.update().where(inbox.c.id == row_id).values(status=INBOX_FAILED, detail=reason))
