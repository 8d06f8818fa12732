"""finance, report: the month's finance report, actual against budget per line, period and currency, with
charts; restricted grant income against its spending; imports; the rows counted nowhere, with their reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tasks.common.delivery import Delivery
from tasks.common.money import money, money_totals
from tasks.finance.finance import FLOW, ROW_PROBLEMS
from tasks.finance.plan import FinancePlan
from weaver import charts
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("budget_lines", "lines_over_alert", "lines_over_budget", "transactions", "bank_files",
                "bank_rows_imported", "bank_rows_already_there", "rows_uncounted", "alerts_due", "alerts_sent",
                "restricted_grants")  # fmt: skip
BANK_PROBLEMS = ("bad_date", "bad_amount", "no_amount", "bad_currency", "encoding", "unreadable")
__all__ = ["BANK_PROBLEMS", "ROW_PROBLEMS", "SUMMARY_KEYS", "FinanceSummary", "build_finance_report",
           "finance_summary"]  # fmt: skip


@dataclass(kw_only=True)
class FinanceSummary(Summary):
    month: str
    budget_lines: int
    lines_over_alert: int
    lines_over_budget: int
    transactions: int
    bank_files: int
    bank_rows_imported: int
    bank_rows_already_there: int
    rows_uncounted: int
    alerts_due: int
    alerts_sent: int
    restricted_grants: int
    emails: dict[str, Any] = field(default_factory=dict)


def finance_summary(
    plan: FinancePlan, appended: ApplyResult, delivery: Delivery | None, config: WeaverConfig
) -> FinanceSummary:
    low = min(config.finance.alert_percents, default=80)
    written = len(appended.done) + (len(appended.skipped) if appended.dry_run else 0)
    return FinanceSummary(
        month=f"{plan.today:%Y-%m}",
        budget_lines=len(plan.lines),
        lines_over_alert=sum(1 for a in plan.actuals if (a.percent or 0) >= low),
        lines_over_budget=sum(1 for a in plan.actuals if (a.percent or 0) >= 100),
        transactions=len(plan.transactions.rows) + len(plan.imported),
        bank_files=plan.bank_files,
        bank_rows_imported=written,
        bank_rows_already_there=plan.duplicates,
        rows_uncounted=len(plan.uncounted) + len(plan.transactions.problems) + len(plan.budget_problems),
        alerts_due=len(plan.alerts),
        alerts_sent=delivery.summary()["sent"] if delivery else 0,
        restricted_grants=len(plan.grants),
        emails=delivery.summary() if delivery else {},
    )


def build_finance_report(plan: FinancePlan, summary: FinanceSummary, config: WeaverConfig, dry_run: bool) -> Report:
    lang = config.network.default_language
    report = Report(FLOW, t("fin.title", lang, month=summary.month), lang)
    report.notes += [t("fin.dry_run", lang)] if dry_run else []
    report.notes += [t("fin.missing_tab", lang, tab=tab) for tab in plan.missing_tabs]
    if config.grants.rates:
        rates = ", ".join(f"1 {c} = {r} {plan.base}" for c, r in sorted(config.grants.rates.items()))
        report.notes.append(t("fin.rates", lang, rates=rates, date=config.grants.rates_date or "—"))
    report.summary = [(t(f"fin.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    report.extra_html = _charts(plan, lang)
    rows = []
    for a in sorted(plan.actuals, key=lambda a: (a.line.period.start, a.line.line)):
        line = a.line
        rows.append([line.line, line.period.label, line.currency, money(line.amount), money(a.spent),
                     f"{a.percent}%" if a.percent is not None else "", money(line.amount - a.spent),
                     money_totals(a.unconverted) if a.unconverted else "", line.grant])  # fmt: skip
    headers = [t(f"fin.col.{c}", lang) for c in ("line", "period", "currency", "budget", "spent", "used", "left",
                                                  "unconverted", "grant")]  # fmt: skip
    report.tables.append(Table(t("fin.lines_table", lang), headers, rows))
    rows = [[g.grant, money_totals(g.budget), money_totals(g.income), money_totals(g.spent), _left(g.income, g.spent)]
            for g in plan.grants]  # fmt: skip
    headers = [t(f"fin.col.{c}", lang) for c in ("grant", "budget", "income", "spent", "left")]
    report.tables.append(Table(t("fin.grants_table", lang), headers, rows))
    rows = [[a.actual.line.line, a.actual.line.period.label, f"{a.percent}%"] for a in plan.alerts]
    headers = [t(f"fin.col.{c}", lang) for c in ("line", "period", "threshold")]
    report.tables.append(Table(t("fin.alerts_table", lang), headers, rows))
    fix = [[config.finance.budget_tab, str(r), t(f"fin.problem.{c}", lang)] for r, c in plan.budget_problems]
    fix += [
        [config.finance.transactions_tab, str(r), t(f"fin.problem.{c}", lang)] for r, c in plan.transactions.problems
    ]
    fix += [[config.finance.transactions_tab, str(tx.row), t(f"fin.problem.{reason}", lang)]
            for tx, reason in plan.uncounted]  # fmt: skip
    fix += [[name, str(line), t(f"fin.bank.{code}", lang)] for name, line, code in plan.bank_problems]
    if fix:
        headers = [t("fin.col.where", lang), t("fin.col.row", lang), t("fin.col.problem", lang)]
        report.tables.append(Table(t("fin.problems_table", lang), headers, fix))
    return report


def _left(income: dict[str, Decimal], spent: dict[str, Decimal]) -> str:
    """Income less spending, per currency (never across currencies)."""
    left = {c: income.get(c, Decimal(0)) - spent.get(c, Decimal(0)) for c in {*income, *spent}}
    return money_totals(left)


def _charts(plan: FinancePlan, lang: str) -> str:
    parts = []
    current = plan.current
    if current:
        bars = [(f"{a.line.line} ({a.line.period.label})", float(a.share or 0)) for a in current]
        svg = charts.bar_chart(bars, title=t("fin.chart.used", lang), max_value=max(1.0, *(v for _, v in bars)),
                               value_text=charts.percent)  # fmt: skip
        parts.append(charts.figure(svg, t("fin.chart.used_caption", lang)))
    for currency in sorted({c for totals in plan.months.values() for c in totals}):
        bars = [(month, float(totals.get(currency, 0))) for month, totals in plan.months.items()]
        svg = charts.bar_chart(bars, title=t("fin.chart.monthly", lang, currency=currency, year=plan.today.year),
                               value_text=charts.with_unit(currency))  # fmt: skip
        parts.append(charts.figure(svg))
    if plan.grants:
        bars = []
        for g in plan.grants:
            for currency in sorted({*g.income, *g.spent}):
                bars.append((f"{g.grant} · {t('fin.col.income', lang)} ({currency})", float(g.income.get(currency, 0))))
                bars.append((f"{g.grant} · {t('fin.col.spent', lang)} ({currency})", float(g.spent.get(currency, 0))))
        svg = charts.bar_chart(bars, title=t("fin.chart.grants", lang), value_text=charts.with_unit(""))
        parts.append(charts.figure(svg))
    return "".join(parts)
