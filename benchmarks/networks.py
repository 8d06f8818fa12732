"""Many networks on one Prefect server and a pool of process workers: PostgreSQL + two workers against SQLite +
one worker.

For each setup: N generated networks (copies of the demo network, each with its own name and state database),
listed in a registry (`networks.toml`); one prefect.yaml for all of them from the registry
(`python -m deployments.project -r networks.toml --only <cycle>`), `prefect deploy --all` onto one process
work pool, then the workers; then each network's small weekly cycle, operation by operation (every network's
member-sync at once, then every network's onboarding ...), each run created from its deployment through the
API. The cycle by default: member-sync (the demo sheet into the state: about 300 rows, some quarantined) and
onboarding (welcomes, buddies and the weaver's digest by email into each network's outbox, through the ledger).

Measured per setup: wall time of the cycles (first run created, once the workers are online -> last run
finished), runs and how many
COMPLETED, the Prefect server's CPU seconds meanwhile (its whole process tree, from /proc), the size of the
state databases (PostgreSQL: pg_database_size of the N databases; SQLite: the N weaver.db files), emails
sent; and the deploy time apart. One local `prefect server` (API only, its own SQLite) serves both setups
(different network names and pools); one PostgreSQL server holds one database per network.

    python -m benchmarks.networks [--networks 20] [--cycle member-sync,onboarding] [--limit 2]

The machine may be shared: this process's CPU time and the load average are printed beside wall times.
The last line is one JSON object of the headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from demo.build import create_workspace, personalise
from tests.postgres import PostgresServer, server_binaries
from tests.processes import Background, free_port, http_ok, prefect_api

ROOT = Path(__file__).resolve().parents[1]
CODE = ("flows", "tasks", "connectors", "deployments", "weaver", "templates", "demo")
TERMINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of a process and every descendant alive now (Linux /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        cpu[int(entry.name)] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / tick
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in tree]
        tree.update(children)
        frontier += children
    return sum(cpu.get(p, 0.0) for p in tree)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Setup:
    """One setup's project folder: this checkout's code, N networks, networks.toml, prefect.yaml."""

    def __init__(self, root: Path, label: str, template: Path, networks: int, state: PostgresServer | None) -> None:
        self.label, self.state = label, state
        self.project = root / f"project-{label}"
        self.project.mkdir()
        for name in CODE:
            (self.project / name).symlink_to(ROOT / name)
        self.slugs: list[str] = []
        self.urls: list[str] = []
        registry = []
        for i in range(1, networks + 1):
            written = f"networks/{label}-{i:02d}"
            ws = self.project / written
            shutil.copytree(template, ws)
            config = ws / "weaver.toml"
            personalise(config, {"name": f"{label} network {i:02d}"})
            text = config.read_text(encoding="utf-8")
            text = re.sub(r"(?m)^approval_threshold = \d+", "approval_threshold = 100000", text)
            slug = f"{label}-network-{i:02d}"
            text = text.replace('[deployments]\nname = "demo"', f'[deployments]\nname = "{slug}"')
            if state is not None:
                url = state.database(f"{label}{i:02d}_")
                self.urls.append(url)
                text += f'\n[state]\nurl = "{url}"\n'
            config.write_text(text, encoding="utf-8")
            self.slugs.append(slug)
            registry.append(f'[[network]]\nworkspace = "{written}"\n')
        (self.project / "networks.toml").write_text("\n".join(registry), encoding="utf-8")

    def state_bytes(self) -> int:
        if self.state is not None:
            return sum(self.state.size(url) for url in self.urls)
        return sum(p.stat().st_size for p in self.project.glob("networks/*/weaver.db*"))

    def emails(self) -> int:
        return sum(1 for p in self.project.glob("networks/*/outbox/*/*") if p.is_file())


def run_setup(setup: Setup, api_url: str, server_pid: int, env: dict[str, str], cycle: list[str],
              workers: int, limit: int) -> dict[str, Any]:  # fmt: skip
    pool = f"weaver-{setup.label}"
    logs = setup.project / "logs"
    logs.mkdir()

    def call(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return prefect_api(api_url, method, path, body)

    def step(command: str, name: str, timeout: float = 900) -> None:
        Background(["bash", "-c", command], env, logs / f"{name}.log", cwd=setup.project).finish(command, timeout)

    started = time.perf_counter()
    only = ",".join(cycle)
    step(f"{sys.executable} -m deployments.project -r networks.toml --only {only} --pool {pool} > prefect.yaml", "yaml")
    step(f"prefect work-pool create {pool} --type process", "pool")
    step("prefect --no-prompt deploy --all", "deploy")
    deploy_seconds = time.perf_counter() - started
    print(f"[{setup.label}] deployed {len(cycle) * len(setup.slugs)} deployments in {deploy_seconds:.1f} s "
          f"(load {load()})", flush=True)  # fmt: skip
    start = ["prefect", "worker", "start", "--pool", pool, "--limit", str(limit), "--name"]
    running = [
        Background([*start, f"{setup.label}-worker-{n}"], env, logs / f"worker-{n}.log", cwd=setup.project)
        for n in range(1, workers + 1)
    ]
    states: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while len(call("POST", f"/work_pools/{pool}/workers/filter", {})) < workers:  # online before the clock starts
            if time.monotonic() > deadline:
                raise SystemExit(f"[{setup.label}] the workers did not come online in 5 min")
            time.sleep(1.0)
        cpu0, t0 = tree_cpu_seconds(server_pid), time.perf_counter()
        for operation in cycle:
            ids = []
            for slug in setup.slugs:
                deployment = call("GET", f"/deployments/name/{operation}/{slug}")
                ids.append(call("POST", f"/deployments/{deployment['id']}/create_flow_run", {})["id"])
            pending = set(ids)
            deadline = time.monotonic() + 1800
            while pending and time.monotonic() < deadline:
                runs = call("POST", "/flow_runs/filter", {"flow_runs": {"id": {"any_": sorted(pending)}}, "limit": 200})
                for run in runs:
                    if run["state_type"] in TERMINAL:
                        pending.discard(run["id"])
                        states.append(run["state_type"])
                time.sleep(1.0)
            if pending:
                raise SystemExit(f"[{setup.label}] {len(pending)} {operation} runs did not finish in 30 min")
            print(f"[{setup.label}] {operation}: {len(ids)} runs done at {time.perf_counter() - t0:.1f} s "
                  f"(load {load()})", flush=True)  # fmt: skip
        wall, server_cpu = time.perf_counter() - t0, tree_cpu_seconds(server_pid) - cpu0
    finally:
        for worker in running:
            worker.stop()
    return {
        "networks": len(setup.slugs), "workers": workers, "runs": len(states),
        "completed": states.count("COMPLETED"), "wall_seconds": round(wall, 1),
        "server_cpu_seconds": round(server_cpu, 1), "state_bytes": setup.state_bytes(), "emails": setup.emails(),
        "deploy_seconds": round(deploy_seconds, 1),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument("--cycle", default="member-sync,onboarding", help="operations of each network's cycle")
    parser.add_argument("--limit", type=int, default=2, help="flow runs each worker runs at once")
    args = parser.parse_args()
    cycle = [c.strip() for c in args.cycle.split(",") if c.strip()]
    bindir = server_binaries()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (initdb not found): `make postgres` installs it")
    print(f"{args.networks} networks, cycle {cycle}, {args.limit} runs per worker at once; load {load()}", flush=True)
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-networks-"))
    postgres = PostgresServer(bindir).start()
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=api_url, PREFECT_HOME=str(root / "prefect-home"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_WORKER_QUERY_SECONDS="1",
               PREFECT_WORKER_PREFETCH_SECONDS="5", PYTHONPATH="")  # fmt: skip
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    server_env = {**env, "PREFECT_API_URL": ""}
    server = Background(["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services",
                         "--no-ui"], server_env, root / "server.log")  # fmt: skip
    try:
        server.wait_for(lambda: http_ok(f"{api_url}/health"), "prefect server start", timeout=300)
        template = create_workspace(root / "template", today=date.today())
        results = {}
        for label, state, workers in (("pg", postgres, 2), ("sqlite", None, 1)):
            setup = Setup(root, label, template, args.networks, state)
            results[label] = run_setup(setup, api_url, server.proc.pid, {**env, "PYTHONPATH": str(setup.project)},
                                       cycle, workers, args.limit)  # fmt: skip
            r = results[label]
            print(f"[{label}] {r['networks']} networks, {r['workers']} worker(s): {r['runs']} runs "
                  f"({r['completed']} completed) in {r['wall_seconds']} s; server CPU {r['server_cpu_seconds']} s; "
                  f"state {r['state_bytes'] / 1e6:.1f} MB; {r['emails']} emails; load {load()}",
                  flush=True)  # fmt: skip
    finally:
        server.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
    pg, lite = results["pg"], results["sqlite"]
    headline = {
        "networks": args.networks, "cycle": cycle, "limit_per_worker": args.limit,
        "pg_two_workers": pg, "sqlite_one_worker": lite,
        "wall_ratio_sqlite_over_pg": round(lite["wall_seconds"] / pg["wall_seconds"], 2),
        "server_cpu_ratio_sqlite_over_pg": round(lite["server_cpu_seconds"] / max(pg["server_cpu_seconds"], 0.1), 2),
        "state_bytes_ratio_sqlite_over_pg": round(lite["state_bytes"] / max(pg["state_bytes"], 1), 3),
        "bench_cpu_seconds": round(time.process_time() - cpu_start, 1),
        "bench_wall_seconds": round(time.perf_counter() - wall_start, 1), "load_average": load(),
    }  # fmt: skip
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
