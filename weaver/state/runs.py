"""Run leases: each running operation says it is alive, so a run whose process was killed can be told apart.

One row per flow run (Prefect's id), held by the process that runs it and renewed from a background thread
(`weaver.runs.RunLease`); `ended_at` is set when the operation's body is over. The reconciler
(`deployments/reconcile.py`) marks a run Crashed in Prefect once its lease expired.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, Integer, String, Table, func, select

from weaver.state.core import StateDB, as_utc, chunked, ledger, metadata, sync_runs, upsert

run_leases = Table(
    "run_leases",
    metadata,
    Column("flow_run_id", String(64), primary_key=True),
    Column("operation", String(64), nullable=False),
    Column("host", String(64), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)


def hold_run(
    db: StateDB, flow_run_id: str, operation: str, host: str, pid: int, now: datetime, until: datetime
) -> None:
    """Record (or take again, on a retry of the same flow run) a run's lease."""
    row = {"flow_run_id": flow_run_id, "operation": operation, "host": host, "pid": pid, "started_at": now,
           "lease_until": until, "ended_at": None}  # fmt: skip
    with db.begin() as conn:
        upsert(conn, run_leases, [row], "flow_run_id")


def renew_run(db: StateDB, flow_run_id: str, until: datetime) -> None:
    with db.begin() as conn:
        conn.execute(
            run_leases.update()
            .where(run_leases.c.flow_run_id == flow_run_id, run_leases.c.ended_at.is_(None))
            .values(lease_until=until)
        )


def end_run(db: StateDB, flow_run_id: str, now: datetime) -> None:
    with db.begin() as conn:
        conn.execute(run_leases.update().where(run_leases.c.flow_run_id == flow_run_id).values(ended_at=now))


def run_leases_of(db: StateDB, flow_run_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """flow run id -> its lease row (lease_until and ended_at in UTC) for the runs that hold one."""
    found: dict[str, dict[str, Any]] = {}
    with db.engine.connect() as conn:
        for part in chunked(sorted(flow_run_ids), 500):
            for r in conn.execute(select(run_leases).where(run_leases.c.flow_run_id.in_(part))):
                row = dict(r._mapping)
                row["lease_until"] = as_utc(row["lease_until"])
                row["ended_at"] = as_utc(row["ended_at"]) if row["ended_at"] else None
                found[row["flow_run_id"]] = row
    return found


def network_overview(db: StateDB, now: datetime) -> dict[str, Any]:
    """What `weaver networks` shows of one network: its last recorded run (operation, when), how many runs
    hold a live lease now, and how many ledger entries wait for a person (unknown outcomes)."""
    with db.engine.connect() as conn:
        last = conn.execute(
            select(sync_runs.c.flow, sync_runs.c.finished_at).order_by(sync_runs.c.id.desc()).limit(1)
        ).first()
        live = conn.execute(
            select(func.count()).select_from(run_leases)
            .where(run_leases.c.ended_at.is_(None), run_leases.c.lease_until >= now)
        ).scalar_one()  # fmt: skip
        unknown = conn.execute(
            select(func.count()).select_from(ledger).where(ledger.c.status == "unknown")
        ).scalar_one()
    return {
        "last_operation": last.flow if last else None,
        "last_finished": as_utc(last.finished_at) if last and last.finished_at else None,
        "running": int(live),
        "unknown": int(unknown),
    }
