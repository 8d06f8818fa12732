"""member-sync on a Google sheet: our connector beside a naive row-by-row gspread script, same data, same run.

Both talk to the Sheets stand-in on 127.0.0.1 through gspread, with `latency` seconds added to every API
call (Google answers in roughly 50-300 ms). The stand-in counts every call it answers.

* ours: the connector the flow uses: read (1 values.get), plan, apply (1 RAW values.batchUpdate).
* naive: `open_by_key`, `worksheet("Members")`, `get_all_values()`, then `update_cell` for each changed cell,
  row by row, as a first script usually does. At 50 ms a call that takes hours for 100,000 members, so
  it is timed on the first `naive_rows` rows and extrapolated linearly; the output says so.
Run through `python -m benchmarks.member_sync --backend gsheet`.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections import Counter
from pathlib import Path

import gspread

from benchmarks.member_sync import member_grid, peak_mb
from connectors.endpoints import RebaseAdapter, redirect
from connectors.google_sheets import SHEETS_PREFIX
from demo.build import HERE as DEMO_DIR
from flows._runtime import build_tables
from tasks.members.apply import apply_member_sync
from tasks.members.plan import plan_member_sync
from tests.standins.sheets import SheetsStandIn
from weaver.state import StateDB
from weaver.workspace import Workspace

SID = "1BenchmarkMembers000000000000000000000000"
QUOTA_PER_MINUTE = 60  # Sheets API write (and read) requests per minute per user


def run_gsheet(rows: int, latency: float, naive_rows: int) -> None:
    grid = member_grid(rows)
    print(f"\n== Google Sheets backend: {rows:,} members, {latency * 1000:.0f} ms added to every API call ==")
    with SheetsStandIn(latency=latency) as api:
        root = workspace(api)
        try:
            ours = run_ours(api, root, grid)
            naive = run_naive(api, root, grid, naive_rows)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"ratio, first run: naive / ours = {naive['seconds'] / ours['seconds']:,.0f}x wall time, "
          f"{naive['calls']:,} / {ours['calls']} API calls")  # fmt: skip
    print(f"  peak memory so far: {peak_mb():,.0f} MB")


def workspace(api: SheetsStandIn) -> Path:
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-gsheet-"))
    (root / "key.json").write_text(json.dumps(api.service_account_info()), encoding="utf-8")
    tables = f'[tables]\nbackend = "google_sheets"\nspreadsheet_id = "{SID}"\ncredentials_file = "key.json"\n\n'
    text = (DEMO_DIR / "weaver.toml").read_text(encoding="utf-8")
    text = re.sub(r"\[tables\]\n(?:[^\[\n][^\n]*\n|\n)*", tables, text, count=1)
    (root / "weaver.toml").write_text(text, encoding="utf-8")
    return root


def load(api: SheetsStandIn, grid: list[list[str]]) -> None:
    """The coordinator's sheet, fresh: a grid with room for the owned columns, as a sheet made by hand."""
    api.add_spreadsheet(SID, "Members")
    api.add_tab(SID, "Members", grid)
    api.reset_counts()


def sheet_calls(api: SheetsStandIn) -> Counter[str]:
    return Counter({k: v for k, v in api.calls.items() if k != "oauth.token"})


def run_ours(api: SheetsStandIn, root: Path, grid: list[list[str]]) -> dict[str, float]:
    load(api, grid)
    ws = Workspace.open(root)
    first = sync_once(api, ws, "ours, first run")
    sync_once(api, ws, "ours, rerun")
    return first


def sync_once(api: SheetsStandIn, ws: Workspace, label: str) -> dict[str, float]:
    api.reset_counts()
    db = StateDB(ws.state_url)
    t0 = time.perf_counter()
    with redirect(sheets=api.url):
        tables = build_tables(ws)
        grid = tables.read_tab(ws.config.members.tab)
        t1 = time.perf_counter()
        plan = plan_member_sync(grid, ws.config, db.member_snapshot(), tables.describe())
        t2 = time.perf_counter()
        apply_member_sync(plan, tables, db, dry_run=False)
    t3 = time.perf_counter()
    db.close()
    calls = sheet_calls(api)
    payload = sum(len(json.dumps(c.body)) for c in api.log if c.route == "values.batchUpdate") / 1e6
    print(f"{label}: added {len(plan.diff.added):,}, cells written {len(plan.cells):,}")
    print(f"  API calls: {describe(calls)} (+{api.calls['oauth.token']} token request)"
          + (f"; write payload {payload:.1f} MB" if payload else ""))  # fmt: skip
    print(f"  wall {t3 - t0:6.2f} s  (connect + read {t1 - t0:.2f}, plan {t2 - t1:.2f}, apply {t3 - t2:.2f})")
    return {"seconds": t3 - t0, "calls": sum(calls.values())}


def run_naive(api: SheetsStandIn, root: Path, grid: list[list[str]], naive_rows: int) -> dict[str, float]:
    """A first script: open the sheet, read it, then one update_cell per changed cell, row by row."""
    load(api, grid)
    ws = Workspace.open(root)
    t0 = time.perf_counter()
    client = gspread.service_account_from_dict(json.loads((root / "key.json").read_text(encoding="utf-8")))
    client.http_client.session.mount(SHEETS_PREFIX, RebaseAdapter(SHEETS_PREFIX, api.url))
    sheet = client.open_by_key(SID).worksheet("Members")
    values = sheet.get_all_values()
    t1 = time.perf_counter()
    plan = plan_member_sync(values, ws.config, {}, "naive")  # the same cells ours writes
    t2 = time.perf_counter()
    sample = [c for c in plan.cells if c.row <= naive_rows + 1]
    for cell in sample:
        sheet.update_cell(cell.row, cell.col, cell.value)
    t3 = time.perf_counter()
    per_call = (t3 - t2) / max(len(sample), 1)
    total_calls = 3 + len(plan.cells)
    seconds = (t1 - t0) + (t2 - t1) + per_call * len(plan.cells)
    print("naive gspread loop (open_by_key + worksheet() + get_all_values, then update_cell per changed cell):")
    measured = f"{len(sample):,} cells of the first {naive_rows:,} rows; {per_call * 1000:.0f} ms per update_cell"
    print(f"  measured: {describe(sheet_calls(api))} in {t3 - t0:.1f} s ({measured})")
    print(f"  EXTRAPOLATED to all {len(plan.cells):,} cells: {total_calls:,} API calls, ~{seconds:,.0f} s "
          f"({seconds / 60:,.1f} min); Google's {QUOTA_PER_MINUTE} writes/min/user quota alone needs "
          f"{len(plan.cells) / QUOTA_PER_MINUTE:,.0f} min")  # fmt: skip
    return {"seconds": seconds, "calls": total_calls}


def describe(calls: Counter[str]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(calls.items())) or "none"
