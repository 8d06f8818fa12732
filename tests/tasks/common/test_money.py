"""Money as coordinators type it; never summed across currencies without a rate."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tasks.common.money import fee_income, in_units, money_totals, parse_amount, parse_currency, parse_probability

RATES = {"CNY": Decimal(1), "USD": Decimal("7.10"), "EUR": Decimal("7.70")}


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("300,000", "300000", None),
        ("¥500,000", "500000", "CNY"),
        ("￥12,000", "12000", "CNY"),
        ("12,000元", "12000", "CNY"),
        ("50万", "500000", None),
        ("$75k", "75000", "USD"),
        ("US$ 1,250.50", "1250.50", "USD"),
        ("€40,000", "40000", "EUR"),
        ("30000 欧元", "30000", "EUR"),
        ("１２０，０００", "120000", None),
        ("1.2M", "1200000", None),
    ],
)
def test_amounts_in_cny_usd_eur_as_people_type_them(text: str, amount: str, currency: str | None) -> None:
    assert parse_amount(text) == (Decimal(amount), currency)


@pytest.mark.parametrize("text", ["待定", "5-10k", "about 3", "3 apples"])
def test_unreadable_amounts_are_errors_not_zero(text: str) -> None:
    with pytest.raises(ValueError):
        parse_amount(text)


def test_currency_names_in_english_and_chinese() -> None:
    assert [parse_currency(x) for x in ("cny", "人民币", "RMB", "美元", "usd", "欧元", "€", "", "jpy")] == [
        "CNY", "CNY", "CNY", "USD", "USD", "EUR", "EUR", None, "JPY",
    ]  # fmt: skip
    with pytest.raises(ValueError):
        parse_currency("dollars please")


def test_probability_as_percent_or_fraction() -> None:
    assert [parse_probability(x) for x in ("30%", "0.3", "30", "３０％", "")] == [Decimal("0.3")] * 4 + [None]
    with pytest.raises(ValueError):
        parse_probability("150%")


def test_conversion_only_where_a_rate_exists() -> None:
    totals = {"CNY": Decimal(100_000), "USD": Decimal(10_000), "EUR": Decimal(1_000), "GBP": Decimal(500)}
    converted = in_units(totals, RATES.get, "CNY")
    assert converted == {"CNY": Decimal(100_000 + 71_000 + 7_700), "GBP": Decimal(500)}
    assert money_totals(converted) == "CNY 178,700 + GBP 500"


def test_without_a_base_currency_nothing_is_added_across_currencies() -> None:
    totals = {"CNY": Decimal(100), "USD": Decimal(10)}
    assert in_units(totals, lambda c: None, "") == totals
    assert money_totals(totals) == "CNY 100 + USD 10"


def test_fee_income_by_renewal_quarter() -> None:
    today = date(2026, 11, 24)
    members = [
        {"fee": "1,000", "paid_until": "2027-02-01"},  # renews in 2027 Q1
        {"fee": "500", "paid_until": "2026-12-31"},  # 2026 Q4
        {"fee": "200", "paid_until": "2026-10-01"},  # overdue
        {"fee": "200", "paid_until": ""},  # no date: listed, not counted
        {"fee": "", "paid_until": "2027-01-01"},  # no fee
        {"fee": "300", "paid_until": "2028-06-01"},  # beyond 12 months
    ]
    income = fee_income(members, today, "CNY", Decimal("0.8"))
    assert income.by_quarter == {"2026 Q4": Decimal(400), "2027 Q1": Decimal(800)}
    assert income.expected == Decimal(1200) and income.overdue == Decimal(200)
    assert (income.members_expected, income.members_overdue, income.members_undated) == (2, 1, 1)
