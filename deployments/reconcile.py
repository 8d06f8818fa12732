"""Stuck runs end: a flow run whose process was killed is marked Crashed, freeing its concurrency slot.

Prefect marks a run Crashed when its runner sees the run's process exit; when the runner dies with it (the
machine is lost, the whole `serve` or worker is SIGKILLed) the run stays Running for good and, with a
deployment's concurrency limit of 1, holds the slot and queues every later run of that operation.

Every running operation holds a lease in its network's state database (`weaver/runs.py`). `reconcile` lists
the Running flow runs of our operations for the given workspaces and forces Crashed on each whose lease
expired (its process stopped renewing), or that holds none `grace` after it started (killed before the body
began). Forcing a terminal state releases the run's deployment concurrency slot (Prefect's minimal policy
keeps ReleaseFlowConcurrencySlots); the next run then goes ahead and settles the ledger (the dead run's claims
expire the same way, and its unsent emails become `unknown`).

Why our own reconciler and not Prefect's heartbeat automation: flow-run heartbeats must be more than 30 s
apart and the proactive trigger needs the server's event services; a lease in the state database we already
share gives a tighter, testable bound (one lease plus one interval) against any Prefect server. `serve` runs it
every `interval`; with workers run `weaver reconcile --every 30` beside them (it is idempotent: several may run).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from weaver.ledger import Ledger
from weaver.state import StateDB
from weaver.state.runs import run_leases_of
from weaver.workspace import Workspace

DEFAULT_GRACE = timedelta(minutes=15)
DEFAULT_INTERVAL = 30.0  # seconds between passes inside `serve` (WEAVER_RECONCILE_SECONDS)


def interval_from_env() -> float:
    import os

    raw = os.environ.get("WEAVER_RECONCILE_SECONDS", "")
    try:
        return max(0.5, float(raw)) if raw else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL


@dataclass
class Reconciled:
    crashed: list[tuple[str, str]] = field(default_factory=list)  # (flow run id, why)
    alive: int = 0
    waiting: int = 0  # running without a lease, inside the grace period


def _workspace_of(parameters: dict[str, Any], roots: dict[Path, Workspace]) -> Workspace | None:
    raw = parameters.get("workspace")
    if not raw:
        return None
    path = Path(str(raw)).expanduser().resolve()
    return roots.get(path.parent if path.suffix == ".toml" else path)


def reconcile(workspaces: Sequence[Workspace], grace: timedelta = DEFAULT_GRACE) -> Reconciled:
    """One pass: Crashed for every Running run of these workspaces whose owner is gone."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.states import Crashed

    roots = {ws.root.resolve(): ws for ws in workspaces}
    out = Reconciled()
    running = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.RUNNING])))
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=running, limit=200)
        by_ws: dict[Path, list[Any]] = {}
        for run in runs:
            ws = _workspace_of(run.parameters or {}, roots)
            if ws is not None:
                by_ws.setdefault(ws.root.resolve(), []).append(run)
        for root, mine in by_ws.items():
            db = StateDB(roots[root].state_url)
            try:
                now = Ledger(db, "reconcile").now()
                leases = run_leases_of(db, [str(r.id) for r in mine])
            finally:
                db.close()
            for run in mine:
                why = _why_crashed(leases.get(str(run.id)), run.start_time, now, grace)
                if why is None:
                    out.alive += str(run.id) in leases
                    out.waiting += str(run.id) not in leases
                    continue
                client.set_flow_run_state(run.id, Crashed(message=why), force=True)
                out.crashed.append((str(run.id), why))
    return out


def _why_crashed(lease: dict[str, Any] | None, started: datetime | None, now: datetime, grace: timedelta) -> str | None:
    if lease is None:
        if started is not None and now - started.astimezone(UTC) > grace:
            return f"no sign of life {int(grace.total_seconds())} s after it started: its process is gone"
        return None
    if lease["ended_at"] is not None:  # the body is over; Prefect's final state normally follows at once
        if now - lease["ended_at"] > grace:
            return "its process ended without reporting the run's final state"
        return None
    if lease["lease_until"] < now:
        return f"its process stopped renewing its lease (last until {lease['lease_until']:%Y-%m-%d %H:%M:%S} UTC)"
    return None


class ReconcileLoop:
    """`reconcile` every `interval` seconds in a daemon thread (inside `serve`); errors wait for the next pass."""

    def __init__(self, workspaces: Sequence[Workspace], interval: float, grace: timedelta = DEFAULT_GRACE) -> None:
        self.workspaces, self.interval, self.grace = list(workspaces), interval, grace
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="weaver-reconcile", daemon=True)

    def start(self) -> ReconcileLoop:
        self.thread.start()
        return self

    def _loop(self) -> None:
        while True:
            try:
                reconcile(self.workspaces, self.grace)
            except Exception:  # Prefect or the database unreachable for now: the next pass tries again
                pass
            if self._stop.wait(self.interval):
                return

    def stop(self) -> None:
        self._stop.set()
