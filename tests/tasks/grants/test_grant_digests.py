"""Owner digests: one email per owner, each deadline once per threshold (14, 7, 2 days), with frozen time."""

from __future__ import annotations

import email
import mailbox
from datetime import UTC, date, datetime, timedelta
from email import policy
from pathlib import Path

import pytest
import time_machine

from connectors.mail import OutboxTransport, Sender
from tasks.common.messages import deliver
from tasks.grants.digests import (
    FLOW,
    DeadlineNotice,
    DigestRun,
    build_digests,
    plan_deadline_notices,
    record_reminders,
    recorded_reminders,
)
from tasks.grants.plan import plan_grant_pipeline
from weaver.clock import network_clock
from weaver.config import WeaverConfig, parse_config
from weaver.state import StateDB, suppressions, utcnow

DEADLINE = date(2026, 12, 20)
HEAD = ["Funder", "Title", "Stage", "Deadline", "Owner"]
WEAVER, GRANTS = "weaver@weaving.example.org", "grants@weaving.example.org"


def config(lang: str = "en") -> WeaverConfig:
    return parse_config({
        "network": {"default_language": lang, "timezone": "Asia/Shanghai", "name": "Demo 示范"},
        "tables": {"backend": "workbook", "path": "x.xlsx"},
    })  # fmt: skip


GRID = [
    HEAD,
    ["Ford Foundation", "Climate Justice Narratives", "writing", DEADLINE.isoformat(), WEAVER],
    ["壹基金", "社区韧性项目", "qualifying", DEADLINE.isoformat(), f"{WEAVER}, {GRANTS}"],
    ["OSF", "Already submitted", "submitted", DEADLINE.isoformat(), WEAVER],
    ["爱德基金会", "Declined", "declined", DEADLINE.isoformat(), WEAVER],
]


class Network:
    def __init__(self, root: Path, cfg: WeaverConfig) -> None:
        self.cfg, self.root = cfg, root
        self.db = StateDB(f"sqlite:///{root / 'weaver.db'}")
        self.outbox = OutboxTransport(root / "outbox", Sender("hello@weaving.example.org", "Demo"))

    def run_on(self, day: date, grid: list[list[str]] = GRID, dry_run: bool = False) -> DigestRun:
        """A refresh at 09:00 in Shanghai on `day`, with the clock frozen there."""
        moment = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai
        with time_machine.travel(moment, tick=False):
            today = network_clock(self.cfg.network.timezone).today
            plan = plan_grant_pipeline(grid, self.cfg, [], {}, {}, [], today, "x.xlsx")
            lang = self.cfg.network.default_language
            notices = plan_deadline_notices(plan.opportunities, today, self.cfg.grants.digest_days, lang)
            return self.send(notices, dry_run)

    def send(self, notices: list[DeadlineNotice], dry_run: bool) -> DigestRun:
        """What the flow does after its plan, less the approval gate (these tests are about the reminder rules)."""
        digests = build_digests(notices, recorded_reminders(self.db, notices), self.cfg, self.cfg.tabs.opportunities)
        if not digests:
            return DigestRun(notices, [], None)
        delivery = deliver([d.message for d in digests], self.outbox, self.db, FLOW, dry_run=dry_run,
                           previews_dir=self.root / "previews")  # fmt: skip
        record_reminders(digests, delivery, self.db, dry_run)
        return DigestRun(notices, digests, delivery)

    def mails(self) -> list[email.message.EmailMessage]:
        return self.outbox.messages()  # type: ignore[return-value]


@pytest.fixture
def net(tmp_path: Path) -> Network:
    return Network(tmp_path, config())


def to(mails: list[email.message.EmailMessage], owner: str) -> list[str]:
    return sorted(str(m["Subject"]) for m in mails if m["To"].addresses[0].addr_spec == owner)


def test_each_threshold_is_announced_once(net: Network) -> None:
    sent_per_day = {}
    for before in (20, 15, 14, 13, 13, 8, 7, 6, 3, 2, 1, 0, -1):
        run = net.run_on(DEADLINE - timedelta(days=before))
        sent_per_day.setdefault(before, []).append(run.summary()["digests_sent"])
    assert sent_per_day == {20: [0], 15: [0], 14: [2], 13: [0, 0], 8: [0], 7: [2], 6: [0], 3: [0], 2: [2],
                            1: [0], 0: [0], -1: [0]}  # fmt: skip
    assert to(net.mails(), GRANTS) == [
        "Grant deadline in 14 days: 社区韧性项目", "Grant deadline in 2 days: 社区韧性项目",
        "Grant deadline in 7 days: 社区韧性项目",
    ]  # fmt: skip
    assert len(to(net.mails(), WEAVER)) == 3  # one digest per threshold, both of the weaver's deadlines in each


def test_one_digest_per_owner_lists_all_their_deadlines(net: Network) -> None:
    net.run_on(DEADLINE - timedelta(days=7))
    [mail] = [m for m in net.mails() if m["To"].addresses[0].addr_spec == WEAVER]
    assert mail["Subject"] == "2 grant deadlines coming up"
    body = mail.get_body(("plain",)).get_content()
    assert "Climate Justice Narratives" in body and "社区韧性项目" in body
    assert "Already submitted" not in body and "Declined" not in body  # no reminders once submitted or decided


def test_first_seen_close_to_the_deadline_gets_the_tightest_reminder_only(net: Network) -> None:
    assert net.run_on(DEADLINE - timedelta(days=5)).summary()["digests_sent"] == 2
    assert net.run_on(DEADLINE - timedelta(days=4)).summary()["digests_sent"] == 0  # the 14-day one is not sent late
    assert to(net.mails(), GRANTS) == ["Grant deadline in 5 days: 社区韧性项目"]
    assert net.run_on(DEADLINE - timedelta(days=2)).summary()["digests_sent"] == 2


def test_the_network_time_zone_decides_the_day(net: Network) -> None:
    with time_machine.travel(datetime(2026, 11, 23, 17, 0, tzinfo=UTC), tick=False):
        # already 01:00 on the 24th in Shanghai
        assert network_clock(net.cfg.network.timezone).today == date(2026, 11, 24)


def test_a_crash_between_sending_and_recording_repeats_nothing(net: Network) -> None:
    day = DEADLINE - timedelta(days=7)
    plan = plan_grant_pipeline(GRID, net.cfg, [], {}, {}, [], day, "x.xlsx")
    notices = plan_deadline_notices(plan.opportunities, day, (14, 7, 2), "en")
    digests = build_digests(notices, set(), net.cfg, "Opportunities")
    deliver([d.message for d in digests], net.outbox, net.db, "grant-pipeline")  # sent; then the process died
    rerun = net.run_on(day)
    assert rerun.summary()["digests_already_sent"] == 2 and rerun.summary()["digests_sent"] == 0
    assert len(net.mails()) == 2
    assert net.run_on(day + timedelta(days=1)).summary()["reminders_due"] == 0  # recorded on the rerun


def test_dry_run_sends_nothing_and_previews_the_digest(net: Network) -> None:
    run = net.run_on(DEADLINE - timedelta(days=7), dry_run=True)
    assert run.summary()["digests_would_send"] == 2 and net.mails() == []
    assert (net.root / "previews" / "index.html").is_file()
    assert net.run_on(DEADLINE - timedelta(days=7)).summary()["digests_sent"] == 2  # nothing was recorded


def test_a_suppressed_owner_is_never_emailed(net: Network) -> None:
    with net.db.begin() as conn:
        conn.execute(suppressions.insert().values(email=GRANTS, reason="requested", source="coordinator",
                                                  created_at=utcnow()))  # fmt: skip
    run = net.run_on(DEADLINE - timedelta(days=7))
    assert run.summary()["digests_suppressed"] == 1 and to(net.mails(), GRANTS) == []


def test_digest_in_chinese(tmp_path: Path) -> None:
    net = Network(tmp_path, config("zh"))
    net.run_on(DEADLINE - timedelta(days=1))
    subjects = to(net.mails(), GRANTS)
    assert subjects == ["资助截止提醒（明天）：社区韧性项目"]
    box = mailbox.Maildir(tmp_path / "outbox", create=False)
    raw = email.message_from_bytes(box.get_bytes(box.keys()[0]), policy=policy.default)
    assert "截止日期 2026-12-20" in raw.get_body(("plain",)).get_content()
