"""Workers: `prefect deploy` from prefect.yaml onto a process work pool, two `prefect worker start` processes
against a local `prefect server`, the state on PostgreSQL, and several operations at once, one of them also
run by hand beside its deployment: every email once (0 duplicates), every planned one settled (0 lost).
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from demo.build import create_workspace
from tests.conftest import PrefectServer
from tests.deployments.test_growing import section_commands
from tests.postgres import PostgresServer
from tests.processes import Background, prefect_api
from tests.standins.smtp import smtp_server
from weaver.clock import network_clock
from weaver.ledger import Ledger
from weaver.state import StateDB

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SYNC = "import sys\nfrom flows import load_flow\nload_flow('member-sync')(workspace=sys.argv[1])\n"
POOL = "weaver"
OPERATIONS = ("onboarding", "event-invites")


def api(server: PrefectServer, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return prefect_api(server.api_url, method, path, body)


def finished(server: PrefectServer, run_id: str, timeout: float = 600) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = api(server, "GET", f"/flow_runs/{run_id}")
        if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        time.sleep(0.5)
    raise AssertionError(f"flow run {run_id} did not finish in {timeout:.0f} s")


def test_two_workers_and_postgresql_send_each_email_once(
    tmp_path: Path, prefect_server: PrefectServer, postgres: PostgresServer
) -> None:
    url = postgres.database("workers")
    with smtp_server() as (recorder, port):
        ws = create_workspace(tmp_path / "ws", today=network_clock("Asia/Shanghai").today)
        config = ws / "weaver.toml"
        text = config.read_text(encoding="utf-8")
        smtp = f'backend = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"'
        text = re.sub(r'(?m)^backend = "outbox".*$', smtp, text)
        text = re.sub(r"(?m)^approval_threshold = \d+", "approval_threshold = 100000", text)
        config.write_text(text + f'\n[state]\nurl = "{url}"\n', encoding="utf-8")
        # a folder laid out as the README says: this checkout's code, the network, prefect.yaml
        project = tmp_path / "project"
        project.mkdir()
        for name in ("flows", "tasks", "connectors", "deployments", "weaver", "templates", "demo"):
            (project / name).symlink_to(ROOT / name)
        os.rename(ws, project / "demo-network")
        ws = project / "demo-network"
        env = prefect_server.env(PYTHONPATH=str(project), PREFECT_WORKER_QUERY_SECONDS="1",
                                 PREFECT_WORKER_PREFETCH_SECONDS="5")  # fmt: skip
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        Background([sys.executable, "-c", SYNC, str(ws)], env, tmp_path / "sync.log").finish("member-sync")
        everything = section_commands()
        first = everything.index(next(c for c in everything if "deployments.project" in c))
        commands = everything[first : everything.index("weaver reconcile -c demo-network --every 30") + 1]
        workers_and_reconciler = []
        for i, command in enumerate(commands):  # each as written, from the project folder
            log = tmp_path / f"step-{i}.log"
            if command.startswith(("prefect worker start", "weaver reconcile")):
                workers_and_reconciler.append(Background(["bash", "-c", command], env, log, cwd=project))
                continue
            Background(["bash", "-c", command], env, log, cwd=project).finish(command, timeout=600)
        workers = workers_and_reconciler
        try:
            runs = []
            assert sum(c.startswith("prefect worker start") for c in commands) == 2  # two workers
            for operation in OPERATIONS:
                deployment = api(prefect_server, "GET", f"/deployments/name/{operation}/demo")
                assert deployment["work_pool_name"] == POOL
                runs.append(api(prefect_server, "POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"])
            # a coordinator runs onboarding by hand at the same time (outside the deployment's concurrency limit)
            by_hand = ["weaver", "run", "onboarding", "-c", "demo-network"]
            Background(by_hand, env, tmp_path / "by-hand.log", cwd=project).finish("weaver run onboarding", timeout=600)
            states = {run_id: finished(prefect_server, run_id)["state_type"] for run_id in runs}
            assert set(states.values()) == {"COMPLETED"}, "\n".join(w.tail() for w in workers)
        finally:
            for process in workers:
                process.stop()

        delivered = Counter(recorder.keys())
        assert delivered and max(delivered.values()) == 1  # 0 duplicates
        db = StateDB(url)
        emails = {e["key"]: e["status"] for e in Ledger(db, "t").entries(kind="email")}
        db.close()
        assert {k for k, s in emails.items() if s == "done"} == set(delivered)  # every sent one recorded
        assert set(emails.values()) <= {"done", "planned"}  # 0 lost: nothing claimed, unknown or failed
        print(f"workers: {len(delivered)} emails once each across {len(runs)} deployment runs and one by hand")
