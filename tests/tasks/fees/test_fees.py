"""membership-fees rules, without Prefect: reminder timing under a pinned date, what a payment renews,
overdue caps, receipts, and the Payments tab read row by row."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tasks.fees.fees import FeeMember, Payment, Payments, add_months, fee_member, parse_payments, renewed_until
from tasks.fees.plan import FeePlan, plan_fees
from weaver.config import WeaverConfig, parse_config

EXPIRY = date(2026, 12, 31)


def config(**fees: Any) -> WeaverConfig:
    base = {"reminder_days": [30, 7, 1], "overdue_reminders": 2, "overdue_every_days": 14,
            "coordinator_email": "coord@example.org", "how_to_pay_en": "Bank transfer to 123",
            "how_to_pay_zh": "银行转账至 123"}  # fmt: skip
    return parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"},
                         "network": {"name": "Net", "default_language": "en"},
                         "grants": {"fee_currency": "CNY"}, "fees": base | fees})  # fmt: skip


def member(mid: str = "m1", paid_until: date | None = EXPIRY, fee: str = "500", lang: str = "zh",
           consent: str = "yes") -> FeeMember:  # fmt: skip
    fields = {"name": f"Name {mid}", "language": lang, "consent": consent, "fee": fee,
              "paid_until": paid_until.isoformat() if paid_until else ""}  # fmt: skip
    return fee_member({"member_id": mid, "email": f"{mid}@example.org", "fields": fields})


def pay(
    mid: str, paid_on: date, amount: str = "500", ref: str = "", until: date | None = None, row: int = 2
) -> Payment:
    return Payment(row, f"{mid}@example.org", paid_on, Decimal(amount), "CNY", ref, until)


def plan_on(today: date, members: list[FeeMember] | None = None, payments: list[Payment] | None = None,
            sent: set[str] | None = None, **fees: Any) -> FeePlan:  # fmt: skip
    return plan_fees(members or [member()], Payments(payments or []), sent or set(), config(**fees), today, "CNY")


def due_keys(plan: FeePlan) -> list[str]:
    return [m.key for m in plan.messages if m.purpose in ("fee_reminder", "fee_overdue")]


# reminder timing, day by day ---------------------------------------------------------------------------------
def test_each_threshold_has_one_key_per_paid_until_date_day_by_day() -> None:
    """Walk the clock from 40 days before to 80 days after: the distinct keys are the reminders sent."""
    keys: list[str] = []
    for offset in range(-40, 81):
        keys += due_keys(plan_on(EXPIRY + timedelta(days=offset)))
    distinct = list(dict.fromkeys(keys))
    assert distinct == [
        "fee-reminder:m1:2026-12-31:30", "fee-reminder:m1:2026-12-31:7", "fee-reminder:m1:2026-12-31:1",
        "fee-overdue:m1:2026-12-31:1", "fee-overdue:m1:2026-12-31:2",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [(31, None), (30, 30), (29, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1)],
)
def test_the_tightest_threshold_reached_is_the_one_due(days_before: int, expected: int | None) -> None:
    keys = due_keys(plan_on(EXPIRY - timedelta(days=days_before)))
    assert keys == ([f"fee-reminder:m1:2026-12-31:{expected}"] if expected else [])


def test_a_member_first_seen_five_days_before_gets_the_seven_day_reminder_only() -> None:
    assert due_keys(plan_on(EXPIRY - timedelta(days=5))) == ["fee-reminder:m1:2026-12-31:7"]


@pytest.mark.parametrize(
    ("days_after", "expected"),
    [(1, 1), (14, 1), (15, 2), (40, 2), (60, 2), (61, None)],
)
def test_overdue_emails_are_capped_and_stop_after_the_email_window(days_after: int, expected: int | None) -> None:
    keys = due_keys(plan_on(EXPIRY + timedelta(days=days_after)))
    assert keys == ([f"fee-overdue:m1:2026-12-31:{expected}"] if expected else [])


def test_no_overdue_email_when_the_network_sets_none_but_the_member_is_listed() -> None:
    plan = plan_on(EXPIRY + timedelta(days=3), overdue_reminders=0)
    assert due_keys(plan) == [] and [o.member.member_id for o in plan.overdue] == ["m1"]


def test_the_overdue_list_counts_emails_earlier_runs_sent() -> None:
    sent = {"fee-overdue:m1:2026-12-31:1"}
    plan = plan_on(EXPIRY + timedelta(days=20), sent=sent)
    [overdue] = plan.overdue
    assert (overdue.days, overdue.emails_before) == (20, 1)
    [listing] = [m for m in plan.messages if m.purpose == "fee_overdue_list"]
    assert listing.member_id is None and "1 of 2" in listing.text and "Name m1" in listing.text


def test_the_overdue_list_key_changes_only_when_the_list_does() -> None:
    def key(plan: FeePlan) -> str:
        return next(m.key for m in plan.messages if m.purpose == "fee_overdue_list")

    a, b = plan_on(EXPIRY + timedelta(days=3)), plan_on(EXPIRY + timedelta(days=9))
    assert key(a) == key(b)
    two = [member(), member("m2", paid_until=EXPIRY + timedelta(days=5))]
    assert key(plan_on(EXPIRY + timedelta(days=9), two)) != key(a)


# payments ---------------------------------------------------------------------------------------------------
def test_a_payment_stops_the_reminders_and_sends_one_receipt() -> None:
    today = EXPIRY - timedelta(days=6)
    assert due_keys(plan_on(today)) == ["fee-reminder:m1:2026-12-31:7"]
    plan = plan_on(today, payments=[pay("m1", today - timedelta(days=1), ref="BANK-77")])
    assert due_keys(plan) == []
    assert plan.until["m1"] == date(2027, 12, 31)
    [receipt] = [m for m in plan.messages if m.purpose == "fee_receipt"]
    assert receipt.language == "zh" and "CNY 500" in receipt.text and "2027-12-31" in receipt.text
    assert receipt.key == plan.receipts[0].key and receipt.key.startswith("fee-receipt:ref-")


def test_a_payment_after_paid_until_also_renews_from_paid_until() -> None:
    assert renewed_until(EXPIRY, [pay("m1", EXPIRY + timedelta(days=20))], config().fees) == date(2027, 12, 31)


def test_an_early_payment_is_taken_as_counted_in_the_sheet_already() -> None:
    """The coordinator typed the new paid-until into the members tab after the payment: no second year."""
    new_until = date(2027, 12, 31)
    assert renewed_until(new_until, [pay("m1", EXPIRY - timedelta(days=3))], config().fees) == new_until


def test_a_payment_with_its_own_paid_until_sets_it() -> None:
    payment = pay("m1", EXPIRY - timedelta(days=2), until=date(2027, 6, 30))
    assert renewed_until(EXPIRY, [payment], config().fees) == date(2027, 6, 30)


def test_a_member_without_a_date_is_paid_for_a_term_from_the_payment() -> None:
    assert renewed_until(None, [pay("m1", date(2026, 1, 31))], config().fees) == date(2027, 1, 31)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_old_payments_send_no_receipt_and_unknown_payers_are_listed() -> None:
    today = date(2026, 12, 1)
    plan = plan_on(today, payments=[pay("m1", today - timedelta(days=90)), pay("stranger", today, row=3)])
    assert plan.receipts == [] and [p.row for p in plan.unmatched] == [3]


def test_no_reminder_and_no_receipt_language_mixup_for_english_members() -> None:
    plan = plan_on(EXPIRY - timedelta(days=1), [member(lang="en")])
    [reminder] = plan.messages[:1]
    assert reminder.language == "en" and "CNY 500" in reminder.text and "Bank transfer to 123" in reminder.text
    assert "1 day from now" in reminder.text


def test_members_without_a_fee_get_nothing_and_unreadable_cells_are_listed() -> None:
    plan = plan_on(
        EXPIRY - timedelta(days=1), [member(fee=""), member("m2", fee="a lot"), member("m3", paid_until=None)]
    )
    assert plan.messages == [] and [m.member_id for m in plan.members] == ["m3"]
    assert [m.member_id for m in plan.unreadable] == ["m2"] and [m.member_id for m in plan.undated] == ["m3"]


# the Payments tab -------------------------------------------------------------------------------------------
def test_the_payments_tab_is_read_row_by_row_with_reasons_and_a_repeated_reference_counts_once() -> None:
    grid = [
        ["email", "paid_on", "amount", "currency", "reference"],
        ["M1@Example.org ", "2026/12/20", "¥500", "", "BANK-1"],
        ["m2@example.org", "2026-12-21", "US$ 70", "", ""],
        ["", "2026-12-21", "500", "", ""],
        ["m3@example.org", "next week", "500", "", ""],
        ["m3@example.org", "2026-12-21", "lots", "", ""],
        ["m3@example.org", "2026-12-21", "500", "doubloons", ""],
        ["", "", "", "", ""],
        ["m1@example.org", "2026-12-20", "500", "CNY", "BANK-1"],
    ]
    read = parse_payments(grid, config().fees, "CNY")
    assert [(p.email, p.paid_on, p.amount, p.currency) for p in read.payments] == [
        ("m1@example.org", date(2026, 12, 20), Decimal(500), "CNY"),
        ("m2@example.org", date(2026, 12, 21), Decimal(70), "USD"),
    ]
    assert read.problems == [(4, "no_email"), (5, "bad_date"), (6, "bad_amount"), (7, "bad_currency")]
    assert read.duplicates == [9]


def test_a_payments_tab_without_a_required_column_names_it() -> None:
    from weaver.errors import SourceError

    with pytest.raises(SourceError, match="'amount'.*payment_columns"):
        parse_payments([["email", "paid_on"]], config().fees, "CNY", "network.xlsx")
