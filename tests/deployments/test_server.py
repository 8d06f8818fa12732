"""The local Prefect server: started once by the first `weaver run`, reused by the next, stopped on request."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deployments import server
from tests.processes import Background, free_port, http_ok


def test_our_prefect_settings_fill_gaps_and_respect_the_users() -> None:
    env: dict[str, str] = {"PREFECT_HOME": "/somewhere/else"}
    server.configure_environment(env)
    assert env["PREFECT_HOME"] == "/somewhere/else"
    assert env["DO_NOT_TRACK"] == "1" and env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    env = {}
    server.configure_environment(env)
    assert env["PREFECT_HOME"] == str(Path(server.__file__).resolve().parent.parent / ".prefect")  # = make's


def test_the_servers_own_settings_batch_the_task_run_recorder_and_respect_the_users() -> None:
    env: dict[str, str] = {"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "7"}
    server.server_environment(env)
    assert env == {
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "7",  # the user's value
        "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1",
        "PREFECT_API_LOG_RETRYABLE_ERRORS": "true",
    }


def test_no_server_is_stopped_and_says_so(tmp_path: Path) -> None:
    assert server.status(tmp_path) == (None, "stopped")
    assert server.stop(tmp_path) is None
    (tmp_path / server.STATE_FILE).write_text(json.dumps({"pid": 2**22 + 7, "port": 1}))  # a dead pid
    assert server.status(tmp_path) == (None, "stopped")


def _weaver(*args: str, home: Path, port: int) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "DO_NOT_TRACK"}
    env.update(PREFECT_HOME=str(home), WEAVER_PREFECT_PORT=str(port))
    weaver = str(Path(sys.executable).with_name("weaver"))
    return subprocess.run([weaver, *args], env=env, capture_output=True, text=True, timeout=400)


@pytest.mark.e2e  # a real server boots in it (slow under load): deselect with -m 'not e2e'
def test_the_first_run_starts_the_server_the_next_reuses_it_and_stop_stops_it(demo_ws: Path, tmp_path: Path) -> None:
    home, port = tmp_path / "prefect-home", free_port()
    assert _weaver("server", "status", home=home, port=port).returncode == 1
    try:
        first = _weaver("run", "member-sync", "-c", str(demo_ws), "--dry-run", "-p", "as_of=2026-11-24", home=home,
                        port=port)  # fmt: skip
        assert first.returncode == 0, first.stderr
        assert f"starting the local Prefect server in the background (once; UI at http://127.0.0.1:{port})" in (
            first.stderr
        )
        info, state = server.status(home)
        assert state == "running" and info is not None and info.port == port

        second = _weaver("run", "member-sync", "-c", str(demo_ws), "--dry-run", "-p", "as_of=2026-11-24", home=home,
                         port=port)  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert "starting" not in second.stderr and "Traceback" not in second.stderr
        assert "== member-sync (dry run) ==" in second.stdout
        assert server.status(home)[0] == info  # the same process served both

        request = urllib.request.Request(f"{info.api_url}/flow_runs/filter", data=b"{}", method="POST",
                                         headers={"content-type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as reply:
            runs = json.loads(reply.read())
        assert [run["state_type"] for run in runs] == ["COMPLETED", "COMPLETED"]  # both runs are in the UI
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=10) as reply:
            ui = json.loads(reply.read())
        assert ui["api_url"] == info.api_url  # the UI asks this server's API, not port 4200's
        # their task runs too: the task-run recorder stores them in batches (at least once a second), in the
        # order of their events, so once the second run's tasks match the first's, all of both are stored
        first_tasks: list[str] = []
        second_tasks: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            request = urllib.request.Request(f"{info.api_url}/task_runs/filter", data=b"{}", method="POST",
                                             headers={"content-type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=10) as reply:
                tasks = json.loads(reply.read())
            first_tasks, second_tasks = (
                sorted(t["task_key"] for t in tasks if t["flow_run_id"] == run["id"] and t["state_type"] == "COMPLETED")
                for run in sorted(runs, key=lambda r: r["start_time"])
            )
            if second_tasks and second_tasks == first_tasks:
                break
            time.sleep(0.5)
        assert second_tasks == first_tasks and len(first_tasks) >= 3  # read, plan, report at least
        assert "Encountered retryable exception" not in info.log.read_text(encoding="utf-8")  # no 503 was sent

        status = _weaver("server", "status", home=home, port=port)
        assert status.returncode == 0 and status.stdout.startswith(f"running: UI http://127.0.0.1:{port}")
        stopped = _weaver("server", "stop", home=home, port=port)
        assert stopped.stdout.strip() == f"stopped the Prefect server on port {port}"
        assert server.status(home) == (None, "stopped")
    finally:
        server.stop(home)


def test_an_unreachable_prefect_api_is_one_line(demo_ws: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    url = f"http://127.0.0.1:{free_port()}/api"
    env["PREFECT_API_URL"] = url
    weaver = str(Path(sys.executable).with_name("weaver"))
    result = subprocess.run([weaver, "run", "member-sync", "-c", str(demo_ws), "--dry-run"], env=env,
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"weaver: the Prefect server at PREFECT_API_URL={url} does not answer "
        "(start it, or unset PREFECT_API_URL to use the local one)"
    ]


def _create_flow_run_while_the_database_is_locked(api_url: str, database: Path) -> int:
    """Another connection holds SQLite's write lock while a flow run is created; the request's HTTP status.

    The lock is released once the request has answered, or after 5 s (then the request may still be waiting
    for it: it must then succeed)."""
    flow = _post(api_url, "/flows/", {"name": "locked-out"})
    answer: dict[str, int] = {}

    def create() -> None:
        try:
            answer["status"] = _post_status(api_url, "/flow_runs/", {"flow_id": flow["id"]})
        except urllib.error.HTTPError as exc:  # no retry: Prefect's client would sleep ~2 s and try again
            answer["status"] = exc.code

    holder = sqlite3.connect(database, isolation_level=None, timeout=60)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the write lock, as the task-run recorder holds it while it writes
        request = threading.Thread(target=create)
        request.start()
        request.join(5)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    request.join(120)
    return answer["status"]


def _post(api_url: str, path: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(api_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read())


def _post_status(api_url: str, path: str, body: dict[str, object]) -> int:
    request = urllib.request.Request(api_url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})  # fmt: skip
    with urllib.request.urlopen(request, timeout=120) as reply:
        return reply.status


@pytest.mark.e2e  # two real servers boot in it, one after the other, on one database
def test_our_server_makes_a_write_wait_for_the_database_lock_where_prefects_answers_503(tmp_path: Path) -> None:
    """Why a second `weaver demo` met 2-7 503s ("database is locked"), each a ~2 s sleep in Prefect's client:
    creating a flow run reads, then writes, in a deferred transaction, and SQLite refuses that upgrade at
    once while another connection writes. The server `weaver` starts begins write transactions IMMEDIATE."""
    home = tmp_path / "prefect-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "DO_NOT_TRACK"}
    root = str(Path(server.__file__).resolve().parent.parent)
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               PYTHONPATH=os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")])))  # fmt: skip
    database = home / "prefect.db"
    plain = [str(Path(sys.executable).with_name("prefect")), "server", "start"]
    ours = [sys.executable, "-m", "deployments.prefect_server"]
    statuses = {}
    for name, command in (("prefect", plain), ("ours", ours)):
        port = free_port()
        api_url = f"http://127.0.0.1:{port}/api"
        process = Background([*command, "--host", "127.0.0.1", "--port", str(port), "--no-services", "--no-ui"],
                             env, tmp_path / f"{name}.log")  # fmt: skip
        try:
            process.wait_for(lambda url=api_url: http_ok(f"{url}/health"), f"{name} server", timeout=240)
            statuses[name] = _create_flow_run_while_the_database_is_locked(api_url, database)
        finally:
            process.stop()
    assert statuses == {"prefect": 503, "ours": 201}
