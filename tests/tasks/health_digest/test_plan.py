"""health-digest (pure): what needs a person, in zh and en, to the coordinators only; nothing when all is well."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from connectors.run_history import RunProblem
from tasks.health_digest.plan import SECTIONS, period_key, plan_digest
from tasks.health_digest.read import HealthFacts
from weaver.config import parse_config

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
SINCE = NOW - timedelta(days=1)


def config(**health: object) -> object:
    return parse_config({
        "tables": {"backend": "workbook", "path": "x.xlsx"},
        "network": {"name": "示范网络", "timezone": "Asia/Shanghai", "default_language": "zh"},
        "members": {"tab": "成员"},
        "health": {"coordinator_email": "coord@example.org", "coordinator_name": "Coordinator", **health},
    })  # fmt: skip


def troubled() -> HealthFacts:
    at = NOW - timedelta(hours=3)
    return HealthFacts(
        now=NOW,
        since=SINCE,
        runs=[
            RunProblem("onboarding", "wise-otter", "failed", at, "SourceError: 'Members' row 7: bad email"),
            RunProblem("newsletter", "brave-fox", "crashed", at, "its process stopped renewing its lease"),
            RunProblem("event-invites", "calm-heron", "paused", at - timedelta(days=3)),
        ],
        unknown=[{"key": "email:onboarding:m-1:welcome", "flow": "onboarding", "kind": "email"}] * 2
        + [{"key": "email:x", "flow": "event-invites", "kind": "email"}],
        quarantined=4,
        suppressed=[
            {"reason": "bounced", "source": "smtp", "created_at": at, "name": "王芳"},
            {"reason": "cleaned", "source": "mailchimp", "created_at": at, "name": ""},
            {"reason": "unsubscribed", "source": "link", "created_at": at, "name": "Ana Lima"},
        ],
        bounce_reports=2,
        last_finished={"member-sync": NOW - timedelta(days=5), "event-invites": NOW - timedelta(hours=1)},
    )


def test_each_kind_that_needs_a_person_is_a_section_with_its_count() -> None:
    plan = plan_digest(troubled(), config(), TODAY)
    assert plan.counts() == {"failed": 1, "crashed": 1, "paused": 1, "unknown": 3, "quarantined": 4,
                             "bounced": 4, "unsubscribed": 1, "stale": 1, "unreadable": 0}  # fmt: skip
    assert [s.kind for s in plan.sections] == [k for k in SECTIONS if k != "unreadable"]
    lines = {s.kind: s.lines for s in plan.sections}
    assert lines["failed"] == ["onboarding，运行 wise-otter，2026-11-24 06:00: SourceError: 'Members' row 7: bad email"]
    assert lines["paused"] == ["event-invites，运行 calm-heron，2026-11-21 06:00"]  # paused: told while it waits
    assert lines["unknown"][:2] == ["event-invites：1 项", "onboarding：2 项"]
    assert "成员" in lines["quarantined"][0]
    assert lines["bounced"] == ["王芳", "1 个不属于成员的地址", "收到 2 份退信报告"]
    assert lines["unsubscribed"] == ["Ana Lima"]
    assert lines["stale"] == ["“成员”：member-sync 上次完成于 5 天前（2026-11-19 09:00）"]  # event-invites is fresh


def test_the_digest_is_one_staff_email_to_the_coordinator_never_member_mail() -> None:
    plan = plan_digest(troubled(), config(), TODAY)
    [mail] = plan.messages
    assert mail.to_email == "coord@example.org" and mail.member_id is None and mail.purpose == "health_digest"
    assert mail.key == "email:health-digest:2026-11-24" and mail.language == "zh"
    assert mail.subject == "示范网络：有 16 项需要人来处理"
    assert "失败的运行（1）" in mail.text and "- wise-otter" not in mail.text and "wise-otter" in mail.html
    assert "email:onboarding:m-1" not in mail.text + mail.html  # no ledger keys (member ids) in the digest
    assert plan.posts == []  # chat only when [health] chat = true


def test_english_and_the_chat_post_once_a_week() -> None:
    plan = plan_digest(troubled(), config(language="en", chat=True, period="weekly"), TODAY)
    assert plan.period == "2026-W48" and plan.messages[0].key == "email:health-digest:2026-W48"
    [post] = plan.posts
    assert post.key == "chat:health-digest:2026-W48" and not post.idempotent
    assert post.payload["title"] == "示范网络: 16 thing(s) need a person"
    assert "Runs that failed (1)\n- onboarding, run wise-otter, 2026-11-24 06:00" in post.payload["body"]
    assert "Stale tabs (1)\n- '成员': member-sync last finished 5 days ago" in post.payload["body"]
    assert plan.messages[0].language == "en" and "Runs that crashed (1)" in plan.messages[0].text


def test_nothing_when_all_is_well() -> None:
    fresh = {"member-sync": NOW - timedelta(hours=2), "grant-pipeline": NOW - timedelta(days=13)}
    plan = plan_digest(HealthFacts(now=NOW, since=SINCE, last_finished=fresh), config(chat=True), TODAY)
    assert plan.all_well and plan.sections == [] and plan.messages == [] and plan.posts == []


def test_a_run_history_that_cannot_be_read_is_told_not_hidden() -> None:
    facts = HealthFacts(now=NOW, since=SINCE, runs_error="Prefect API: ConnectError")
    plan = plan_digest(facts, config(), TODAY)
    assert plan.counts()["unreadable"] == 1 and "Prefect API: ConnectError" in plan.messages[0].text


def test_without_a_coordinator_or_chat_the_digest_is_only_the_report() -> None:
    cfg = parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"}})
    plan = plan_digest(troubled(), cfg, TODAY)
    assert not plan.all_well and plan.messages == [] and plan.posts == []


def test_periods() -> None:
    assert period_key(date(2026, 12, 31), "daily") == "2026-12-31"
    assert period_key(date(2026, 12, 31), "weekly") == "2026-W53"
    assert period_key(date(2027, 1, 4), "weekly") == "2027-W01"
