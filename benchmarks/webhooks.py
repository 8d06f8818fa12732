"""The webhook receiver under load: signed Tally submissions over loopback, requests/s and p50 / p99.

The receiver runs as `weaver webhooks` does (uvicorn, one process, its INFO log to a file, SQLite inbox),
but its dispatcher talks to a simulated Prefect that takes `--prefect-ms` per run start, to show that an
answer never waits for Prefect or a flow. The load generator (this process) keeps `--connections`
keep-alive connections busy with pre-signed requests: first `--requests` new submissions (202), then the
same number of replays (200), each phase bounded by `--seconds`.

    python -m benchmarks.webhooks [--requests 5000] [--connections 16] [--prefect-ms 50] [--seconds 60]

Goal: at least 1,000 requests/s on 2 cores, p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from demo.build import create_workspace
from deployments import samples
from deployments.signatures import signed_headers
from weaver.state import StateDB, inbox
from weaver.workspace import Workspace

SECRETS = {"WEAVER_JOIN_FORM_SECRET": "bench-join-secret", "WEAVER_RSVP_FORM_SECRET": "bench-rsvp-secret"}


class SimulatedPrefect:
    """A Prefect API that takes `seconds` to start each run (the dispatcher's only external call)."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.calls, self._lock = seconds, 0, threading.Lock()

    def start(self, deployment: str, parameters: dict[str, Any], idempotency_key: str) -> str:
        time.sleep(self.seconds)
        with self._lock:
            self.calls += 1
            return f"run-{self.calls}"


def serve(workspace: str, port: int, prefect_ms: float) -> None:
    """The receiver process (`--serve`): what `weaver webhooks` runs, with the simulated Prefect."""
    import uvicorn

    from deployments.webhooks import _log_to_stderr, build_app

    _log_to_stderr()
    app = build_app(Workspace.open(workspace), SimulatedPrefect(prefect_ms / 1000), SECRETS)
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


# load generator ---------------------------------------------------------------------------------------------
def requests_for(count: int, port: int, tag: str) -> list[bytes]:
    """Pre-signed raw HTTP/1.1 requests, so the client spends its time sending, not signing."""
    out = []
    for n in range(count):
        answers = {**samples.DEMO_JOIN, "邮箱 Email": f"bench.{tag}.{n}@example.org"}
        body = samples.tally(f"{tag}-{n}", answers)
        headers = signed_headers("tally", SECRETS["WEAVER_JOIN_FORM_SECRET"].encode(), body)
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        out.append(
            f"POST /hooks/join HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
    return out


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    wall: float = 0.0


async def _connection(port: int, queue: list[bytes], phase: Phase, deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue and time.perf_counter() < deadline:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
            )
            await reader.readexactly(length)
            phase.latencies.append(time.perf_counter() - started)
            phase.statuses[int(head[9:12])] += 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], connections: int, seconds: float) -> Phase:
    phase, queue = Phase(), list(reversed(requests))
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(_connection(port, queue, phase, deadline) for _ in range(connections)))
    phase.wall = time.perf_counter() - started
    return phase


def report(label: str, phase: Phase) -> None:
    lat = sorted(phase.latencies)
    n = len(lat)
    p50, p99 = lat[n // 2] * 1000, lat[min(n - 1, int(n * 0.99))] * 1000
    print(f"{label}: {n:,} requests in {phase.wall:.2f} s = {n / phase.wall:,.0f} requests/s; "
          f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {lat[-1] * 1000:.1f} ms, "
          f"mean {statistics.fmean(lat) * 1000:.1f} ms; statuses {dict(phase.statuses)}")  # fmt: skip


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the receiver exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the receiver did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux), to state the cost per request apart from load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(label: str, pid: int, port: int, requests: list[bytes], args: argparse.Namespace) -> None:
    before = cpu_seconds(pid)
    phase = asyncio.run(_load(port, requests, args.connections, args.seconds))
    used = cpu_seconds(pid) - before
    report(label, phase)
    per = used / max(1, len(phase.latencies))
    print(f"  receiver CPU: {used:.2f} s = {per * 1000:.2f} ms per request (= {1 / per:,.0f} requests/s per free core)")


def inbox_counts(ws: Path) -> dict[str, int]:
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    with db.engine.connect() as conn:
        rows = conn.execute(select(inbox.c.status, func.count()).group_by(inbox.c.status))
        return {status: count for status, count in rows}


def start_receiver(ws: Path, prefect_ms: float) -> tuple[subprocess.Popen[bytes], int, Any]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(ws / "receiver.log", "wb")  # closed by main
    cmd = [sys.executable, "-m", "benchmarks.webhooks", "--serve", str(ws), str(port), "--prefect-ms", str(prefect_ms)]
    proc = subprocess.Popen(cmd, env={**os.environ, **SECRETS}, stdout=log, stderr=subprocess.STDOUT)
    wait_ready(port, proc)
    return proc, port, log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--prefect-ms", type=float, default=50.0, help="simulated time Prefect takes per run start")
    parser.add_argument("--seconds", type=float, default=60.0, help="bound on each phase")
    parser.add_argument("--serve", nargs=2, metavar=("WORKSPACE", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.prefect_ms)
        return
    ws = create_workspace(Path(tempfile.mkdtemp(prefix="weaver-bench-")) / "ws")
    proc, port, log = start_receiver(ws, args.prefect_ms)
    try:
        fresh = requests_for(args.requests, port, "new")
        parser_name = "httptools" if importlib.util.find_spec("httptools") else "h11"
        load = os.getloadavg()[0]
        print(f"receiver: uvicorn ({parser_name}), 1 process, SQLite inbox, INFO log to a file; simulated Prefect "
              f"{args.prefect_ms:.0f} ms per run start; {args.connections} keep-alive connections; "
              f"{os.cpu_count()} CPUs (load average {load:.1f}); body {len(fresh[0]):,} bytes")  # fmt: skip
        measured("new submissions (202)", proc.pid, port, fresh, args)
        counts = inbox_counts(ws)
        measured("replays         (200)", proc.pid, port, fresh, args)
        print(f"external calls while answering: {sum(counts.values()):,} inbox inserts (one SQLite commit each); "
              f"meanwhile the dispatcher made {counts.get('dispatched', 0):,} (simulated) Prefect run starts, "
              f"{counts.get('received', 0):,} still waiting: answers never wait for them")  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(15)
        log.close()
        shutil.rmtree(ws.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
