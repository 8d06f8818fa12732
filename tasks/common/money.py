"""Money as coordinators type it, kept per currency: never summed across currencies without a rate.

Pure functions over `Decimal` (no floats: 0.1 + 0.2 must stay 0.3 in a funding report).

* `parse_amount("¥500,000")`, `"50万"`, `"US$ 75k"`, `"1.2M"`, `"１２０００"` -> (amount, currency from a symbol).
  `¥`/`￥`/`元` are read as CNY: this is a network in China; write JPY explicitly for yen.
* `Totals` are `{currency: amount}`. `in_units` converts what a configured rate allows into the base
  currency and leaves every other currency in its own unit, so a chart or total never mixes units.
* `fee_income` turns the members' fee and paid-until fields into expected renewals per quarter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

Totals = dict[str, Decimal]
RateFn = Callable[[str], Decimal | None]  # currency -> base units per unit, None when not convertible

_ALIASES = {
    "¥": "CNY", "rmb": "CNY", "cny": "CNY", "元": "CNY", "人民币": "CNY", "rmb¥": "CNY",
    "$": "USD", "us$": "USD", "usd": "USD", "美元": "USD", "美金": "USD",
    "€": "EUR", "eur": "EUR", "欧元": "EUR",
    "£": "GBP", "gbp": "GBP", "英镑": "GBP",
    "hk$": "HKD", "hkd": "HKD", "港币": "HKD", "港元": "HKD",
}  # fmt: skip
_MULTIPLIERS = {"": 1, "k": 1_000, "千": 1_000, "m": 1_000_000, "万": 10_000, "亿": 100_000_000}
_AMOUNT = re.compile(
    r"^(?P<pre>[^\d.\-]*?)\s*(?P<num>\d[\d,\s]*(?:\.\d+)?|\.\d+)\s*(?P<mult>[kKmM千万亿]?)\s*(?P<post>[^\d]*)$"
)
_CODE = re.compile(r"^[A-Za-z]{3}$")


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).replace("，", ",").split())


def parse_currency(text: str) -> str | None:
    """'usd', '美元', '$', '￥' -> ISO code; '' -> None; anything else raises ValueError."""
    value = _clean(text).casefold().replace(" ", "")
    if not value:
        return None
    if value in _ALIASES:
        return _ALIASES[value]
    if _CODE.match(value):
        return value.upper()
    raise ValueError("not a currency")


def parse_amount(text: str) -> tuple[Decimal | None, str | None]:
    """(amount, currency named by a symbol or code in the cell); (None, None) when blank. ValueError if unreadable."""
    value = _clean(text)
    if not value:
        return None, None
    match = _AMOUNT.match(value)
    if not match:
        raise ValueError("not an amount")
    try:
        number = Decimal(match["num"].replace(",", "").replace(" ", ""))
    except InvalidOperation:
        raise ValueError("not an amount") from None
    currency = None
    for part in (match["pre"], match["post"]):
        if part.strip():
            currency = parse_currency(part)  # raises on unknown text around the number
    return number * _MULTIPLIERS[match["mult"].lower()], currency


def parse_probability(text: str) -> Decimal | None:
    """'30%', '0.3', '30', '３０％' -> Decimal('0.3'); '' -> None; ValueError outside 0-100 %."""
    value = _clean(text).replace(" ", "")
    if not value:
        return None
    percent = value.endswith("%")
    try:
        number = Decimal(value.rstrip("%"))
    except InvalidOperation:
        raise ValueError("not a probability") from None
    if percent or number > 1:
        number /= 100
    if not 0 <= number <= 1:
        raise ValueError("not a probability")
    return number


# totals ---------------------------------------------------------------------------------------------------
def add(totals: Totals, currency: str, amount: Decimal) -> None:
    totals[currency] = totals.get(currency, Decimal(0)) + amount


def in_units(totals: Mapping[str, Decimal], rate: RateFn, base: str) -> Totals:
    """Convert what a rate allows into `base`; every other currency stays in its own unit."""
    out: Totals = {}
    for currency, amount in totals.items():
        factor = rate(currency) if base else None
        if factor is None:
            add(out, currency, amount)
        else:
            add(out, base, amount * factor)
    return out


def money(amount: Decimal, currency: str = "") -> str:
    """'CNY 1,250,000' (whole) or 'USD 7,500.50'."""
    rounded = amount.quantize(Decimal("0.01"))
    text = f"{rounded:,.0f}" if rounded == rounded.to_integral_value() else f"{rounded:,.2f}"
    return f"{currency} {text}".strip()


def money_totals(totals: Mapping[str, Decimal]) -> str:
    """'CNY 150,000 + USD 35,000' (each currency apart), or '0'."""
    parts = [money(v, k) for k, v in sorted(totals.items()) if v]
    return " + ".join(parts) or "0"


def cell_number(amount: Decimal) -> str:
    """A plain number for a sheet cell, sortable: '150000' or '7500.5'."""
    rounded = amount.quantize(Decimal("0.01"))
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quarter(day: date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


# membership fees --------------------------------------------------------------------------------------------
@dataclass
class FeeIncome:
    """Renewals expected within the horizon, by quarter of the paid-until date, in one currency."""

    currency: str
    by_quarter: dict[str, Decimal] = field(default_factory=dict)
    expected: Decimal = Decimal(0)  # renewals due in the horizon x renewal rate
    overdue: Decimal = Decimal(0)  # paid-until already passed: full fees, not in `expected`
    members_expected: int = 0
    members_overdue: int = 0
    members_undated: int = 0  # a fee but no paid-until date: counted nowhere, listed for a check
    members_unreadable: int = 0


def fee_income(
    members: Iterable[Mapping[str, str]], today: date, currency: str, renewal_rate: Decimal, horizon_days: int = 365
) -> FeeIncome:
    """From member fields (`fee`, `paid_until` as member-sync normalised them: '1,000', ISO dates)."""
    income = FeeIncome(currency)
    horizon = today + timedelta(days=horizon_days)
    for fields in members:
        try:
            fee, _symbol = parse_amount(fields.get("fee", ""))
        except ValueError:
            income.members_unreadable += 1
            continue
        if not fee:
            continue
        paid_until = _iso(fields.get("paid_until", ""))
        if paid_until is None:
            income.members_undated += 1
        elif paid_until < today:
            income.overdue += fee
            income.members_overdue += 1
        elif paid_until <= horizon:
            expected = fee * renewal_rate
            key = quarter(paid_until)
            income.by_quarter[key] = income.by_quarter.get(key, Decimal(0)) + expected
            income.expected += expected
            income.members_expected += 1
    income.by_quarter = dict(sorted(income.by_quarter.items()))
    return income


def _iso(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
