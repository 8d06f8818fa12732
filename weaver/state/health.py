"""What the health digest reads of a network's state: the facts that may need a person.

Read-only. Every accessor takes the state database and returns plain data (UTC datetimes); the digest's
plan (tasks/health_digest/) decides what is worth telling. Tables another part of the project may add later
(a `bounces` table) are read only when they exist, so an older database is never an error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import MetaData, Table, func, inspect, select

from weaver.state.core import StateDB, as_utc, ledger, members, metadata, suppressions, sync_runs


def unknown_outcomes(db: StateDB) -> list[dict[str, Any]]:
    """Ledger entries whose outcome is unknown (a person checks and resends or settles them): oldest first."""
    cols = (ledger.c.key, ledger.c.kind, ledger.c.flow, ledger.c.detail, ledger.c.updated_at)
    query = select(*cols).where(ledger.c.status == "unknown").order_by(ledger.c.updated_at)
    with db.engine.connect() as conn:
        return [dict(r._mapping) | {"updated_at": as_utc(r.updated_at)} for r in conn.execute(query)]


def suppressions_since(db: StateDB, since: datetime) -> list[dict[str, Any]]:
    """Addresses put on the suppression list at or after `since` (reason, source, when, the member's name
    when the address is a member's): bounces, unsubscribes, Mailchimp cleans, a coordinator's requests."""
    query = (
        select(suppressions.c.email, suppressions.c.reason, suppressions.c.source, suppressions.c.created_at)
        .where(suppressions.c.created_at >= since)
        .order_by(suppressions.c.created_at)
    )
    with db.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        emails = sorted({r["email"] for r in rows})
        names: dict[str, str] = {}
        if emails:
            found = conn.execute(select(members.c.email, members.c.fields).where(members.c.email.in_(emails[:500])))
            names = {r.email: str((r.fields or {}).get("name") or "") for r in found}
    return [
        {"reason": r["reason"], "source": r["source"], "created_at": as_utc(r["created_at"]),
         "name": names.get(r["email"], "")}
        for r in rows
    ]  # fmt: skip


def bounces_since(db: StateDB, since: datetime) -> int | None:
    """Rows of a `bounces` table (bounce reports as they arrive) at or after `since`; None when the database
    has no such table or it carries no time column we know."""
    if not inspect(db.engine).has_table("bounces"):
        return None
    table = metadata.tables.get("bounces")
    if table is None:
        table = Table("bounces", MetaData(), autoload_with=db.engine)
    column = next((table.c[n] for n in ("received_at", "created_at", "bounced_at", "at") if n in table.c), None)
    if column is None:
        return None
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(column >= since)).scalar_one())


def last_finished(db: StateDB) -> dict[str, datetime]:
    """operation -> when its last recorded run finished (runs the approval gate held back are not recorded)."""
    query = select(sync_runs.c.flow, func.max(sync_runs.c.finished_at)).group_by(sync_runs.c.flow)
    with db.engine.connect() as conn:
        return {flow: as_utc(at) for flow, at in conn.execute(query) if at is not None}
