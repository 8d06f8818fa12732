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
from tests.killed_send import assert_settled_after_a_kill
from tests.postgres import PostgresServer
from tests.processes import Background, prefect_api
from tests.standins.smtp import smtp_server
from weaver.clock import network_clock
from weaver.config import load_config
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


def _flow_run_process(run_id: str, timeout: float = 120) -> int:
    """The pid of the process running this flow run (Prefect hands it the run's id in its environment)."""
    needle = f"PREFECT__FLOW_RUN_ID={run_id}".encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and needle in (entry / "environ").read_bytes().split(b"\0"):
                    return int(entry.name)
            except OSError:
                continue
        time.sleep(0.5)
    raise AssertionError(f"no process runs flow run {run_id}")


def _ancestors(pid: int) -> set[int]:
    found = set()
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
        found.add(pid)
    return found


CRASH_NAME, CRASH_POOL = "killed-worker", "weaver-killed-worker"  # this test's own deployment and pool
LEASE, INTERVAL, BOUND = 5, 1, 90.0  # claim and run leases (s), reconciler interval (s), kill -> Crashed (s)


def test_a_killed_worker_s_run_is_crashed_and_the_next_run_settles_on_postgresql(
    tmp_path: Path, prefect_server: PrefectServer, postgres: PostgresServer
) -> None:
    """Two workers, PostgreSQL state: the worker running onboarding is SIGKILLed with its flow run mid-send
    (a machine lost: nobody reports), the reconciler marks the run Crashed within the bound, which frees the
    deployment's slot; the next run, on the other worker, completes; every email once, the held one unknown."""
    import signal
    import threading

    from tests.standins.smtp import Received

    holding, release = threading.Event(), threading.Event()

    def hold_first(_received: Received) -> None:
        if not holding.is_set():
            holding.set()
            release.wait(300)

    url = postgres.database("killed")
    with smtp_server() as (recorder, port):
        ws = create_workspace(tmp_path / "ws", today=network_clock("Asia/Shanghai").today)
        config = ws / "weaver.toml"
        text = config.read_text(encoding="utf-8")
        text = re.sub(r'(?m)^backend = "outbox".*$', f'backend = "smtp"\nhost = "127.0.0.1"\nport = {port}\n'
                      'security = "none"', text)  # fmt: skip
        text = re.sub(r"(?m)^approval_threshold = \d+", "approval_threshold = 100000", text)
        text = text.replace('[deployments]\nname = "demo"', f'[deployments]\nname = "{CRASH_NAME}"')
        config.write_text(text + f'\n[state]\nurl = "{url}"\n', encoding="utf-8")
        project = tmp_path / "project"
        project.mkdir()
        for name in ("flows", "tasks", "connectors", "deployments", "weaver", "templates", "demo"):
            (project / name).symlink_to(ROOT / name)
        os.rename(ws, project / "network")
        ws = project / "network"
        quick = {"PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "5"}
        env = prefect_server.env(PYTHONPATH=str(project), WEAVER_CLAIM_LEASE_SECONDS=str(LEASE), **quick)
        env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
        Background([sys.executable, "-c", SYNC, str(ws)], env, tmp_path / "sync.log").finish("member-sync")
        for i, command in enumerate([
            f"python -m deployments.project -c network --workspace network --only onboarding --pool {CRASH_POOL}"
            " > prefect.yaml",
            f"prefect work-pool create {CRASH_POOL} --type process",
            "prefect --no-prompt deploy --all",
        ]):  # fmt: skip
            Background(["bash", "-c", command], env, tmp_path / f"setup-{i}.log", cwd=project).finish(command, 600)
        start = ["prefect", "worker", "start", "--pool", CRASH_POOL, "--name"]
        workers = {
            n: Background([*start, n], env, tmp_path / f"{n}.log", cwd=project) for n in ("worker-a", "worker-b")
        }
        reconciler = Background(["bash", "-c", f"weaver reconcile -c network --every {INTERVAL}"], env,
                                tmp_path / "reconcile.log", cwd=project)  # fmt: skip
        recorder.on_data = hold_first
        try:
            deployment = api(prefect_server, "GET", f"/deployments/name/onboarding/{CRASH_NAME}")
            assert deployment["work_pool_name"] == CRASH_POOL and deployment["global_concurrency_limit"]["limit"] == 1
            dead = api(prefect_server, "POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"]
            assert holding.wait(300), "\n".join(w.tail() for w in workers.values())
            pid = _flow_run_process(dead)
            [(victim, worker)] = [(n, w) for n, w in workers.items() if w.proc.pid in _ancestors(pid)]
            os.kill(pid, signal.SIGKILL)  # the run's process and its worker: the machine is lost, nobody reports
            os.killpg(worker.proc.pid, signal.SIGKILL)
            worker.proc.wait(30)
            killed_at = time.monotonic()
            release.set()
            recorder.on_data = None
            assert api(prefect_server, "GET", f"/flow_runs/{dead}")["state_type"] == "RUNNING"
            held_key = recorder.messages[0].key

            after = api(prefect_server, "POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"]
            crashed = finished(prefect_server, dead, timeout=BOUND)
            took = time.monotonic() - killed_at
            assert crashed["state_type"] == "CRASHED" and "lease" in crashed["state"]["message"], reconciler.tail()
            done = finished(prefect_server, after)
            survivor = next(w for n, w in workers.items() if n != victim)
            assert done["state_type"] == "COMPLETED", survivor.tail()
            assert done["start_time"] >= crashed["state"]["timestamp"]  # it waited for the slot the dead run held
            print(f"workers: {victim}'s run crashed {took:.1f} s after the kill; the next run completed")
        finally:
            release.set()
            for process in (*workers.values(), reconciler):
                process.stop()

        db = StateDB(url)
        assert_settled_after_a_kill(recorder, db, held_key, load_config(ws / "weaver.toml").mail.connections)
        db.close()
