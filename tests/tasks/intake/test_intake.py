"""Member intake planning, pure: where a newcomer's row goes, who is already a member, what is rejected."""

from __future__ import annotations

from connectors.tables import Cell
from tasks.intake.intake import Joiner
from tasks.intake.plan import plan_intake
from tasks.intake.read import joiners_from
from tasks.intake.report import build_intake_report, summarise_intake
from tests.helpers import config, grid, row
from weaver.ledger import ApplyResult

CFG = config()  # 姓名, 邮箱, 兴趣, 地区, 语言, 加入日期, 同意接收邮件, 会费 (+ 备注, unmapped)


def sheet() -> list[list[str]]:
    return grid(row("张伟", "zhang@example.cn"), row("Ana", "ana@example.org"), ["", "", ""], [])


def joiner(entry: str = "tally:1", **fields: str) -> Joiner:
    return Joiner(entry, {"name": "Wen", "email": "wen@example.org", **fields}, "2026-11-24T08:00:00Z")


def test_a_newcomer_gets_the_row_below_the_last_filled_row_in_mapped_columns_only() -> None:
    plan = plan_intake(sheet(), CFG, [joiner(interests="arts、data", organisation="Not in the sheet")], "t.xlsx")
    assert plan.added == {"tally:1": 4}  # rows 2-3 filled, trailing blank rows reused
    assert sorted(plan.cells["intake:tally:1"], key=lambda c: c.col) == [
        Cell(4, 1, "Wen"),
        Cell(4, 2, "wen@example.org"),
        Cell(4, 3, "arts、data"),
        Cell(4, 6, "2026-11-24"),  # joined: the day of the submission
    ]
    [action] = plan.actions
    assert (action.key, action.kind, action.idempotent) == ("intake:tally:1", "sheet-append", False)
    assert "wen" not in action.summary.casefold()  # summaries are shown in reports: no personal data


def test_someone_already_in_the_sheet_is_not_added_again() -> None:
    plan = plan_intake(sheet(), CFG, [joiner(email=" ＡＮＡ@Example.ORG ")], "t.xlsx")
    assert plan.known == {"tally:1": 3} and plan.added == {} and plan.actions == []


def test_two_submissions_with_one_email_add_one_row() -> None:
    plan = plan_intake(sheet(), CFG, [joiner("tally:1"), joiner("tally:2", email="WEN@example.org")], "t.xlsx")
    assert plan.added == {"tally:1": 4} and plan.known == {"tally:2": 4}


def test_each_new_member_gets_the_next_row() -> None:
    people = [joiner(f"tally:{n}", email=f"p{n}@example.org") for n in range(3)]
    assert plan_intake(sheet(), CFG, people, "t.xlsx").added == {"tally:0": 4, "tally:1": 5, "tally:2": 6}


def test_missing_or_invalid_fields_are_rejected_with_a_reason_naming_the_field() -> None:
    people = [joiner("tally:1", email=""), joiner("tally:2", name=" "), joiner("tally:3", email="not-an-address")]
    plan = plan_intake(sheet(), CFG, people, "t.xlsx")
    assert plan.rejected == {
        "tally:1": "email is missing",
        "tally:2": "name is missing",
        "tally:3": "email is not a valid address",
    }
    assert plan.added == {}


def test_formula_like_answers_stay_literal_text_in_the_plan() -> None:
    plan = plan_intake(sheet(), CFG, [joiner(name='=HYPERLINK("http://x","y")')], "t.xlsx")
    assert Cell(4, 1, '=HYPERLINK("http://x","y")') in plan.cells["intake:tally:1"]


def test_inbox_rows_become_joiners_with_email_and_name_from_the_payload() -> None:
    entries = [{"id": "tally:9", "payload": {"email": "a@example.org", "name": "A", "fields": {"region": "Asia"},
                                              "submitted_at": "2026-01-02T00:00:00Z"}}]  # fmt: skip
    [j] = joiners_from(entries)
    assert j == Joiner("tally:9", {"region": "Asia", "email": "a@example.org", "name": "A"}, "2026-01-02T00:00:00Z")


def test_the_report_names_joiners_and_shows_an_inbox_id_only_next_to_a_rejected_one() -> None:
    joiners = [joiner("tally:1"), joiner("tally:2", name="Ana", email="ana@example.org"), joiner("tally:3", email="x")]
    plan = plan_intake(sheet(), CFG, joiners, "t.xlsx")
    [action] = plan.actions
    report = build_intake_report(plan, ApplyResult(done=[action]), "en", dry_run=False)
    added, known, rejected = (t.rows for t in report.tables)
    assert added == [["Wen", "4"]] and known == [["Ana", "3"]]
    assert [r[:2] for r in rejected] == [["Wen", "tally:3"]]


def test_a_run_with_nothing_waiting_plans_nothing_without_reading_the_tab() -> None:
    plan = plan_intake([], CFG, [], "t.xlsx")
    assert (plan.added, plan.known, plan.rejected, plan.actions) == ({}, {}, {}, [])
    assert "member_sync" not in summarise_intake(plan, ApplyResult())  # shown only once it ran
