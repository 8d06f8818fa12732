"""Background processes for end-to-end tests: started in their own process group, stopped by their id."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Background:
    """One command running beside the tests, its output in a log file (shown when it fails)."""

    def __init__(self, args: list[str], env: Mapping[str, str], log: Path, cwd: Path | None = None) -> None:
        self.log = log
        self._out = open(log, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            args, env=dict(env), cwd=cwd, stdout=self._out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def wait_for(self, ready: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{what}: the process exited ({self.proc.returncode}):\n{self.tail()}")
            if ready():
                return
            time.sleep(0.2)
        raise AssertionError(f"{what}: not ready after {timeout:.0f} s:\n{self.tail()}")

    def finish(self, what: str, timeout: float = 180.0) -> None:
        """Wait for a one-off command to end, and fail with its output unless it succeeded."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(f"{what}: still running after {timeout:.0f} s:\n{self.tail()}") from None
        self._out.close()
        if code != 0:
            raise AssertionError(f"{what}: exit code {code}:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM to the group this process leads (its own children: flow runs, uvicorn), then SIGKILL."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._out.close()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return 200 <= reply.status < 300
    except (urllib.error.URLError, OSError):
        return False


RETRIED = (429, 502, 503)  # the answers Prefect's own client retries: a busy server (SQLite locked) says 503


def prefect_api(api_url: str, method: str, path: str, body: dict[str, Any] | None = None, tries: int = 6) -> Any:
    """One call to a Prefect server's REST API, retried like Prefect's client retries a busy server."""
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(tries):
        request = urllib.request.Request(api_url + path, data=data, method=method,
                                         headers={"content-type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                raw = reply.read()
                return json.loads(raw) if raw else None  # 204: no body
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRIED or attempt == tries - 1:
                raise
        time.sleep(0.5 * 2**attempt)
