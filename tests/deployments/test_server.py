"""The local Prefect server: started once by the first `weaver run`, reused by the next, stopped on request."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from deployments import server
from tests.processes import free_port


def test_our_prefect_settings_fill_gaps_and_respect_the_users() -> None:
    env: dict[str, str] = {"PREFECT_HOME": "/somewhere/else"}
    server.configure_environment(env)
    assert env["PREFECT_HOME"] == "/somewhere/else"
    assert env["DO_NOT_TRACK"] == "1" and env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    env = {}
    server.configure_environment(env)
    assert env["PREFECT_HOME"] == str(Path(server.__file__).resolve().parent.parent / ".prefect")  # = make's


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
