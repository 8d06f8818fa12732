"""The rules of membership fees: whose fee falls due when, what a payment renews, which email is due.

* **Paid until.** A member with a fee in the members tab is paid until the tab's paid-until date, renewed by
  the payments in the Payments tab: a payment made within `renew_window_days` before that date (or any time
  after it) renews the term, to the payment's own paid-until date if it has one, else `term_months` later.
  An earlier payment is taken as already counted in the tab's date, so a coordinator who also updates the
  members tab is never credited twice. A member with no date is paid until the latest payment's term.
* **Reminders before.** At each of `reminder_days` (30, 7, 1) before the paid-until date a member hears
  once: the ledger key is `fee-reminder:<member>:<paid until>:<days>`, the tightest threshold reached, so a
  member first seen 5 days before gets the 7-day reminder only, and a rerun sends nothing. A payment moves
  the paid-until date past every threshold: the reminders stop.
* **Overdue.** Once the date has passed, a member gets at most `overdue_reminders` emails for that date,
  `overdue_every_days` apart (key `fee-overdue:<member>:<paid until>:<n>`, the n-th reminder; one missed
  is never sent late), and none once overdue for longer than `overdue_email_days`. Every overdue member is
  listed for the coordinator.
* **Receipts.** Each payment matched to a member gets one receipt (key `fee-receipt:<payment>`), for
  payments at most `receipt_days` old (a tab with years of history sends no old receipts).
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.money import parse_amount, parse_currency
from tasks.common.text import normalise_email, normalise_text
from weaver.config import FeesConfig, WeaverConfig
from weaver.models import parse_consent

FLOW = "membership-fees"
PAYMENT_PROBLEMS = (
    "no_email",
    "no_date",
    "bad_date",
    "bad_amount",
    "bad_currency",
    "bad_paid_until",
    "duplicate",
    "unmatched",
)


# members ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FeeMember:
    member_id: str
    email: str
    name: str
    organisation: str
    language: str
    consent: bool
    fee: Decimal | None  # None: no fee (or unreadable, see `problem`)
    paid_until: date | None
    problem: str = ""  # "fee" or "paid_until" when the cell could not be read


def fee_member(row: Mapping[str, Any]) -> FeeMember:
    """A member row of the state database (fields as member-sync normalised them)."""
    fields = row.get("fields") or {}
    problem = ""
    try:
        fee, _symbol = parse_amount(fields.get("fee", ""))
    except ValueError:
        fee, problem = None, "fee"
    paid_text = fields.get("paid_until", "")
    iso = parse_date(paid_text) if paid_text else None
    if paid_text and iso is None:
        problem = problem or "paid_until"
    return FeeMember(
        member_id=row["member_id"], email=row["email"], name=fields.get("name", "") or row["email"].partition("@")[0],
        organisation=fields.get("organisation", ""), language=fields.get("language", ""),
        consent=parse_consent(fields.get("consent", "")) is True, fee=fee or None,
        paid_until=date.fromisoformat(iso) if iso else None, problem=problem,
    )  # fmt: skip


def fee_currency(config: WeaverConfig) -> str:
    return config.fees.currency or config.grants.fee_currency or config.grants.base_currency


# payments ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Payment:
    row: int
    email: str
    paid_on: date
    amount: Decimal
    currency: str
    reference: str = ""
    paid_until: date | None = None

    @property
    def payment_id(self) -> str:
        """The bank's or coordinator's reference, else a hash of who, when and how much (stable across runs)."""
        if self.reference:
            return "ref-" + hashlib.blake2b(self.reference.encode(), digest_size=8).hexdigest()
        text = f"{self.email}|{self.paid_on}|{self.amount.normalize()}|{self.currency}"
        return "row-" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class Payments:
    payments: list[Payment] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row, problem code) of rows not read
    duplicates: list[int] = field(default_factory=list)  # rows repeating an earlier payment (same reference)
    missing_tab: bool = False


def parse_payments(grid: Grid | None, cfg: FeesConfig, currency: str, source: str = "") -> Payments:
    """Rows of the Payments tab; a row that cannot be read is listed with its number, never guessed."""
    if grid is None:
        return Payments(missing_tab=True)
    if not grid:
        return Payments()
    cols = Columns(grid[0], cfg.payments_tab, source)
    need = {
        f: cols.require(cfg.payment_column(f), f"[fees.payment_columns] {f}") for f in ("email", "paid_on", "amount")
    }
    opt = {f: cols.find(cfg.payment_column(f)) for f in ("currency", "reference", "paid_until")}
    out = Payments()
    seen: set[str] = set()
    for number, raw in enumerate(grid[1:], start=2):

        def cell(col: int | None, raw: list[str] = raw) -> str:
            return normalise_text(raw[col]) if col is not None and col < len(raw) else ""

        values = {f: cell(c) for f, c in (need | opt).items()}
        if not any(values.values()):
            continue
        payment, problem = _payment(number, values, currency)
        if payment is None:
            out.problems.append((number, problem))
        elif payment.payment_id in seen:
            out.duplicates.append(number)
        else:
            seen.add(payment.payment_id)
            out.payments.append(payment)
    return out


def _payment(row: int, v: Mapping[str, str], default_currency: str) -> tuple[Payment | None, str]:
    email = normalise_email(v["email"])
    if "@" not in email:
        return None, "no_email"
    if not v["paid_on"]:
        return None, "no_date"
    paid_on = parse_date(v["paid_on"])
    if paid_on is None:
        return None, "bad_date"
    try:
        amount, symbol = parse_amount(v["amount"])
    except ValueError:
        return None, "bad_amount"
    if amount is None:
        return None, "bad_amount"
    try:
        currency = parse_currency(v["currency"]) or symbol or default_currency
    except ValueError:
        return None, "bad_currency"
    until = parse_date(v["paid_until"]) if v["paid_until"] else None
    if v["paid_until"] and until is None:
        return None, "bad_paid_until"
    return Payment(row, email, date.fromisoformat(paid_on), amount, currency, v["reference"],
                   date.fromisoformat(until) if until else None), ""  # fmt: skip


# what a payment renews ---------------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewed_until(paid_until: date | None, payments: Iterable[Payment], cfg: FeesConfig) -> date | None:
    """The paid-until date after the member's payments (see the module docstring), oldest payment first."""
    until = paid_until
    for p in sorted(payments, key=lambda p: (p.paid_on, p.row)):
        if until is None:
            until = p.paid_until or add_months(p.paid_on, cfg.term_months)
        elif p.paid_on >= until - timedelta(days=cfg.renew_window_days):
            until = max(until, p.paid_until) if p.paid_until else add_months(until, cfg.term_months)
    return until


# which email is due --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Due:
    """One email due to a member about one paid-until date: a reminder before it or after it."""

    kind: str  # "reminder" (before) or "overdue" (after)
    member: FeeMember
    paid_until: date
    days: int  # days left (reminder) or days overdue (overdue)
    step: int  # the threshold in days (reminder) or the n-th overdue email

    @property
    def key(self) -> str:
        prefix = "fee-reminder" if self.kind == "reminder" else "fee-overdue"
        return f"{prefix}:{self.member.member_id}:{self.paid_until.isoformat()}:{self.step}"


def reminder_due(member: FeeMember, until: date, today: date, cfg: FeesConfig) -> Due | None:
    """The one email a member is due today for this paid-until date, if any (see the module docstring)."""
    left = (until - today).days
    if left >= 0:
        reached = [d for d in cfg.reminder_days if left <= d]
        return Due("reminder", member, until, left, min(reached)) if reached else None
    overdue = -left
    if cfg.overdue_reminders == 0 or overdue > cfg.overdue_email_days:
        return None
    step = min(cfg.overdue_reminders, 1 + (overdue - 1) // cfg.overdue_every_days)
    return Due("overdue", member, until, overdue, step)


def by_email(members: Sequence[FeeMember]) -> dict[str, FeeMember]:
    return {m.email.lower(): m for m in members}
