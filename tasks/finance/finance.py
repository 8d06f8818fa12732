"""The rules of the budget: periods, lines, transactions, bank exports, actual against budget, alerts.

* **Budget tab**: a row per line and period (`2026`, `2026-11`, `2026 Q4`), with an owner (a staff email),
  an amount and its currency, and optionally the restricted grant that pays for it.
* **Transactions tab**: a row per movement of money, signed: money out is negative, money in positive. A row
  names its budget line (spending) and/or a grant (restricted income, or spending charged to that grant).
* **Bank exports**: CSV files in a folder of the workspace, read with a column mapping; each row becomes a
  Transactions row once. Its id is the bank's transaction id, else a hash of the account, date, amount,
  description and its occurrence among identical rows of that file, so a statement downloaded twice (or two
  overlapping statements) adds nothing twice. A description containing a configured keyword gets its line.
* **Actual against budget**: spending on a line within its period, in the line's currency. Money in another
  currency is converted only where [grants] rates give both currencies; otherwise it is shown beside the
  line in its own unit and never counted in the percentage.
* **Alerts**: an owner hears once as a line reaches each of `alert_percents` (80, 100): key
  `budget-alert:<line>:<percent>`, the highest reached, so a line that jumps to 105% sends one alert.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.money import Totals, add, parse_amount, parse_currency
from tasks.common.text import normalise_text
from weaver.config import BankImportConfig, FinanceConfig

FLOW = "finance"
ROW_PROBLEMS = ("no_line", "no_amount", "bad_amount", "bad_currency", "no_period", "bad_period", "no_date",
                "bad_date", "unknown_line", "outside_period", "no_rate")  # fmt: skip
RateFn = Callable[[str], Decimal | None]


# periods ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    label: str  # canonical: 2026, 2026-11, 2026 Q4
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


_YEAR = re.compile(r"^(\d{4})\s*年?$")
_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?$")
_QUARTER = re.compile(r"^(\d{4})\s*(?:[-/ ]|年)?\s*(?:q|第)\s*([1-4一二三四])\s*(?:季度)?$", re.IGNORECASE)
_CN_DIGITS = {"一": "1", "二": "2", "三": "3", "四": "4"}


def parse_period(text: str) -> Period | None:
    """'2026', '2026年' -> the year; '2026-11', '2026年11月' -> the month; '2026 Q4', '2026年第四季度' -> a quarter."""
    value = normalise_text(text)
    if m := _YEAR.match(value):
        year = int(m[1])
        return Period(str(year), date(year, 1, 1), date(year, 12, 31))
    if (m := _MONTH.match(value)) and 1 <= int(m[2]) <= 12:
        year, month = int(m[1]), int(m[2])
        return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if m := _QUARTER.match(value):
        year, q = int(m[1]), int(_CN_DIGITS.get(m[2], m[2]))
        return Period(f"{year} Q{q}", date(year, 3 * q - 2, 1), _month_end(year, 3 * q))
    return None


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


# the Budget tab ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BudgetLine:
    row: int
    line: str
    owner: str
    amount: Decimal
    currency: str
    period: Period
    grant: str = ""

    @property
    def key(self) -> str:
        text = f"{self.line.casefold()}|{self.period.label}"
        return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


def _cells(grid: Grid, cols: dict[str, int | None]) -> list[tuple[int, dict[str, str]]]:
    out = []
    for number, raw in enumerate(grid[1:], start=2):
        values = {f: normalise_text(raw[c]) if c is not None and c < len(raw) else "" for f, c in cols.items()}
        if any(values.values()):
            out.append((number, values))
    return out


def _money(amount_text: str, currency_text: str, default: str) -> tuple[Decimal | None, str, str]:
    """(amount, currency, problem code)."""
    try:
        amount, symbol = parse_amount(amount_text.replace("−", "-").lstrip("-+"))
    except ValueError:
        return None, "", "bad_amount"
    if amount is None:
        return None, "", "no_amount"
    if amount_text.strip().startswith(("-", "−")):
        amount = -amount
    try:
        currency = parse_currency(currency_text) or symbol or default
    except ValueError:
        return None, "", "bad_currency"
    return amount, currency, "" if currency else "bad_currency"


def parse_budget(
    grid: Grid, cfg: FinanceConfig, base: str, source: str = ""
) -> tuple[list[BudgetLine], list[tuple[int, str]]]:
    if not grid:
        return [], []
    cols = Columns(grid[0], cfg.budget_tab, source)
    need = {
        f: cols.require(cfg.budget_column(f), f"[finance.budget_columns] {f}") for f in ("line", "amount", "period")
    }
    opt = {f: cols.find(cfg.budget_column(f)) for f in ("owner", "currency", "grant")}
    lines, problems = [], []
    for row, v in _cells(grid, need | opt):
        if not v["line"]:
            problems.append((row, "no_line"))
            continue
        amount, currency, problem = _money(v["amount"], v["currency"], base)
        period = parse_period(v["period"])
        problem = problem or ("no_period" if not v["period"] else "bad_period" if period is None else "")
        if problem or amount is None or period is None:
            problems.append((row, problem))
            continue
        lines.append(BudgetLine(row, v["line"], v["owner"].lower(), amount, currency, period, v["grant"]))
    return lines, problems


# transactions -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transaction:
    row: int  # in the Transactions tab (where a new bank row is appended); 0 before that is planned
    day: date
    amount: Decimal  # signed: money out negative
    currency: str
    line: str = ""
    description: str = ""
    transaction_id: str = ""
    grant: str = ""
    source: str = ""  # the bank import's name, for imported rows


@dataclass
class Transactions:
    rows: list[Transaction] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)  # every transaction id the tab holds
    width: int = 0  # the header's columns
    next_row: int = 2  # where an appended row goes
    columns: dict[str, int] = field(default_factory=dict)  # field -> 0-based column, for appending


def parse_transactions(grid: Grid, cfg: FinanceConfig, base: str, source: str = "") -> Transactions:
    out = Transactions(next_row=max(len(grid), 1) + 1)
    if not grid:
        return out
    cols = Columns(grid[0], cfg.transactions_tab, source)
    need = {
        f: cols.require(cfg.transaction_column(f), f"[finance.transaction_columns] {f}") for f in ("date", "amount")
    }
    opt = {f: cols.find(cfg.transaction_column(f)) for f in ("line", "currency", "description", "transaction_id",
                                                             "grant")}  # fmt: skip
    out.columns = {f: c for f, c in (need | opt).items() if c is not None}
    out.width = cols.next_free()
    while out.next_row > 2 and not any(c.strip() for c in grid[out.next_row - 2]):
        out.next_row -= 1  # trailing blank rows: append right after the last written one
    for row, v in _cells(grid, need | opt):
        out.ids.add(v["transaction_id"]) if v["transaction_id"] else None
        iso = parse_date(v["date"]) if v["date"] else None
        amount, currency, problem = _money(v["amount"], v["currency"], base)
        problem = problem or ("no_date" if not v["date"] else "bad_date" if iso is None else "")
        if problem or amount is None or iso is None:
            out.problems.append((row, problem))
            continue
        out.rows.append(Transaction(row, date.fromisoformat(iso), amount, currency, v["line"], v["description"],
                                    v["transaction_id"], v["grant"]))  # fmt: skip
    return out


# bank exports -----------------------------------------------------------------------------------------------
@dataclass
class BankFile:
    name: str  # the file's name, for reports
    text: str | None  # None when it could not be read
    problem: str = ""


@dataclass
class BankRows:
    rows: list[Transaction] = field(default_factory=list)
    problems: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, problem)


def parse_bank_file(file: BankFile, imp: BankImportConfig, categories: dict[str, str], base: str) -> BankRows:
    """One export's rows as transactions (line number = the file's own line, header included)."""
    out = BankRows()
    if file.text is None:
        out.problems.append((file.name, 0, file.problem or "unreadable"))
        return out
    lines = file.text.splitlines()[imp.skip_rows :]
    reader = list(csv.reader(io.StringIO("\n".join(lines))))
    if not reader:
        return out
    cols = Columns(reader[0], file.name)
    where = {f: cols.require(h, f"[finance.bank_imports] {imp.name} columns.{f}") for f, h in imp.columns.items()}
    seen: dict[str, int] = {}
    for offset, raw in enumerate(reader[1:], start=2):
        v = {f: normalise_text(raw[c]) if c < len(raw) else "" for f, c in where.items()}
        if not any(v.values()):
            continue
        number = offset + imp.skip_rows
        iso = parse_date(v["date"]) if v.get("date") else None
        if iso is None:
            out.problems.append((file.name, number, "bad_date"))
            continue
        text = v["amount"] if "amount" in v else (f"-{v['debit']}" if v.get("debit") else v.get("credit", ""))
        amount, currency, problem = _money(text, v.get("currency", ""), imp.currency or base)
        if problem or amount is None:
            out.problems.append((file.name, number, problem or "no_amount"))
            continue
        description = v.get("description", "")
        tx_id = v.get("transaction_id", "")
        if not tx_id:
            identity = f"{imp.name}|{iso}|{amount.normalize()}|{currency}|{description}"
            seen[identity] = seen.get(identity, 0) + 1
            tx_id = "h-" + hashlib.blake2b(f"{identity}|{seen[identity]}".encode(), digest_size=8).hexdigest()
        line = next((ln for word, ln in categories.items() if word.casefold() in description.casefold()), "")
        out.rows.append(Transaction(0, date.fromisoformat(iso), amount, currency, line, description, tx_id,
                                    source=imp.name))  # fmt: skip
    return out


# actual against budget ---------------------------------------------------------------------------------------
def convert(amount: Decimal, source: str, target: str, rate: RateFn) -> Decimal | None:
    """`amount` of `source` in `target`, only where the configured rates give both; None otherwise."""
    if source == target:
        return amount
    a, b = rate(source), rate(target)
    return None if a is None or b is None else amount * a / b


@dataclass
class LineActual:
    line: BudgetLine
    spent: Decimal = Decimal(0)  # in the line's currency
    unconverted: Totals = field(default_factory=dict)  # spending no rate could convert, per currency
    count: int = 0

    @property
    def share(self) -> Decimal | None:
        return self.spent / self.line.amount if self.line.amount > 0 else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else int((share * 100).to_integral_value(rounding="ROUND_FLOOR"))


def actual_against_budget(
    lines: Sequence[BudgetLine], txs: Sequence[Transaction], rate: RateFn
) -> tuple[list[LineActual], list[tuple[Transaction, str]]]:
    """Each budget line's spending in its period; the transactions counted nowhere, with the reason."""
    actuals = [LineActual(line) for line in lines]
    by_name: dict[str, list[LineActual]] = {}
    for a in actuals:
        by_name.setdefault(a.line.line.casefold(), []).append(a)
    uncounted: list[tuple[Transaction, str]] = []
    for tx in txs:
        if not tx.line:
            if tx.amount < 0 and not tx.grant:
                uncounted.append((tx, "no_line"))
            continue
        candidates = by_name.get(tx.line.casefold())
        if not candidates:
            uncounted.append((tx, "unknown_line"))
            continue
        target = next((a for a in candidates if a.line.period.contains(tx.day)), None)
        if target is None:
            uncounted.append((tx, "outside_period"))
            continue
        target.count += 1
        spent = -tx.amount
        converted = convert(spent, tx.currency, target.line.currency, rate)
        if converted is None:
            add(target.unconverted, tx.currency, spent)
            uncounted.append((tx, "no_rate"))
        else:
            target.spent += converted
    return actuals, uncounted


def reached_percent(actual: LineActual, percents: Sequence[int]) -> int | None:
    """The highest alert percent the line has reached, if any."""
    pct = actual.percent
    reached = [p for p in percents if pct is not None and pct >= p]
    return max(reached) if reached else None


# restricted grants ---------------------------------------------------------------------------------------------
@dataclass
class GrantUse:
    grant: str
    income: Totals = field(default_factory=dict)
    spent: Totals = field(default_factory=dict)
    budget: Totals = field(default_factory=dict)


def restricted_grants(lines: Sequence[BudgetLine], txs: Sequence[Transaction]) -> list[GrantUse]:
    """Restricted income against its spending: money in marked with a grant; money out marked with it or spent
    on a budget line the grant pays for (in its period)."""
    uses: dict[str, GrantUse] = {}

    def use(name: str) -> GrantUse:
        return uses.setdefault(name.casefold(), GrantUse(name))

    for line in lines:
        if line.grant:
            add(use(line.grant).budget, line.currency, line.amount)
    for tx in txs:
        grant = tx.grant or next((ln.grant for ln in lines if ln.grant and ln.line.casefold() == tx.line.casefold()
                                  and ln.period.contains(tx.day)), "")  # fmt: skip
        if not grant:
            continue
        if tx.amount > 0:
            add(use(grant).income, tx.currency, tx.amount)
        else:
            add(use(grant).spent, tx.currency, -tx.amount)
    return sorted(uses.values(), key=lambda u: u.grant.casefold())


def monthly_spending(txs: Sequence[Transaction], year: int, base: str, rate: RateFn) -> dict[str, Totals]:
    """Money out per month of `year` ('2026-01' ...), converted into `base` where a rate allows."""
    months: dict[str, Totals] = {f"{year}-{m:02d}": {} for m in range(1, 13)}
    for tx in txs:
        if tx.amount >= 0 or tx.day.year != year:
            continue
        spent = -tx.amount
        converted = convert(spent, tx.currency, base, rate) if base else None
        if converted is None:
            add(months[f"{tx.day:%Y-%m}"], tx.currency, spent)
        else:
            add(months[f"{tx.day:%Y-%m}"], base, converted)
    return months
