"""survey-distribution at scale: N members (default 5,000), one open survey polled from Google Forms.

Prints wall time per phase and the external calls made: planning (tokens, links, rendering every
invitation), delivery into the outbox (through the ledger, one claim and mark per message), a first ingest
of R responses (40% of N) from a Forms v1 stand-in on loopback through the real client, a second ingest
from the high-water mark, the summary, and the plan three days later (reminders to the rest).

    python -m benchmarks.surveys [--members 5000] [--no-send]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httplib2

from connectors.forms import GoogleForms
from connectors.mail import OutboxTransport, Sender
from tasks.common.messages import Delivery, deliver
from tasks.surveys.plan import plan_surveys
from tasks.surveys.read import read_survey_state
from tasks.surveys.responses import collect_responses, ingest_responses
from tasks.surveys.summary import summarise_surveys
from tasks.surveys.surveys import member_token, parse_surveys
from tests.standins.forms import FormsStandIn, choice_item, scale_item, text_item
from weaver.clock import network_clock
from weaver.config import WeaverConfig, parse_config
from weaver.ledger import ApplyResult
from weaver.state import StateDB, save_members

NOW = datetime(2026, 11, 24, 2, tzinfo=UTC)
SURVEY_ROW = ["s1", "Check-in", "google_forms", "https://docs.google.com/forms/d/e/x/viewform", "entry.1048613",
              "gf-1", "all", "2026-11-24", "2026-12-04", "3, 7", "region"]  # fmt: skip
HEADER = ["survey_id", "title", "provider", "form_link", "token_field", "form", "audience", "opens", "closes",
          "reminders", "segment_by"]  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return max(time.perf_counter() - self.start, 1e-9)

    def lap(self, label: str, extra: str = "") -> None:
        now = time.perf_counter()
        print(f"  {label:34} {now - self.start:7.2f} s  {extra}")
        self.start = now


def seed_members(db: StateDB, count: int) -> None:
    rng = random.Random(3)
    rows = [{"member_id": f"m-{i:06d}", "email": f"member.{i}@example.org", "fields_hash": "h",
             "fields": {"name": f"成员{i}" if i % 2 else f"Member {i}", "language": "zh" if i % 2 else "en",
                        "region": rng.choice(["华东", "华南", "Europe", "Africa"]), "consent": "是"}}
            for i in range(count)]  # fmt: skip
    save_members(db, rows, [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5_000)
    parser.add_argument("--no-send", action="store_true", help="skip delivering the invitations into an outbox")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-surveys-"))
    config = parse_config({"network": {"timezone": "Asia/Shanghai"}, "tables": {"backend": "csv", "path": "x"}})
    db = StateDB(f"sqlite:///{root / 'weaver.db'}")
    forms = FormsStandIn(page_size=5000)  # the API's own maximum page
    forms.add_form("gf-1", "Check-in", [text_item("100025", "token"), choice_item("2", "活动", ["线下", "线上"]),
                                        scale_item("3", "评分"), text_item("4", "故事", paragraph=True)])  # fmt: skip
    try:
        with forms:
            run(args, root, config, db, forms)
    finally:
        db.close()
        shutil.rmtree(root, ignore_errors=True)


def run(args: argparse.Namespace, root: Path, config: WeaverConfig, db: StateDB, forms: FormsStandIn) -> None:
    n = args.members
    seed_members(db, n)
    surveys = parse_surveys([HEADER, SURVEY_ROW], "Surveys", "en").surveys
    client = GoogleForms(httplib2.Http(timeout=30), forms.endpoint)
    print(f"{n:,} members, one survey (audience: all)")
    clock = Clock()
    context = read_survey_state(db, config, surveys, False, "weaver.toml")
    clock.lap("read state (members, ledger)")
    plans = plan_surveys(surveys, context, {}, network_clock("Asia/Shanghai", NOW))
    invites = plans[0].invites
    rate = len(invites) / clock.elapsed()
    clock.lap("plan: tokens, links, render", f"{len(invites):,} invitations, {rate:,.0f}/s")
    if not args.no_send:
        outbox = OutboxTransport(root / "outbox", Sender("hello@example.org", "Demo"))
        sent = deliver(invites, outbox, db, "survey-distribution").summary()["sent"]
        clock.lap("deliver to the outbox (ledger)", f"{sent:,} sent")
        context = read_survey_state(db, config, surveys, False, "weaver.toml")
    answered = random.Random(5).sample([m["member_id"] for m in context.members], k=n * 2 // 5)
    base = NOW + timedelta(hours=1)
    for i, member in enumerate(answered):
        when = (base + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        token = member_token(context.secret, "s1", member)
        forms.add_response("gf-1", f"r{i}", when, {"100025": [token], "2": ["线下" if i % 3 else "线上"]})
    clock = Clock()
    collected = collect_responses(surveys, db, client, root, "Asia/Shanghai", NOW, "en")
    ingested = ingest_responses(collected, context, db, ["s1"], False)
    clock.lap("ingest: poll + attribute + record", f"{ingested.recorded.new:,} responses; calls {dict(client.calls)}")
    client.calls.clear()
    forms.add_response("gf-1", "late", (base + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), {"2": ["线上"]})
    collected = collect_responses(surveys, db, client, root, "Asia/Shanghai", NOW, "en")
    again = ingest_responses(collected, context, db, ["s1"], False)
    clock.lap("ingest again from the mark", f"{len(collected.responses)} read, {again.recorded.new} new; "
                                           f"calls {dict(client.calls)}")  # fmt: skip
    summaries = summarise_surveys(plans, context, ingested, collected, Delivery(ApplyResult()), "en")
    clock.lap("summary", f"rate {summaries[0].responded:,}/{summaries[0].invited:,}")
    rerun = plan_surveys(
        surveys, context, again.responded, network_clock("Asia/Shanghai", NOW + timedelta(days=3, hours=1))
    )
    clock.lap("plan 3 days later (reminders)", f"{len(rerun[0].reminders):,} reminders, "
                                              f"{len(rerun[0].invites):,} invitations")  # fmt: skip
    print(f"  peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
