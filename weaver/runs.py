"""A running operation's lease: proof of life in the state database, renewed while the run's process lives.

`RunLease.hold(db, flow_run_id, operation)` records the lease and renews it every third of its length from a
daemon thread; `end()` stops renewing and marks the run's body over. When the process is killed (SIGKILL,
a machine lost), renewals stop and the lease expires: the reconciler (`weaver reconcile`, and `serve` itself)
then marks the run Crashed in Prefect, which frees its concurrency slot, and the next run settles the ledger
(the dead run's claims expire the same way). The lease length is the claims' (`WEAVER_CLAIM_LEASE_SECONDS`,
default 60 s), so a killed run is Crashed within one lease plus one reconcile interval.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from weaver.ledger import Ledger, default_lease
from weaver.state import StateDB
from weaver.state.runs import end_run, hold_run, renew_run


class RunLease:
    def __init__(self, db: StateDB, flow_run_id: str, operation: str, lease: timedelta | None = None) -> None:
        self.db = db
        self.flow_run_id = flow_run_id
        self.operation = operation
        self.lease = lease if lease is not None else default_lease()
        self._clock = Ledger(db, operation, run_id=flow_run_id, lease=self.lease)  # the database's time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def hold(cls, db: StateDB, flow_run_id: str, operation: str, lease: timedelta | None = None) -> RunLease:
        held = cls(db, flow_run_id, operation, lease)
        now = held._clock.now()
        hold_run(db, flow_run_id, operation, socket.gethostname()[:64], os.getpid(), now, now + held.lease)
        held._thread = threading.Thread(target=held._keep, name=f"run-lease-{operation}", daemon=True)
        held._thread.start()
        return held

    def _keep(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            try:
                renew_run(self.db, self.flow_run_id, self._clock.now() + self.lease)
            except Exception:  # retried at the next tick; a long outage lets the lease lapse, as it should
                continue

    def end(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        end_run(self.db, self.flow_run_id, self._clock.now())
