"""Chat prompts, planned without Prefect: questions on their day, the weekly digest, event reminders, each keyed
so the ledger posts it once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from connectors.workbook import WorkbookTables
from tasks.prompts.plan import plan_prompts
from tasks.prompts.prompts import digest_due, week_key
from tasks.prompts.read import PromptSources
from tests.conftest import DEMO_DAY
from weaver.config import load_config

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 24 November 2026, 09:00 in Shanghai
PROMPTS = [["编号", "日期", "中文问题", "英文问题", "状态"],
           ["q-47", "2026-11-23", "你最近读了什么好书？", "What have you read lately?", ""],
           ["q-48", "2026-11-30", "下周的问题", "Next week's question", ""],
           ["q-40", "2026-10-05", "很久以前", "Long ago", ""],
           ["q-draft", "2026-11-24", "草稿问题", "Draft", "草稿"],
           ["q-bad", "下周一", "日期不对", "Bad date", ""]]  # fmt: skip
NEWCOMERS = [
    {"name": "新成员甲", "joined": "2026-11-20", "directory": "是"},
    {"name": "Not Listed", "joined": "2026-11-21", "directory": "否"},
    {"name": "Old Member", "joined": "2025-01-01", "directory": "yes"},
]


def plan_for(ws: Path, now: datetime = NOW, today: date = DEMO_DAY):  # type: ignore[no-untyped-def]
    config = load_config(ws / "weaver.toml")
    tables = WorkbookTables(ws / "network.xlsx")
    sources = PromptSources(PROMPTS, tables.read_tab("Events"), tables.read_tab("Opportunities"), NEWCOMERS)
    return plan_prompts(sources, config, now, today)


def test_the_due_question_is_posted_once_in_both_languages_and_late_or_draft_ones_are_not(demo_ws: Path) -> None:
    plan = plan_for(demo_ws)
    questions = [m for m in plan.messages if m.kind == "prompt"]
    assert [(m.key, m.body) for m in questions] == [
        ("chat-prompt:q-47", "你最近读了什么好书？\nWhat have you read lately?")
    ]
    assert questions[0].title == "本周问题 · Question of the week"
    assert plan.waiting == 1 and plan.missed == ["q-40"]
    assert plan.problems == ["Prompts!B6: 日期格式不对（应为 2026-12-01 或 2026-12-01 09:00）"]


def test_the_weekly_digest_lists_the_weeks_events_deadlines_and_listed_newcomers_only(demo_ws: Path) -> None:
    digest = next(m for m in plan_for(demo_ws).messages if m.kind == "digest")
    assert digest.key == "chat-digest:2026-W48" and digest.title == "本周看点 · What's on this week"
    assert "开放数据工作坊 · Open Data Clinic https://forms.example.org/rsvp?event=open-data-clinic" in digest.body
    assert "Climate Action Roundtable" not in digest.body  # 1 December 19:00: more than 7 days ahead
    lines = digest.body.splitlines()
    deadlines = lines[lines.index("未来 14 天的截止日期 · Deadlines in the next 14 days") + 1 : -2]
    assert deadlines and deadlines == sorted(deadlines)  # soonest first
    assert "新成员甲" in digest.body and "Not Listed" not in digest.body and "Old Member" not in digest.body
    assert digest_due(date(2026, 11, 23), "monday") and not digest_due(date(2026, 11, 23), "wednesday")
    assert week_key(date(2026, 11, 29)) == week_key(date(2026, 11, 23)) == "2026-W48"


def test_an_event_is_reminded_once_within_the_hours_before_it_starts(demo_ws: Path) -> None:
    assert not [m for m in plan_for(demo_ws).messages if m.kind == "reminder"]  # the clinic is 2 days away
    day_before = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 15:00 in Shanghai; the clinic starts 26 Nov 14:00
    reminders = [m for m in plan_for(demo_ws, day_before, date(2026, 11, 25)).messages if m.kind == "reminder"]
    assert [m.key for m in reminders] == ["chat-reminder:open-data-clinic:2026-11-26T14:00:00+08:00"]
    assert reminders[0].body.startswith("提醒：开放数据工作坊 · Open Data Clinic 将于 2026年11月26日 14:00 开始")
    assert "Reminder: 开放数据工作坊 · Open Data Clinic starts 26 Nov 2026 14:00" in reminders[0].body
