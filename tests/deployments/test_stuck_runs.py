"""Stuck runs end: a flow run whose whole `serve` was SIGKILLed mid-send is marked Crashed within a bound,
its concurrency slot is freed, and the next run goes ahead and settles the ledger (each email once at most).

Processes: the session's `prefect server start`, two `python -m deployments.serve` one after the other (the
first killed with SIGKILL, its flow run with it), and a real SMTP server (aiosmtpd) on loopback that holds the
first message until the kill. The run lease and the claims' lease are 2 s, the reconciler passes every 1 s.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from demo.build import create_workspace
from tests.conftest import PrefectServer
from tests.killed_send import assert_settled_after_a_kill
from tests.processes import Background, http_ok, prefect_api
from tests.standins.smtp import Received, smtp_server
from weaver.clock import network_clock
from weaver.config import load_config
from weaver.state import StateDB

pytestmark = pytest.mark.e2e

NAME = "stuck-runs"  # the deployment name of this test's network
SYNC = "import sys\nfrom flows import load_flow\nload_flow('member-sync')(workspace=sys.argv[1])\n"
LEASE, INTERVAL = 2, 1
BOUND = 90.0  # seconds from the kill to Crashed: a new serve's start-up, then one lease plus one interval


def api(server: PrefectServer, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return prefect_api(server.api_url, method, path, body)


def wait_state(server: PrefectServer, run_id: str, states: set[str], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(server, "GET", f"/flow_runs/{run_id}")
        if run["state_type"] in states:
            return run
        time.sleep(0.25)
    raise AssertionError(f"flow run {run_id} not in {states} after {timeout:.0f} s: {run['state_type']}")


def smtp_workspace(root: Path, port: int) -> Path:
    ws = create_workspace(root, today=network_clock("Asia/Shanghai").today)
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(
        r'(?m)^backend = "outbox".*$', f'backend = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"', text
    )
    text = re.sub(r"(?m)^approval_threshold = \d+", "approval_threshold = 100000", text)
    # its own deployments: the session's server also runs other tests' `<flow>/demo`, whose slots are not ours
    text = re.sub(r'(?m)^(\[deployments\]\nname = )"demo"', rf'\1"{NAME}"', text)
    config.write_text(text, encoding="utf-8")
    return ws


def test_a_killed_run_is_crashed_its_slot_freed_and_the_next_run_settles(
    tmp_path: Path, prefect_server: PrefectServer
) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold_first(_received: Received) -> None:
        if not holding.is_set():
            holding.set()
            release.wait(300)  # the sender waits for our answer, and is killed meanwhile

    with smtp_server() as (recorder, port):
        ws = smtp_workspace(tmp_path / "ws", port)
        env = prefect_server.env(PREFECT_RUNNER_POLL_FREQUENCY="1", WEAVER_CLAIM_LEASE_SECONDS=str(LEASE),
                                 WEAVER_RECONCILE_SECONDS=str(INTERVAL))  # fmt: skip
        Background([sys.executable, "-c", SYNC, str(ws)], env, ws / "sync.log").finish("member-sync")
        recorder.on_data = hold_first
        serve_args = [sys.executable, "-m", "deployments.serve", "-c", str(ws)]
        first = Background(serve_args, env, ws / "serve-1.log")
        second: Background | None = None
        try:
            url = f"{prefect_server.api_url}/deployments/name/onboarding/{NAME}"
            first.wait_for(lambda: http_ok(url), "serve", timeout=300)
            deployment = api(prefect_server, "GET", f"/deployments/name/onboarding/{NAME}")
            assert deployment["global_concurrency_limit"]["limit"] == 1
            dead = api(prefect_server, "POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"]
            assert holding.wait(300), first.tail()
            os.killpg(first.proc.pid, signal.SIGKILL)  # serve and the run's process: nobody left to report
            first.proc.wait(30)
            killed_at = time.monotonic()
            release.set()
            recorder.on_data = None
            assert api(prefect_server, "GET", f"/flow_runs/{dead}")["state_type"] == "RUNNING"
            held_key = recorder.messages[0].key

            second = Background(serve_args, env, ws / "serve-2.log")
            after = api(prefect_server, "POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"]
            crashed = wait_state(prefect_server, dead, {"CRASHED"}, BOUND)
            print(f"crashed {time.monotonic() - killed_at:.1f} s after the kill (a new serve started, reconciling)")
            assert "lease" in crashed["state"]["message"]
            done = wait_state(prefect_server, after, {"COMPLETED", "FAILED", "CRASHED"}, 300)
            assert done["state_type"] == "COMPLETED", second.tail()
            assert done["start_time"] >= crashed["state"]["timestamp"]  # it waited for the slot the dead run held
        finally:
            release.set()
            for process in (first, second):
                if process is not None:
                    process.stop()

        db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
        assert_settled_after_a_kill(recorder, db, held_key, load_config(ws / "weaver.toml").mail.connections)
