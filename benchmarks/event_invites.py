"""event-invites at scale: N members in the state database, a few events whose audiences select about half.

Prints wall time per phase, messages rendered per second, peak memory, and the external calls made (table
reads, messages written to the outbox, Google Calendar batch calls against the loopback stand-in with
--google), for a first run (everything new) and a rerun (nothing to send).

    python -m benchmarks.event_invites [--members 10000] [--events 4] [--google]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from demo.build import HERE as DEMO_DIR
from flows._runtime import build_mail, build_tables
from tasks.common.messages import deliver
from tasks.events.apply import publish_to_google, record_rsvps, record_versions, write_calendar_file
from tasks.events.calendar import Person
from tasks.events.plan import FLOW, event_ids_of, plan_event_invites, split_messages
from tasks.events.read import load_state, read_sources
from weaver.state import StateDB, save_members
from weaver.workspace import Workspace

INTERESTS = ["气候", "教育", "数据", "climate", "education", "open data", "艺术", "乡村振兴"]
ZONES = ["Asia/Shanghai", "Asia/Shanghai", "Europe/Berlin", "America/New_York", ""]


def generate(root: Path, members: int, events: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Events"
    sheet.append(
        ["event_id", "title", "start", "end", "timezone", "place", "audience", "capacity", "language", "status"]
    )
    start = date.today()
    audiences = [
        "兴趣 包含 气候, climate",
        "地区 属于 华东, 华南",
        "语言 是 英文",
        "兴趣 包含 数据 或 兴趣 包含 open data",
    ]
    for i in range(events):
        day = start + timedelta(days=2 + 5 * i)
        sheet.append([f"evt-{i}", f"活动 {i} · Event {i}", f"{day} 14:00", "16:00", "Asia/Shanghai",
                      "https://meet.example.org/x", audiences[i % len(audiences)], 200, "", ""])  # fmt: skip
    wb.create_sheet("RSVPs").append(["event_id", "email", "response"])
    wb.save(root / "network.xlsx")
    db = StateDB(f"sqlite:///{root / 'weaver.db'}")
    rows = []
    for i in range(members):
        zh = i % 3 != 2
        fields = {"name": f"成员{i}" if zh else f"Member {i}", "email": f"m{i}@example.org",
                  "interests": ", ".join(rng.sample(INTERESTS, 2)), "region": rng.choice(["华东", "华南", "Europe"]),
                  "language": "zh" if zh else "en", "consent": "是", "timezone": rng.choice(ZONES)}  # fmt: skip
        rows.append({"member_id": f"m-{i:06d}", "email": fields["email"], "fields_hash": "h", "fields": fields})
    save_members(db, rows, [])
    db.close()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_once(ws: Workspace, label: str, google: object | None) -> None:
    cfg, db, tables = ws.config, StateDB(ws.state_url), build_tables(ws)
    now = datetime.now(UTC).replace(hour=2)  # 10:00 in Shanghai: outside quiet hours
    t0 = time.perf_counter()
    sources = read_sources(cfg, tables, db, None)
    state = load_state(db, event_ids_of(cfg, sources))
    t1 = time.perf_counter()
    plan = plan_event_invites(cfg, sources, state, now, sender=Person(cfg.mail.from_address, cfg.mail.from_name))
    t2 = time.perf_counter()
    record_rsvps(plan, db)
    by_email, by_google = split_messages(plan, cfg)
    delivery = deliver(by_email, build_mail(ws), db, FLOW)
    calendar_calls = ""
    if by_google and google is not None:
        publish_to_google(plan, by_google, google, db, "all", False)  # type: ignore[arg-type]
        calendar_calls = f", Google Calendar batch calls {google.calls['batch']} ({google.calls['insert']} inserts)"  # type: ignore[attr-defined]
    write_calendar_file(ws.calendar_file, plan.feed, False)
    record_versions(plan, db)
    t3 = time.perf_counter()
    sent = delivery.summary()
    counts = f"planned {len(plan.messages):,} messages, sent {sent['sent']:,}, already sent {sent['already_sent']:,}"
    print(f"{label}: {len(state.members):,} members, {len(plan.lines)} events; {counts}")
    print(f"  read + state {t1 - t0:7.2f} s")
    rate = len(plan.messages) / (t2 - t1) if plan.messages else 0
    print(f"  plan         {t2 - t1:7.2f} s  ({rate:,.0f} messages rendered/s, .ics included)")
    print(f"  apply        {t3 - t2:7.2f} s  (outbox + ledger + calendar.ics)")
    print(f"  external calls: table reads {tables.calls['read']}, table writes {tables.calls['write']}, "
          f"outbox messages {sent['sent']:,}{calendar_calls}")  # fmt: skip
    print(f"  peak memory so far: {peak_mb():,.0f} MB")
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=4)
    parser.add_argument("--google", action="store_true", help="Google Calendar as the target (loopback stand-in)")
    parser.add_argument("--latency", type=float, default=0.05, help="stand-in seconds per request (--google)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-events-"))
    try:
        config = (DEMO_DIR / "weaver.toml").read_text(encoding="utf-8")
        config = config.replace('[events.rsvp_columns]\nevent_id = "活动编号"\nemail = "邮箱"\nresponse = "回复"\n'
                                'submitted_at = "提交时间"\n', "")  # fmt: skip
        t0 = time.perf_counter()
        generate(root, args.members, args.events)
        print(f"generated {args.members:,} members and {args.events} events in {time.perf_counter() - t0:.1f} s")
        if args.google:
            _run_with_google(root, config, args.latency)
        else:
            (root / "weaver.toml").write_text(config, encoding="utf-8")
            ws = Workspace.open(root)
            run_once(ws, "first run", None)
            run_once(ws, "rerun", None)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_with_google(root: Path, config: str, latency: float) -> None:
    """Google Calendar as the target, on the loopback stand-in with `latency` seconds per request."""
    from connectors.endpoints import redirect
    from flows._runtime import build_google_calendar
    from tests.standins.calendar import CalendarStandIn

    with CalendarStandIn(latency=latency) as standin, redirect(calendar=standin.url):
        os.environ["WEAVER_BENCH_GCAL_TOKEN"] = json.dumps(standin.token_info())
        config = config.replace('target = "file"', 'target = "google_calendar"')
        config += '\n[calendar.google]\ncredentials = { env = "WEAVER_BENCH_GCAL_TOKEN" }\n'
        (root / "weaver.toml").write_text(config, encoding="utf-8")
        ws = Workspace.open(root)
        google = build_google_calendar(ws)
        run_once(ws, "first run", google)
        run_once(ws, "rerun", google)
        print(f"  stand-in saw: {dict(standin.calls)} ({latency * 1000:.0f} ms per request)")


if __name__ == "__main__":
    main()
