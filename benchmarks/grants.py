"""grant-pipeline at scale: a pipeline tab of N rows and a Grants.gov stand-in holding M opportunities.

Prints wall time per phase and the external calls made (table reads/writes, search2 pages, fetchOpportunity
calls, emails) for a first run (every hit new: imported with its amount) and a rerun (nothing to do).
Pure phases are timed directly; `--flow` also times the whole flow through Prefect (start-up included).

    python -m benchmarks.grants [--opportunities 3000] [--rows 2000] [--flow]
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from connectors.mail import OutboxTransport, Sender
from demo.build import HERE as DEMO_DIR
from demo.build import MEMBER_HEADERS, OPPORTUNITY_HEADERS
from flows._runtime import build_grants_gov, build_tables
from tasks.common.delivery import deliver
from tasks.grants.apply import apply_grant_pipeline
from tasks.grants.digests import DigestRun, build_digests, plan_deadline_notices, record_reminders, recorded_reminders
from tasks.grants.plan import enrich, new_candidates, plan_grant_pipeline
from tasks.grants.read import fetch_amounts, search_grants_gov
from tests.standins.grants import GrantsGovStandin, Opportunity
from weaver.clock import network_clock
from weaver.state import StateDB
from weaver.state.grants import grant_stage_history, grant_written
from weaver.workspace import Workspace

STAGES = ["调研", "资格评估", "撰写中", "已提交", "已获批", "未获批", "research", "writing"]
OWNERS = [f"staff{i}@weaving.example.org" for i in range(8)]


def generate(path: Path, rows: int, today: date, seed: int = 3) -> None:
    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    wb.create_sheet("Members").append(MEMBER_HEADERS)
    sheet = wb.create_sheet("Opportunities")
    sheet.append(OPPORTUNITY_HEADERS)
    for i in range(rows):
        currency = rng.choice(["CNY", "USD", "EUR", "人民币", ""])
        amount = f"{rng.randint(1, 90) * 10_000:,}" if currency else f"${rng.randint(5, 90)}k"
        deadline = (today + timedelta(days=rng.randint(-60, 200))).isoformat()
        sheet.append([f"Funder {i % 400}", f"Programme {i}", amount, currency, rng.choice(STAGES),
                      rng.choice(["", "30%", "0.5"]), deadline, rng.choice(OWNERS), "follow up",
                      (today + timedelta(days=rng.randint(-20, 40))).isoformat(), "", "", "",
                      (today - timedelta(days=rng.randint(0, 90))).isoformat(), ""])  # fmt: skip
    wb.save(path)


def standin_opportunities(count: int, today: date) -> list[Opportunity]:
    out = []
    for i in range(count):
        close = today + timedelta(days=10 + i % 300)
        out.append(Opportunity(str(400_000 + i), f"Climate resilience programme {i}",
                               close_date="" if i % 7 == 0 else close.strftime("%m/%d/%Y"),
                               award_ceiling=str(50_000 + (i % 40) * 10_000)))  # fmt: skip
    return out


def run_once(ws: Workspace, standin: GrantsGovStandin, label: str) -> None:
    cfg = ws.config
    tables, db = build_tables(ws), StateDB(ws.state_url)
    client = build_grants_gov(ws)
    outbox = OutboxTransport(ws.outbox, Sender("hello@weaving.example.org", "Bench"))
    before = dict(standin.calls)
    today = network_clock(cfg.network.timezone).today
    t0 = time.perf_counter()
    grid = tables.read_tab(cfg.tabs.opportunities)
    t1 = time.perf_counter()
    found = search_grants_gov(client, cfg.grants)
    written, history = grant_written(db), grant_stage_history(db)
    amounts = fetch_amounts(client, new_candidates(grid, cfg, found.candidates, written, tables.describe()))
    t2 = time.perf_counter()
    plan = plan_grant_pipeline(grid, cfg, enrich(found.candidates, amounts.by_key), written, history, [], today,
                               tables.describe())  # fmt: skip
    t3 = time.perf_counter()
    apply_grant_pipeline(plan, tables, db, dry_run=False)
    t4 = time.perf_counter()
    notices = plan_deadline_notices(plan.opportunities, today, cfg.grants.digest_days, "en")
    built = build_digests(notices, recorded_reminders(db, notices), cfg, cfg.tabs.opportunities)
    delivery = deliver([d.message for d in built], outbox, db, "grant-pipeline") if built else None
    record_reminders(built, delivery, db, dry_run=False)
    digests = DigestRun(notices, built, delivery)
    t5 = time.perf_counter()
    calls = {k: standin.calls[k] - before.get(k, 0) for k in ("search2", "fetchOpportunity")}
    print(f"{label}: {len(grid) - 1:,} rows, {len(found.candidates):,} hits; imported {len(plan.added):,}, "
          f"cells written {len(plan.writes.cells):,}, digests sent {digests.summary()['digests_sent']}")  # fmt: skip
    print(f"  read tab          {t1 - t0:7.2f} s")
    print(f"  search + amounts  {t2 - t1:7.2f} s  (loopback stand-in)")
    print(f"  plan              {t3 - t2:7.2f} s  ({(len(grid) + len(found.candidates)) / (t3 - t2):,.0f} rows+hits/s)")
    print(f"  apply             {t4 - t3:7.2f} s  (one batch write + state database)")
    print(f"  digests           {t5 - t4:7.2f} s")
    print(f"  external calls: table reads {tables.calls['read']}, writes {tables.calls['write']}; "
          f"search2 {calls['search2']}, fetchOpportunity {calls['fetchOpportunity']}; "
          f"emails {digests.summary()['digests_sent']}")  # fmt: skip
    if client is not None:
        client.close()
    db.close()


def configure(root: Path, standin: GrantsGovStandin, max_new: int) -> None:
    text = (DEMO_DIR / "weaver.toml").read_text(encoding="utf-8")
    text = text.replace("max_new_per_run = 50", f"max_new_per_run = {max_new}")
    text = text.replace("[grants.grants_gov]\nenabled = false",
                        f'[grants.grants_gov]\nenabled = true\nbase_url = "{standin.base_url}"')  # fmt: skip
    text = text.replace('keywords = ["climate resilience", "civil society"]', 'keywords = ["climate resilience"]')
    text = text.replace("max_pages = 5", "max_pages = 100")
    (root / "weaver.toml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--opportunities", type=int, default=3000, help="hits the Grants.gov stand-in holds")
    parser.add_argument("--rows", type=int, default=2000, help="rows already in the pipeline tab")
    parser.add_argument("--flow", action="store_true", help="also run the whole flow through Prefect")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-grants-"))
    today = date.today()
    with GrantsGovStandin(standin_opportunities(args.opportunities, today)) as standin:
        try:
            configure(root, standin, max_new=args.opportunities)
            generate(root / "network.xlsx", args.rows, today)
            ws = Workspace.open(root)
            run_once(ws, standin, "first run")
            run_once(ws, standin, "rerun")
            if args.flow:
                from flows.grant_pipeline import grant_pipeline

                t0 = time.perf_counter()
                grant_pipeline(workspace=str(root))
                print(f"whole flow through Prefect (start-up included): {time.perf_counter() - t0:.1f} s")
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
