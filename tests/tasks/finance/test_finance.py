"""finance rules, without Prefect: periods, the tabs read row by row, bank CSV import and its dedupe, currency
handling (converted only at a given rate), alerts at 80% and 100% once, restricted grants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tasks.finance.finance import BankFile, convert, parse_period
from tasks.finance.plan import FinancePlan, cells_of, plan_finance
from weaver.config import WeaverConfig, parse_config
from weaver.errors import SourceError

TODAY = date(2026, 11, 24)
BUDGET = [
    ["line", "owner", "amount", "currency", "period", "grant"],
    ["Travel", "ana@example.org", "10,000", "CNY", "2026", ""],
    ["Venues", "ben@example.org", "¥20,000", "", "2026 Q4", ""],
    ["Workshops", "ben@example.org", "5000", "USD", "2026年", "Tencent community grant"],
    ["Office", "", "3000", "CNY", "2026-13", ""],
    ["", "x@example.org", "100", "CNY", "2026", ""],
]
HEADER = ["date", "line", "amount", "currency", "description", "transaction_id", "grant"]


def config(**finance: Any) -> WeaverConfig:
    return parse_config({
        "tables": {"backend": "workbook", "path": "x.xlsx"}, "network": {"name": "Net", "default_language": "en"},
        "grants": {"base_currency": "CNY", "rates": {"USD": 7.0}}, "finance": finance,
    })  # fmt: skip


def bank_cfg() -> dict[str, Any]:
    return {"bank_imports": [{"name": "cmb", "folder": "bank", "encoding": "utf-8",
                              "columns": {"date": "交易日期", "debit": "支出", "credit": "收入",
                                          "description": "摘要"}}],
            "categories": {"机票": "Travel", "场地": "Venues"}}  # fmt: skip


def plan(txs: list[list[str]], bank: dict[str, list[BankFile]] | None = None, before: set[str] | None = None,
         **finance: Any) -> FinancePlan:  # fmt: skip
    return plan_finance(BUDGET, [HEADER, *txs], bank or {}, config(**finance), TODAY, "x.xlsx", before or set())


def test_periods_are_years_months_and_quarters_in_english_and_chinese() -> None:
    assert parse_period("2026").label == "2026"  # type: ignore[union-attr]
    assert parse_period("2026年11月") == parse_period("2026-11")
    q4 = parse_period("2026年第四季度")
    assert (
        q4 == parse_period("2026 Q4")
        and q4 is not None
        and (q4.start, q4.end) == (date(2026, 10, 1), date(2026, 12, 31))
    )
    assert parse_period("2026-13") is None and parse_period("next year") is None


def test_the_budget_is_read_row_by_row_with_reasons() -> None:
    p = plan([])
    assert [(ln.line, ln.amount, ln.currency, ln.period.label) for ln in p.lines] == [
        ("Travel", Decimal(10000), "CNY", "2026"), ("Venues", Decimal(20000), "CNY", "2026 Q4"),
        ("Workshops", Decimal(5000), "USD", "2026"),
    ]  # fmt: skip
    assert p.budget_problems == [(5, "bad_period"), (6, "no_line")]


# currency handling --------------------------------------------------------------------------------------------
def test_money_is_converted_only_where_a_rate_is_given() -> None:
    def rate(c: str) -> Decimal | None:
        return config().grants.rate(c)

    assert convert(Decimal(100), "USD", "CNY", rate) == Decimal(700)
    assert convert(Decimal(700), "CNY", "USD", rate) == Decimal(100)
    assert convert(Decimal(100), "GBP", "CNY", rate) is None


def test_spending_in_another_currency_counts_at_the_rate_or_stands_apart() -> None:
    p = plan([
        ["2026-03-01", "Travel", "-7,000", "CNY", "train", "", ""],
        ["2026-04-01", "Travel", "-100", "USD", "visa", "", ""],
        ["2026-05-01", "Travel", "-50", "GBP", "taxi", "", ""],
        ["2026-06-01", "Travel", "200", "CNY", "refund", "", ""],
    ])  # fmt: skip
    travel = next(a for a in p.actuals if a.line.line == "Travel")
    assert travel.spent == Decimal(7000 + 700 - 200) and travel.percent == 75
    assert travel.unconverted == {"GBP": Decimal(50)}
    assert [(tx.row, why) for tx, why in p.uncounted] == [(4, "no_rate")]


def test_rows_counted_nowhere_say_why() -> None:
    p = plan([
        ["2026-03-01", "", "-10", "CNY", "", "", ""],
        ["2026-03-01", "Catering", "-10", "CNY", "", "", ""],
        ["2026-03-01", "Venues", "-10", "CNY", "", "", ""],  # Venues is budgeted for Q4 only
        ["2026-03-01", "", "500", "CNY", "a donation", "", ""],  # money in without a line: income, fine
        ["someday", "Travel", "-10", "CNY", "", "", ""],
    ])  # fmt: skip
    assert [(tx.row, why) for tx, why in p.uncounted] == [(2, "no_line"), (3, "unknown_line"), (4, "outside_period")]
    assert p.transactions.problems == [(6, "bad_date")]


# alerts ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("spent", "alert"), [("7,999", None), ("8,000", 80), ("9,999", 80), ("10,000", 100), ("12,000", 100)]
)
def test_an_owner_hears_at_80_and_at_100_percent_each_once(spent: str, alert: int | None) -> None:
    p = plan([["2026-03-01", "Travel", f"-{spent}", "CNY", "", "", ""]])
    assert [a.key.rsplit(":", 1)[1] for a in p.alerts] == ([str(alert)] if alert else [])
    if alert:
        [message] = p.messages
        assert message.to_email == "ana@example.org" and message.member_id is None
        assert message.key == p.alerts[0].key and f"{alert}%" in message.text and "Travel" in message.subject


# bank import ----------------------------------------------------------------------------------------------------
EXPORT = (
    "交易日期,摘要,支出,收入\n2026-11-20,机票 北京-昆明,1200.00,\n2026-11-21,咖啡,35.00,\n2026-11-21,咖啡,35.00,\n"
    "2026-11-22,资助款,,50000\n"
)


def test_bank_rows_are_imported_with_a_stable_id_and_a_line_from_a_keyword() -> None:
    p = plan([], {"cmb": [BankFile("nov.csv", EXPORT)]}, **bank_cfg())
    assert [(tx.day.day, tx.amount, tx.line) for tx in p.imported] == [
        (20, Decimal(-1200), "Travel"), (21, Decimal(-35), ""), (21, Decimal(-35), ""), (22, Decimal(50000), ""),
    ]  # fmt: skip
    assert len({tx.transaction_id for tx in p.imported}) == 4  # two identical coffees are two rows
    cells = cells_of(p.writes)
    assert {c.row for c in cells} == {2, 3, 4, 5} and ("2026-11-20" in {c.value for c in cells})
    travel = next(a for a in p.actuals if a.line.line == "Travel")
    assert travel.spent == Decimal(1200)


def test_a_statement_downloaded_twice_or_overlapping_adds_nothing_twice() -> None:
    first = plan([], {"cmb": [BankFile("nov.csv", EXPORT)]}, **bank_cfg())
    tab = [[tx.day.isoformat(), tx.line, str(tx.amount), "CNY", tx.description, tx.transaction_id, ""]
           for tx in first.imported]  # fmt: skip
    overlap = EXPORT + "2026-11-23,场地租金,3000,\n"
    second = plan(tab, {"cmb": [BankFile("nov.csv", EXPORT), BankFile("nov-late.csv", overlap)]}, **bank_cfg())
    assert [(tx.description, tx.line) for tx in second.imported] == [("场地租金", "Venues")]
    assert second.duplicates == 8 and [c.row for c in cells_of(second.writes)][0] == 6


def test_a_row_imported_before_and_deleted_from_the_tab_stays_deleted() -> None:
    first = plan([], {"cmb": [BankFile("nov.csv", EXPORT)]}, **bank_cfg())
    ids = {tx.transaction_id for tx in first.imported}
    assert plan([], {"cmb": [BankFile("nov.csv", EXPORT)]}, before=ids, **bank_cfg()).imported == []


def test_importing_needs_a_transaction_id_column_and_bad_bank_rows_are_listed() -> None:
    with pytest.raises(SourceError, match="transaction_id"):
        plan_finance(BUDGET, [["date", "amount"]], {"cmb": []}, config(**bank_cfg()), TODAY, "x.xlsx")
    bad = "交易日期,摘要,支出,收入\nyesterday,x,1,\n2026-11-20,y,lots,\n"
    p = plan([], {"cmb": [BankFile("a.csv", bad), BankFile("b.csv", None, "encoding")]}, **bank_cfg())
    assert p.bank_problems == [("a.csv", 2, "bad_date"), ("a.csv", 3, "bad_amount"), ("b.csv", 0, "encoding")]


# restricted grants ---------------------------------------------------------------------------------------------
def test_restricted_grant_income_is_shown_against_its_spending() -> None:
    p = plan([
        ["2026-02-01", "", "35,000", "CNY", "first tranche", "", "Tencent community grant"],
        ["2026-03-01", "Workshops", "-1000", "USD", "facilitators", "", ""],  # on a line the grant pays for
        ["2026-04-01", "Travel", "-2000", "CNY", "site visit", "", "Tencent community grant"],
    ])  # fmt: skip
    [grant] = p.grants
    assert grant.income == {"CNY": Decimal(35000)} and grant.budget == {"USD": Decimal(5000)}
    assert grant.spent == {"USD": Decimal(1000), "CNY": Decimal(2000)}  # per currency, never added up


def test_spending_per_month_is_in_the_base_currency_where_a_rate_allows() -> None:
    p = plan([["2026-03-01", "Travel", "-100", "USD", "", "", ""], ["2026-03-05", "Travel", "-50", "GBP", "", "", ""]])
    assert p.months["2026-03"] == {"CNY": Decimal(700), "GBP": Decimal(50)} and p.months["2026-04"] == {}
