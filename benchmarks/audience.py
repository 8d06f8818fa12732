"""Audience sync at scale: N members (default 10,000) against the Mailchimp stand-in on 127.0.0.1.

Runs member-sync's phases (plan members, read audience, plan audience, write the sheet, push) through the
real `mailchimp-marketing` client, for: a first sync (every member new), an unchanged rerun, 1% of names
changed, a region renamed for everyone (stale tags removed per tag, not per contact), and 1% unsubscribing
in Mailchimp. Prints wall time and the Mailchimp calls of each, by kind. The sheet is an in-memory grid
(the tables backends have their own benchmark: benchmarks/member_sync.py); the stand-in answers at once,
so times are our side's cost plus loopback HTTP, not Mailchimp's.

    python -m benchmarks.audience [--members 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from connectors.audience import MailchimpAudience
from connectors.tables import Cell, Grid
from tasks.members.apply import apply_member_sync
from tasks.members.audience import apply_audience_sync, plan_audience_sync, read_audience
from tasks.members.plan import plan_member_sync
from tests.standins.mailchimp import MailchimpStandIn
from weaver.config import WeaverConfig, parse_config
from weaver.state import StateDB

HEADERS = ["Name", "Email", "Interests", "Region", "Language", "Consent"]


class MemoryTables:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.calls: Counter[str] = Counter()

    def describe(self) -> str:
        return "memory"

    def read_tab(self, tab: str) -> Grid:
        self.calls["read"] += 1
        return [list(r) for r in self.grid]

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        if cells:
            self.calls["write"] += 1
        for c in cells:
            row = self.grid[c.row - 1]
            row.extend([""] * (c.col - len(row)))
            row[c.col - 1] = c.value

    def tab_names(self) -> list[str]:
        return ["Members"]


def members(n: int, name: str = "Member", region: str = "Europe") -> Grid:
    rows = [[f"{name} {i}", f"member.{i}@example.org", "climate, 教育" if i % 2 else "data", region,
             "zh" if i % 3 == 0 else "en", "yes" if i % 10 else "no"] for i in range(n)]  # fmt: skip
    return [list(HEADERS), *rows]


def config(standin: MailchimpStandIn) -> WeaverConfig:
    cols = {"name": "Name", "email": "Email", "interests": "Interests", "region": "Region", "language": "Language",
            "consent": "Consent"}  # fmt: skip
    return parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"}, "members": {"columns": cols},
                         "mailchimp": {"api_key": {"env": "UNUSED"}, "list_id": standin.list_id}})  # fmt: skip


def run(label: str, tables: MemoryTables, cfg: WeaverConfig, db: StateDB, standin: MailchimpStandIn) -> None:
    standin.reset_counts()
    audience = MailchimpAudience(standin.api_key, standin.list_id, base_url=standin.url)
    t0 = time.perf_counter()
    grid = tables.read_tab("Members")
    read = read_audience(audience, db, standin.list_id)
    plan = plan_member_sync(grid, cfg, db.member_snapshot(), "memory")
    audience_plan = plan_audience_sync(plan, grid, cfg, read)
    writes_before = tables.calls["write"]
    apply_member_sync(plan, tables, db, dry_run=False)
    result = apply_audience_sync(audience_plan, audience, db, dry_run=False)
    elapsed = time.perf_counter() - t0
    s = result.summary()
    calls = dict(sorted(standin.counts().items()))
    print(f"{label}: {elapsed:6.2f} s  pushed {s['pushed']:,}, failed {s['failed']}, pulled {s['pulled']:,}, "
          f"consent marked {s['consent_marked']:,}; sheet writes {tables.calls['write'] - writes_before}")  # fmt: skip
    print(f"    Mailchimp calls: {sum(calls.values())} {calls}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    args = parser.parse_args()
    n = args.members
    with tempfile.TemporaryDirectory(prefix="weaver-bench-") as tmp, MailchimpStandIn() as standin:
        db = StateDB(f"sqlite:///{Path(tmp) / 'weaver.db'}")
        cfg = config(standin)
        tables = MemoryTables(members(n))
        consenting = sum(1 for r in tables.grid[1:] if r[5] == "yes")
        print(f"{n:,} members, {consenting:,} consenting; batch limit 500 -> {-(-consenting // 500)} batch calls\n")
        run("first sync      ", tables, cfg, db, standin)
        run("unchanged rerun ", tables, cfg, db, standin)
        for i in range(1, n, 100):  # consenting members (every tenth says no)
            tables.grid[i + 1][0] = f"Renamed {i}"
        run("1% renamed      ", tables, cfg, db, standin)
        for row in tables.grid[1:]:
            row[3] = "Africa"
        run("region renamed  ", tables, cfg, db, standin)
        for i in range(1, n, 100):
            standin.set_status(f"member.{i}@example.org", "unsubscribed")
        run("1% unsubscribed ", tables, cfg, db, standin)
        run("rerun           ", tables, cfg, db, standin)  # the pull overlaps the last one by 10 minutes
        db.close()


if __name__ == "__main__":
    main()
