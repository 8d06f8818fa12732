"""grant-pipeline's state: what we last wrote into the grants sheet, and each opportunity's stage history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Column, Date, DateTime, String, Table, Text, select

from weaver.state.core import StateDB, metadata, upsert, utcnow

# What we last wrote into each imported opportunity's cells. A sheet cell that no longer equals it was edited
# by a coordinator and is never overwritten; a source key recorded here but gone from the sheet was removed
# by a coordinator and is never imported again.
grant_cells = Table(
    "grant_cells",
    metadata,
    Column("source_key", String(256), primary_key=True),  # "grants.gov:356789", "rss:<feed>:<entry id>"
    Column("field", String(32), primary_key=True),
    Column("value", Text, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
)

# Each opportunity's stage as last seen and since when (stale = unchanged for N days).
grant_stages = Table(
    "grant_stages",
    metadata,
    Column("opp_id", String(64), primary_key=True),
    Column("stage", String(16), nullable=False),
    Column("since", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def grant_written(db: StateDB) -> dict[str, dict[str, str]]:
    """source key -> {field: the value we last wrote}."""
    out: dict[str, dict[str, str]] = {}
    with db.engine.connect() as conn:
        for r in conn.execute(select(grant_cells.c.source_key, grant_cells.c.field, grant_cells.c.value)):
            out.setdefault(r.source_key, {})[r.field] = r.value
    return out


def grant_stage_history(db: StateDB) -> dict[str, tuple[str, date]]:
    """opp id -> (stage, since)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(grant_stages.c.opp_id, grant_stages.c.stage, grant_stages.c.since))
        return {r.opp_id: (r.stage, r.since) for r in rows}


def save_grant_state(
    db: StateDB, written: Sequence[tuple[str, str, str]], stages: Sequence[tuple[str, str, date]]
) -> None:
    """Record cells we wrote (source key, field, value) and stages seen (opp id, stage, since), at once."""
    now = utcnow()
    cells = [{"source_key": k, "field": f, "value": v, "written_at": now} for k, f, v in written]
    seen = [{"opp_id": o, "stage": s, "since": d, "updated_at": now} for o, s, d in stages]
    with db.begin() as conn:
        upsert(conn, grant_cells, cells, ("source_key", "field"))
        upsert(conn, grant_stages, seen, "opp_id")
