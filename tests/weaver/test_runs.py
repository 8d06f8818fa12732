"""Run leases, on SQLite and on PostgreSQL: held and renewed while the run lives, ended with its body."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from deployments.reconcile import _why_crashed
from weaver.runs import RunLease
from weaver.state import StateDB
from weaver.state.runs import run_leases_of


def test_a_lease_is_renewed_while_its_run_lives_and_ended_with_it(state_db: StateDB) -> None:
    lease = RunLease.hold(state_db, "run-1", "newsletter", lease=timedelta(seconds=0.6))
    first = run_leases_of(state_db, ["run-1"])["run-1"]
    deadline = time.monotonic() + 30
    while run_leases_of(state_db, ["run-1"])["run-1"]["lease_until"] == first["lease_until"]:
        assert time.monotonic() < deadline, "the lease was never renewed"
        time.sleep(0.05)
    lease.end()
    ended = run_leases_of(state_db, ["run-1"])["run-1"]
    assert ended["operation"] == "newsletter" and ended["ended_at"] is not None and ended["pid"] > 0
    assert run_leases_of(state_db, ["run-2"]) == {}


NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
GRACE = timedelta(minutes=15)


def lease(until: datetime, ended: datetime | None = None) -> dict[str, object]:
    return {"lease_until": until, "ended_at": ended}


def test_which_runs_are_crashed() -> None:
    assert _why_crashed(lease(NOW + timedelta(seconds=5)), NOW, NOW, GRACE) is None  # alive
    assert "stopped renewing" in (_why_crashed(lease(NOW - timedelta(seconds=1)), NOW, NOW, GRACE) or "")
    assert _why_crashed(None, NOW - timedelta(minutes=1), NOW, GRACE) is None  # starting
    assert "no sign of life" in (_why_crashed(None, NOW - timedelta(minutes=16), NOW, GRACE) or "")
    assert _why_crashed(lease(NOW, ended=NOW - timedelta(seconds=2)), NOW, NOW, GRACE) is None  # finishing
    assert "ended without" in (_why_crashed(lease(NOW, ended=NOW - timedelta(minutes=20)), NOW, NOW, GRACE) or "")
