"""Onboarding's state: the newcomer records it keeps in the ledger (each newcomer's buddy, and since when).

Onboarding has no table of its own: a pairing is a ledger action (`onboarding:newcomer:<id>`), written
before any email names the buddy, so a rerun never changes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from weaver.state.core import StateDB, as_utc, ledger


def newcomer_records(db: StateDB, prefix: str) -> list[dict[str, Any]]:
    """Ledger entries whose key starts with `prefix` (taken literally): key, payload and created_at (UTC)."""
    query = select(ledger.c.key, ledger.c.payload, ledger.c.created_at).where(
        ledger.c.key.startswith(prefix, autoescape=True)
    )
    with db.engine.connect() as conn:
        return [{"key": r.key, "payload": r.payload, "created_at": as_utc(r.created_at)} for r in conn.execute(query)]
