"""finance, plan (pure, no I/O): the budget and transactions read, new bank rows (deduplicated) and where they
go in the Transactions tab, actual against budget, the owners' alerts due, restricted grants, spending by month.
Exactly what a dry run shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from connectors.tables import Cell, Grid
from tasks.common.messages import render
from tasks.common.money import Totals, cell_number, money, money_totals
from tasks.common.prefect_task import task
from tasks.finance.finance import (
    BankFile,
    BudgetLine,
    GrantUse,
    LineActual,
    Transaction,
    Transactions,
    actual_against_budget,
    monthly_spending,
    parse_bank_file,
    parse_budget,
    parse_transactions,
    reached_percent,
    restricted_grants,
)
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.ledger import Action


@dataclass(frozen=True)
class Alert:
    actual: LineActual
    percent: int  # the alert threshold reached (80, 100)

    @property
    def key(self) -> str:
        return f"budget-alert:{self.actual.line.key}:{self.percent}"


@dataclass
class FinancePlan:
    today: date
    base: str
    lines: list[BudgetLine] = field(default_factory=list)
    budget_problems: list[tuple[int, str]] = field(default_factory=list)
    transactions: Transactions = field(default_factory=Transactions)
    imported: list[Transaction] = field(default_factory=list)  # new bank rows, in the order they are appended
    duplicates: int = 0  # bank rows already in the tab (or twice in the exports)
    bank_problems: list[tuple[str, int, str]] = field(default_factory=list)
    bank_files: int = 0
    writes: list[Action] = field(default_factory=list)  # one per imported row, its cells in the payload
    actuals: list[LineActual] = field(default_factory=list)
    uncounted: list[tuple[Transaction, str]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    grants: list[GrantUse] = field(default_factory=list)
    months: dict[str, Totals] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    missing_tabs: list[str] = field(default_factory=list)

    @property
    def current(self) -> list[LineActual]:
        """The lines whose period holds today: what this month's report is about."""
        return [a for a in self.actuals if a.line.period.contains(self.today)]


def base_currency(config: WeaverConfig) -> str:
    return config.grants.base_currency


def plan_finance(
    budget: Grid | None, transactions: Grid | None, bank: Mapping[str, Sequence[BankFile]], config: WeaverConfig,
    today: date, source: str = "", imported_before: frozenset[str] | set[str] = frozenset(),
) -> FinancePlan:  # fmt: skip
    cfg, base, rate = config.finance, base_currency(config), config.grants.rate
    plan = FinancePlan(today, base)
    plan.missing_tabs = [tab for tab, grid in ((cfg.budget_tab, budget), (cfg.transactions_tab, transactions))
                         if grid is None]  # fmt: skip
    plan.lines, plan.budget_problems = parse_budget(budget or [], cfg, base, source)
    plan.transactions = parse_transactions(transactions or [], cfg, base, source)
    _plan_imports(plan, bank, config, source, imported_before)
    everything = plan.transactions.rows + plan.imported
    plan.actuals, plan.uncounted = actual_against_budget(plan.lines, everything, rate)
    for actual in plan.actuals:
        reached = reached_percent(actual, cfg.alert_percents)
        if reached is not None:
            plan.alerts.append(Alert(actual, reached))
    plan.grants = restricted_grants(plan.lines, everything)
    plan.months = monthly_spending(everything, today.year, base, rate)
    plan.messages = [_alert_message(a, config) for a in plan.alerts if "@" in a.actual.line.owner]
    return plan


def _plan_imports(plan: FinancePlan, bank: Mapping[str, Sequence[BankFile]], config: WeaverConfig, source: str,
                  imported_before: frozenset[str] | set[str]) -> None:  # fmt: skip
    cfg = config.finance
    if not cfg.bank_imports:
        return
    tab = plan.transactions
    if cfg.transactions_tab in plan.missing_tabs:
        return
    if "transaction_id" not in tab.columns:
        raise SourceError(f"{source}: tab {cfg.transactions_tab!r} needs a column "
                          f"{cfg.transaction_column('transaction_id')!r} ([finance.transaction_columns] "
                          f"transaction_id) to import bank exports without adding a row twice")  # fmt: skip
    known = set(tab.ids) | set(imported_before)
    for imp in cfg.bank_imports:
        for file in bank.get(imp.name, []):
            plan.bank_files += 1
            rows = parse_bank_file(file, imp, cfg.categories, plan.base)
            plan.bank_problems += rows.problems
            for tx in rows.rows:
                if tx.transaction_id in known:
                    plan.duplicates += 1
                    continue
                known.add(tx.transaction_id)
                plan.imported.append(tx)
    plan.imported = [replace(tx, row=tab.next_row + i) for i, tx in enumerate(plan.imported)]  # where it goes
    plan.writes = [_write(tx, tx.row, tab.columns) for tx in plan.imported]


def _write(tx: Transaction, row: int, columns: Mapping[str, int]) -> Action:
    values = {"date": tx.day.isoformat(), "amount": cell_number(tx.amount), "currency": tx.currency,
              "description": tx.description, "transaction_id": tx.transaction_id, "line": tx.line}  # fmt: skip
    cells = [[row, columns[f] + 1, v] for f, v in values.items() if f in columns and v]
    summary = f"bank row {tx.transaction_id} from {tx.source} appended at row {row}"
    return Action(f"finance-import:{tx.transaction_id}", "sheet-append", summary, {"cells": cells}, idempotent=True)


def cells_of(actions: Sequence[Action]) -> list[Cell]:
    return [Cell(*c) for a in actions for c in a.payload["cells"]]


def _alert_message(alert: Alert, config: WeaverConfig) -> Message:
    line, actual = alert.actual.line, alert.actual
    lang = config.network.default_language
    context = {
        "network_name": config.network.name, "line": line.line, "period": line.period.label,
        "budget": money(line.amount, line.currency), "spent": money(actual.spent, line.currency),
        "percent": actual.percent, "threshold": alert.percent, "tab": config.finance.budget_tab,
        "unconverted": money_totals(actual.unconverted) if actual.unconverted else "",
        "left": money(line.amount - actual.spent, line.currency),
    }  # fmt: skip
    text = render("budget_alert", lang, context, default_language=lang)
    return Message(key=alert.key, to_email=line.owner, to_name="", subject=text.subject, text=text.text,
                   html=text.html, language=text.language, member_id=None, purpose="budget_alert")  # fmt: skip


plan_finance_task = task(name="plan-finance", cache_policy=NO_CACHE)(plan_finance)
