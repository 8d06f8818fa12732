"""funder-stewardship rules, without Prefect: cadences, contact due, report reminders once per threshold under
a pinned date, prep sheets with the pipeline and the fact sheet, and report deadlines for calendar.ics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tasks.funders.funders import calendar_deadlines, parse_cadence, parse_funders, parse_pipeline
from tasks.funders.plan import FunderPlan, plan_funders
from weaver.config import WeaverConfig, parse_config

TODAY = date(2026, 11, 24)
HEADER = ["funder", "owner", "cadence", "last_contact", "report_due", "next_meeting", "notes"]
PIPELINE = [
    ["Funder", "Title", "Amount", "Currency", "Stage", "Deadline"],
    ["Ford Foundation", "Narratives", "50,000", "USD", "writing", "2026-12-20"],
    ["Ford Foundation", "Civic data", "120,000", "USD", "awarded", ""],
    ["Ford Foundation", "Old idea", "10,000", "USD", "declined", ""],
    ["Other Fund", "Not theirs", "1", "USD", "writing", ""],
]


def config(**funders: Any) -> WeaverConfig:
    return parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"},
                         "network": {"name": "Net", "default_language": "en"}, "funders": funders})  # fmt: skip


def d(days: int) -> str:
    return (TODAY + timedelta(days=days)).isoformat()


def plan(rows: list[list[str]], today: date = TODAY, fact_sheet: str = "") -> FunderPlan:
    cfg = config()
    funders = parse_funders([HEADER, *rows], cfg.funders)
    return plan_funders(funders, parse_pipeline(PIPELINE, {}), fact_sheet, cfg, today)


@pytest.mark.parametrize(
    ("text", "days"),
    [("monthly", 30), ("Quarterly", 91), ("每季度", 91), ("90", 90), ("6 weeks", 42), ("60天", 60), ("每两周", 14),
     ("every 2 months", 60), ("sometimes", None), ("0", None)],
)  # fmt: skip
def test_cadences_in_english_and_chinese(text: str, days: int | None) -> None:
    assert parse_cadence(text) == days


def test_contact_is_due_a_cadence_after_the_last_and_keyed_by_that_date() -> None:
    assert plan([["Ford Foundation", "a@x.org", "monthly", d(-29), "", "", ""]]).nudges == []
    [nudge] = plan([["Ford Foundation", "a@x.org", "monthly", d(-35), "", "", ""]]).nudges
    assert (nudge.kind, nudge.day, nudge.days) == ("contact", TODAY - timedelta(days=5), 5)
    later = plan([["Ford Foundation", "a@x.org", "monthly", d(-35), "", "", ""]], TODAY + timedelta(days=9))
    assert [n.key for n in later.nudges] == [nudge.key]  # the same due date: one reminder, however many runs
    logged = plan([["Ford Foundation", "a@x.org", "monthly", d(0), "", "", ""]], TODAY + timedelta(days=31))
    assert logged.nudges[0].key != nudge.key  # a logged contact starts the next cadence


def test_report_reminders_are_once_per_threshold_day_by_day() -> None:
    keys: list[str] = []
    for offset in range(-40, 5):
        keys += [n.key for n in plan([["Ford Foundation", "a@x.org", "", "", "2026-12-31", "", ""]],
                                     date(2026, 12, 31) + timedelta(days=offset)).nudges]  # fmt: skip
    thresholds = [k.rsplit(":", 1)[1] for k in dict.fromkeys(keys)]
    assert thresholds == ["30", "7", "1"]


def test_a_prep_sheet_before_a_meeting_names_open_opportunities_awards_and_the_fact_sheet() -> None:
    p = plan([["Ford Foundation", "a@x.org", "", d(-10), d(40), d(2), "Bring the theory of change"]],
             fact_sheet="impact/2026-q3-fact-sheet.pdf")  # fmt: skip
    [nudge] = p.nudges
    [message] = p.messages
    assert nudge.kind == "prep" and message.purpose == "funder_prep" and message.to_email == "a@x.org"
    assert "Narratives" in message.text and "Civic data" in message.text and "Not theirs" not in message.text
    assert "Old idea" not in message.text and "impact/2026-q3-fact-sheet.pdf" in message.text
    assert plan([["Ford Foundation", "a@x.org", "", "", "", d(4), ""]]).nudges == []  # beyond prep_days


def test_rows_without_an_owner_are_listed_and_bad_cells_named() -> None:
    p = plan([["壹基金", "", "每月", "", "", "", ""], ["Packard", "a@x.org", "now and then", "soon", "", "", ""],
              ["", "a@x.org", "monthly", "", "", "", ""]])  # fmt: skip
    assert p.messages == [] or [m.to_email for m in p.messages] == []
    assert [n.funder.name for n in p.no_owner] == ["壹基金"]
    assert p.funders.problems == [(3, "bad_cadence"), (3, "bad_last_contact"), (4, "no_funder")]


def test_report_deadlines_from_today_on_go_to_the_calendar() -> None:
    grid = [HEADER, ["Ford Foundation", "", "", "", d(10), "", ""], ["Old", "", "", "", d(-1), "", ""]]
    assert calendar_deadlines(grid, config().funders, TODAY) == [(2, "Ford Foundation", TODAY + timedelta(days=10))]
    assert calendar_deadlines([["something else"]], config().funders, TODAY) == []
