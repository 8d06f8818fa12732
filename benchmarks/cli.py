"""How long a coordinator waits for a command, against what Prefect itself costs, in one run.

Each figure is a whole process, timed from outside, on a throw-away Prefect home and port (the machine's own
server is not touched):
  - `python -c "import prefect"` (the floor every command pays; median of --repeat);
  - the first `weaver run member-sync --dry-run` on a fresh machine (it starts the local server);
  - a trivial `@flow` process against that server, and one flow run inside a process (second run), with
    Prefect's heartbeat on (its default) and off (what `weaver run` does);
  - `weaver run member-sync --dry-run` on the demo, second and later calls (median of --repeat);
  - `weaver demo` (the work of `make demo`), its first run, then its second run --repeat times (median), each
    with its CPU time (the `weaver` process; the server's apart) and the 503 answers the server gave
    ("database is locked": each one costs the client a ~2 s sleep before its retry; the server logs them).

    python -m benchmarks.cli [--repeat 3] [--skip-demo]

The last line is one JSON object of headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from demo.build import create_workspace
from deployments import server
from tests.processes import free_port

BIN = Path(sys.executable).parent
TRIVIAL = """
import sys, time
from prefect import flow
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

@flow
def trivial():
    return 1

trivial()
start = time.perf_counter(); trivial(); with_heartbeat = time.perf_counter() - start
with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
    start = time.perf_counter(); trivial(); without = time.perf_counter() - start
print(f"{with_heartbeat:.3f} {without:.3f}")
"""


def timed(args: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    elapsed, _cpu, done = timed_cpu(args, env)
    return elapsed, done


def timed_cpu(args: list[str], env: dict[str, str]) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """(wall, CPU seconds of the command and the children it waited for, its result)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _second_demo(
    demo: list[str], env: dict[str, str], info: server.ServerInfo
) -> tuple[float, float, float, int, float]:
    """(wall, CPU of the weaver process, CPU of the server, 503 answers, load at start) of one more demo run."""
    load = os.getloadavg()[0]
    log = info.log.read_text(encoding="utf-8", errors="replace").count("Encountered retryable exception")
    server_cpu = _cpu_of(info.pid)
    wall, cpu, _ = timed_cpu(demo, env)
    server_cpu = _cpu_of(info.pid) - server_cpu
    retries = info.log.read_text(encoding="utf-8", errors="replace").count("Encountered retryable exception") - log
    return wall, cpu, server_cpu, retries, load


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-demo", action="store_true", help="leave out the two `weaver demo` runs")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="weaver-bench-cli-"))
    home = tmp / "prefect-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") and k != "DO_NOT_TRACK"}
    env.update(PREFECT_HOME=str(home), WEAVER_PREFECT_PORT=str(free_port()))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).resolve().parent.parent),
                                                      env.get("PYTHONPATH")]))  # fmt: skip
    ws = create_workspace(tmp / "ws")
    weaver = str(BIN / "weaver")
    dry_run = [weaver, "run", "member-sync", "-c", str(ws), "--dry-run"]
    figures: dict[str, float | str] = {}
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)", flush=True)
        imports = [timed([sys.executable, "-c", "import prefect"], env)[0] for _ in range(args.repeat)]
        figures["import_prefect_s"] = round(statistics.median(imports), 2)
        print(f"python -c 'import prefect':             {figures['import_prefect_s']:6.2f} s  (median of "
              f"{args.repeat}: {', '.join(f'{t:.2f}' for t in imports)})", flush=True)  # fmt: skip

        first, _ = timed(dry_run, env)
        figures["first_call_s"] = round(first, 2)
        print(f"first weaver run (starts the server):   {first:6.2f} s", flush=True)

        info = server.status(home)[0]
        assert info is not None, "the first run left no server"
        flow_env = dict(env, PREFECT_API_URL=info.api_url, DO_NOT_TRACK="1", PREFECT_LOGGING_LEVEL="WARNING")
        elapsed, done = timed([sys.executable, "-c", TRIVIAL], flow_env)
        with_hb, without_hb = (float(x) for x in done.stdout.split()[-2:])
        figures.update(trivial_flow_process_s=round(elapsed, 2), flow_run_heartbeat_on_s=round(with_hb, 3),
                       flow_run_heartbeat_off_s=round(without_hb, 3))  # fmt: skip
        print(f"trivial @flow process (3 runs):         {elapsed:6.2f} s", flush=True)
        print(f"  one flow run, Prefect's heartbeat on:  {with_hb:6.3f} s", flush=True)
        print(f"  one flow run, heartbeat off (ours):    {without_hb:6.3f} s", flush=True)

        runs = [timed(dry_run, env)[0] for _ in range(args.repeat)]
        figures["member_sync_dry_run_s"] = round(statistics.median(runs), 2)
        ratio = figures["member_sync_dry_run_s"] / figures["import_prefect_s"]
        figures["dry_run_over_import"] = round(ratio, 2)
        each = ", ".join(f"{t:.2f}" for t in runs)
        print(f"weaver run member-sync --dry-run:       {figures['member_sync_dry_run_s']:6.2f} s  (median of "
              f"{args.repeat}: {each}; {ratio:.2f}x import prefect)", flush=True)  # fmt: skip

        if not args.skip_demo:
            demo_dir = tmp / "demo-network"
            demo = [weaver, "demo", "--dir", str(demo_dir)]
            figures["demo_first_s"] = round(timed(demo, env)[0], 2)
            print(f"weaver demo, first run:                 {figures['demo_first_s']:6.2f} s", flush=True)
            seconds = [_second_demo(demo, env, info) for _ in range(args.repeat)]
            for i, (wall, cpu, server_cpu, retries, load) in enumerate(seconds, 1):
                print(f"weaver demo, second run ({i}):            {wall:6.2f} s  (CPU {cpu:.2f} s, server CPU "
                      f"{server_cpu:.2f} s, 503 answers {retries}, load {load:.2f})", flush=True)  # fmt: skip
            figures["demo_second_s"] = round(statistics.median(s[0] for s in seconds), 2)
            figures["demo_second_cpu_s"] = round(statistics.median(s[1] for s in seconds), 2)
            figures["demo_second_server_cpu_s"] = round(statistics.median(s[2] for s in seconds), 2)
            figures["demo_second_503s"] = sum(s[3] for s in seconds)
            print(f"weaver demo, second run:                {figures['demo_second_s']:6.2f} s  (median of "
                  f"{args.repeat})", flush=True)  # fmt: skip
        figures["load_average_end"] = round(os.getloadavg()[0], 2)
    finally:
        server.stop(home)
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
