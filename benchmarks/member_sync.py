"""member-sync at scale: a generated members tab of N members (default 100,000).

Prints wall time per phase, peak memory, plan-phase rows/s and the table reads/writes made, for a first
run (every member new, owned columns written) and a rerun (nothing to do). Pure phases are timed directly;
the tab is generated in a child process, so the peak memory printed is the sync's own. `--flow` starts a
throw-away local Prefect server (deployments/server.py) and times the member-sync flow (dry run) at 1,000
and 10,000 rows against it, beside the same read + plan without Prefect: Prefect's part should not grow.

`--backend gsheet` puts the tab in the Google Sheets stand-in on 127.0.0.1 with `--latency` (default 50 ms)
added to every API call, runs our connector through gspread, then a naive row-by-row gspread script on the
same data in the same run, and prints the API calls and wall time of both. The naive loop makes one
`update_cell` per changed cell, so at 50 ms a call it is timed on the first `--naive-rows` rows only and
extrapolated (the output says so).

    python -m benchmarks.member_sync [--rows 100000] [--flow]
    python -m benchmarks.member_sync --backend gsheet --rows 10000 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from connectors.tables import Cell
from demo.build import HERE as DEMO_DIR
from flows._runtime import build_tables
from tasks.members.apply import apply_member_sync
from tasks.members.plan import plan_member_sync
from weaver.progress import StepProgress
from weaver.state import StateDB
from weaver.workspace import Workspace

HEADERS = ["姓名", "邮箱 ", "兴趣  ", "地区", "语言", "机构", "机构类型", "加入日期", "同意接收邮件", "电话", "时区",
           "会费", "会费缴至", "备注", "公开名录", "需求", "可提供", "需求与资源周报"]  # fmt: skip


def member_row(i: int, rng: random.Random) -> list[str]:
    cjk = i % 3 == 0
    name = f"{'王李张刘陈'[i % 5]}{'伟芳娜敏静'[(i // 5) % 5]}{i}" if cjk else f"Member {i}"
    email = f"member.{i}@example.org" if i % 50 else f"ＭＥＭＢＥＲ．{i}＠ＥＸＡＭＰＬＥ．ＯＲＧ"
    if i % 997 == 0:
        email = f"member.{i - 1}@Example.org"  # a duplicate
    return [name, email, "气候、教育" if cjk else "climate, education", "华东" if cjk else "Europe",
            "zh" if cjk else "en", "Org", "NGO", f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
            rng.choice(["是", "yes", "no"]), f"0{rng.randint(10**9, 10**10 - 1)}", "Asia/Shanghai",
            "", "", "", rng.choice(["是", "no", ""]), "", "", ""]  # fmt: skip


def _mapped_elsewhere() -> list[str]:
    """Headers the demo's weaver.toml maps that HEADERS lacks (columns added later): present, left blank."""
    import tomllib

    mapped = tomllib.loads((DEMO_DIR / "weaver.toml").read_text(encoding="utf-8"))["members"]["columns"].values()
    have = {h.strip() for h in HEADERS}
    return [h for h in mapped if h.strip() not in have]


def member_grid(rows: int, seed: int = 1) -> list[list[str]]:
    rng = random.Random(seed)
    extra = _mapped_elsewhere()
    blank = [""] * len(extra)
    return [list(HEADERS) + extra, *(member_row(i, rng) + blank for i in range(rows))]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Members")
    for row in member_grid(rows, seed):
        sheet.append(row)
    wb.save(path)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(ws: Workspace, label: str) -> dict[str, object]:
    tables = build_tables(ws)
    timed = {"write": 0.0, "write_cpu": 0.0}
    write = tables.write_cells

    def timed_write(tab: str, cells: Sequence[Cell]) -> None:
        t, cpu = time.perf_counter(), time.process_time()
        write(tab, cells)
        timed["write"] += time.perf_counter() - t
        timed["write_cpu"] += time.process_time() - cpu  # the figure a busy machine does not inflate

    tables.write_cells = timed_write  # type: ignore[method-assign]
    db = StateDB(ws.state_url)
    seen = [time.perf_counter()]  # when progress was last reported (the start counts as a report)
    seen_cpu = [time.process_time()]  # the same in CPU time: what a loaded machine does not stretch

    def shown(step: str) -> StepProgress:  # what a `weaver run` shows: a line every 2 s (here printed)
        lines = StepProgress(step, log=lambda text: print(f"    {text}", flush=True), artifact=lambda _p, _t: None)

        def report(done: int, total: int) -> None:
            seen.append(time.perf_counter())
            seen_cpu.append(time.process_time())
            lines(done, total)

        return report  # type: ignore[return-value]

    t0, c0 = time.perf_counter(), time.process_time()
    grid = tables.read_tab(ws.config.members.tab, progress=shown("reading"))
    t_read, c_read = time.perf_counter(), time.process_time()
    snapshot = db.member_snapshot()  # after the read, as the flow does (not timed: a state query)
    t1, c1 = time.perf_counter(), time.process_time()
    plan = plan_member_sync(grid, ws.config, snapshot, tables.describe(), progress=shown("planning"))
    t2, c2 = time.perf_counter(), time.process_time()
    seen.append(t2)
    seen_cpu.append(c2)
    silence = max(b - a for a, b in zip(seen, seen[1:], strict=False))
    silence_cpu = max(b - a for a, b in zip(seen_cpu, seen_cpu[1:], strict=False))
    rows = len(grid) - 1
    del grid  # as the flow: nothing after the plan needs the grid
    apply_member_sync(plan, tables, db, dry_run=False)
    t3, c3 = time.perf_counter(), time.process_time()
    print(f"{label}: {rows:,} rows; added {len(plan.diff.added):,}, changed {len(plan.diff.changed):,}, "
          f"cells written {len(plan.cells):,}; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"  read  {t_read - t0:7.2f} s wall, {c_read - c0:5.2f} s CPU")
    print(f"  plan  {t2 - t1:7.2f} s wall, {c2 - c1:5.2f} s CPU  ({rows / (t2 - t1):,.0f} rows/s wall, "
          f"{rows / max(c2 - c1, 1e-9):,.0f} rows/s CPU; goal >= 200,000)")  # fmt: skip
    print(f"  apply {t3 - t2:7.2f} s wall, {c3 - c2:5.2f} s CPU  (write-back + state database)")
    print(f"  longest time without a progress report while reading and planning: {silence:.2f} s wall, "
          f"{silence_cpu:.2f} s CPU (goal ~2 s)")  # fmt: skip
    print(f"  write-back {timed['write']:7.2f} s wall, {timed['write_cpu']:.2f} s CPU  (goal on a first run: <= 3 s)")
    patched = getattr(tables, "last_write", None)
    parts = list(patched.parts_rewritten) if patched and timed["write"] else []
    if patched and timed["write"]:
        print(f"  zip parts rewritten: {len(parts)} ({', '.join(parts)}); every other part copied unchanged")
    print(f"  table calls: reads {tables.calls['read']}, writes {tables.calls['write']} (goal: 1 read, <= 1 write)")
    print(f"  peak memory so far: {peak_mb():,.0f} MB")
    db.close()
    return {
        "write_back_s": round(timed["write"], 2),
        "write_back_cpu_s": round(timed["write_cpu"], 2),
        "parts_rewritten": parts,
        "plan_rows_per_s": rows / (t2 - t1),
        "plan_rows_per_cpu_s": rows / max(c2 - c1, 1e-9),
        "longest_silence_s": silence,
        "longest_silence_cpu_s": silence_cpu,
    }


def _child(*args: str) -> str:
    """A step in a fresh process (generating a tab must not count in the sync's peak memory)."""
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-m", "benchmarks.member_sync", *args], env=env, check=True,
                          stdout=subprocess.PIPE, text=True)  # fmt: skip
    return done.stdout


def _workspace(rows: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-"))
    shutil.copyfile(DEMO_DIR / "weaver.toml", root / "weaver.toml")
    t0 = time.perf_counter()
    _child("--generate", str(root / "network.xlsx"), "--rows", str(rows))
    print(f"generated {rows:,} rows in {time.perf_counter() - t0:.1f} s (in a child process)", flush=True)
    return root


def run_workbook(rows: int) -> dict[str, object]:
    root = _workspace(rows)
    try:
        ws = Workspace.open(root)
        first = run_once(ws, "first run")
        again = run_once(ws, "rerun")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    headline: dict[str, object] = {
        "rows": rows,
        "first_write_back_s": first["write_back_s"],
        "first_write_back_cpu_s": first["write_back_cpu_s"],
    }
    headline |= {"first_parts_rewritten": first["parts_rewritten"], "rerun_write_back_s": again["write_back_s"]}
    headline |= {"plan_rows_per_s": round(min(first["plan_rows_per_s"], again["plan_rows_per_s"])),  # type: ignore[type-var]
                 "plan_rows_per_cpu_s": round(min(first["plan_rows_per_cpu_s"], again["plan_rows_per_cpu_s"])),  # type: ignore[type-var]
                 "peak_rss_mb": round(peak_mb()),
                 "longest_silence_s": round(max(first["longest_silence_s"], again["longest_silence_s"]), 2),
                 "longest_silence_cpu_s": round(max(first["longest_silence_cpu_s"], again["longest_silence_cpu_s"]), 2)}  # type: ignore[type-var]  # fmt: skip
    return headline


def flow_overhead(sizes: tuple[int, int] = (1_000, 10_000)) -> dict[str, object]:
    """member-sync (dry run) through Prefect against a running server, beside the same work without it."""
    from deployments import server

    home = Path(tempfile.mkdtemp(prefix="weaver-bench-prefect-"))
    os.environ["PREFECT_HOME"] = str(home)
    os.environ.setdefault("WEAVER_PREFECT_PORT", "0")
    figures: dict[str, object] = {}
    try:
        info = server.ensure(home)
        for rows in sizes:
            root = _workspace(rows)
            try:
                timed = json.loads(_child("--flow-child", str(root), info.api_url).strip().splitlines()[-1])
            finally:
                shutil.rmtree(root, ignore_errors=True)
            ours = timed["flow_s"] - timed["pure_s"]
            ours_cpu = timed["flow_cpu_s"] - timed["pure_cpu_s"]  # this process only (not the server's)
            figures |= {f"flow_{rows}_s": round(timed["flow_s"], 2), f"prefect_part_{rows}_s": round(ours, 2),
                        f"flow_{rows}_cpu_s": round(timed["flow_cpu_s"], 2),
                        f"prefect_part_{rows}_cpu_s": round(ours_cpu, 2)}  # fmt: skip
            print(f"{rows:,} rows: member-sync flow (dry run) {timed['flow_s']:.2f} s wall, "
                  f"{timed['flow_cpu_s']:.2f} s CPU; the same read + plan without Prefect {timed['pure_s']:.2f} s "
                  f"wall, {timed['pure_cpu_s']:.2f} s CPU; Prefect's part {ours:.2f} s wall, {ours_cpu:.2f} s CPU; "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    finally:
        server.stop(home)
        shutil.rmtree(home, ignore_errors=True)
    small, large = sizes
    figures["flow_10x_rows_ratio"] = round(figures[f"flow_{large}_s"] / figures[f"flow_{small}_s"], 2)  # type: ignore[operator]
    figures["flow_10x_rows_cpu_ratio"] = round(figures[f"flow_{large}_cpu_s"] / figures[f"flow_{small}_cpu_s"], 2)  # type: ignore[operator]
    return figures


def flow_child(root: Path, api_url: str) -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.member_sync import member_sync

    with temporary_settings({PREFECT_API_URL: api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        member_sync(workspace=str(root), dry_run=True)  # warm: imports, the flow's registration
        t0, c0 = time.perf_counter(), time.process_time()
        member_sync(workspace=str(root), dry_run=True)
        flow_s, flow_cpu = time.perf_counter() - t0, time.process_time() - c0
    ws = Workspace.open(root)
    pure = []
    for _ in range(2):  # the second is warm, as the flow's timed run is
        t0, c0 = time.perf_counter(), time.process_time()
        tables = build_tables(ws)
        db = StateDB(ws.state_url)
        plan_member_sync(tables.read_tab(ws.config.members.tab), ws.config, db.member_snapshot(), tables.describe())
        db.close()
        pure.append((time.perf_counter() - t0, time.process_time() - c0))
    print(json.dumps({"flow_s": flow_s, "pure_s": pure[-1][0], "flow_cpu_s": flow_cpu, "pure_cpu_s": pure[-1][1]}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["workbook", "gsheet"], default="workbook")
    parser.add_argument("--rows", type=int, nargs="+", help="members (default 100000; gsheet: 10000 100000)")
    parser.add_argument("--flow", action="store_true", help="also time the flow through Prefect at 1k and 10k rows")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to each API call (gsheet)")
    parser.add_argument("--naive-rows", type=int, default=100, help="rows the naive loop is timed on (gsheet)")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)  # the child steps
    parser.add_argument("--flow-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.rows[0])
        return
    if args.flow_child:
        flow_child(Path(args.flow_child[0]), args.flow_child[1])
        return
    if args.backend == "gsheet":
        from benchmarks.member_sync_gsheet import run_gsheet

        for rows in args.rows or [10_000, 100_000]:
            run_gsheet(rows, args.latency, args.naive_rows)
        return
    headline: dict[str, object] = {}
    for rows in args.rows or [100_000]:
        figures = run_workbook(rows)
        headline |= figures if len(args.rows or [0]) == 1 else {f"{k}_{rows}": v for k, v in figures.items()}
    if args.flow:
        headline |= flow_overhead()
    headline["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
