"""The grant pipeline's report: a summary for the CLI, an artifact and an HTML file with inline SVG charts.

Money is shown per currency. Where a rate is configured, amounts are also converted into the base currency;
a currency without a rate is shown in its own unit (its own chart), never added to another. Reports name
rows, cells, funders and titles: opportunities are not personal data; owners' addresses are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.tables import cell_name
from tasks.common.money import Totals, in_units, money, money_totals
from tasks.grants.digests import DigestRun
from tasks.grants.pipeline import GrantPlan, Opportunity, problem_rows
from tasks.grants.read import Found
from weaver.charts import bar_chart, figure, with_unit
from weaver.config import STAGES, GrantsConfig, WeaverConfig
from weaver.i18n import t
from weaver.report import Report, Table
from weaver.summary import Summary

SKIP_REASONS = ("known", "removed", "duplicate", "waiting")
COUNTED = ("opportunities", "kept_coordinator_edits", "refreshed_cells", "cells_written", "stale", "overdue",
           "cells_to_check", "deadlines_soon")  # fmt: skip


def _due_soon(plan: GrantPlan, widest: int) -> list[Opportunity]:
    rows = [o for o in plan.counted if o.cells["days_to_deadline"]]
    rows = [o for o in rows if 0 <= int(o.cells["days_to_deadline"]) <= widest]
    return sorted(rows, key=lambda o: (int(o.cells["days_to_deadline"]), o.row))


def _counts(plan: GrantPlan, cfg: GrantsConfig) -> dict[str, int]:
    counted = plan.counted
    return {
        "opportunities": len(counted),
        "new_rows": len(plan.added),
        "kept_coordinator_edits": len(plan.writes.kept_edits),
        "refreshed_cells": len(plan.writes.refreshed),
        "cells_written": len(plan.writes.cells),
        "stale": sum(1 for o in counted if o.cells["stale"]),
        "overdue": sum(1 for o in counted if o.cells["overdue"]),
        "deadlines_soon": len(_due_soon(plan, max(cfg.digest_days, default=0))),
        "cells_to_check": sum(len(o.problems) for o in plan.opportunities),
    }


@dataclass(kw_only=True)
class GrantSummary(Summary):
    """What the CLI prints and the flow returns. Two keys carry a setting in their name, as they always did:
    `deadlines_within_<widest digest threshold>_days` and `pipeline_in_<base currency>`."""

    opportunities: int
    imported: dict[str, int]
    skipped: dict[str, int]
    kept_coordinator_edits: int
    refreshed_cells: int
    cells_written: int
    stale: int
    overdue: int
    cells_to_check: int
    deadlines_soon: int  # shown as deadlines_within_<widest>_days
    reminders: dict[str, int] | None = None  # absent when send_reminders is off
    awarded: str
    pipeline_weighted: str
    pipeline_in_base: str | None = None  # shown as pipeline_in_<base currency>, with one configured
    fees_expected_12_months: str | None = None
    source_errors: list[str] = field(default_factory=list)
    widest_days: int = field(default=0, repr=False)  # names deadlines_soon
    base_currency: str = field(default="", repr=False)  # names pipeline_in_base

    def _named(self) -> dict[str, str]:
        """field -> the key it is read by."""
        return {"deadlines_soon": f"deadlines_within_{self.widest_days}_days",
                "pipeline_in_base": f"pipeline_in_{self.base_currency}"}  # fmt: skip

    def _keys(self) -> list[str]:
        named, hidden = self._named(), {"widest_days", "base_currency"}
        return [named.get(k, k) for k in super()._keys() if k not in hidden and getattr(self, k) is not None]

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        by_key = {v: k for k, v in self._named().items()}
        return getattr(self, by_key.get(key, key))


def grant_summary(plan: GrantPlan, found: Found, digests: DigestRun | None, cfg: GrantsConfig) -> GrantSummary:
    """The typed summary; its keys and values are the ones the flow returned as a dict."""
    counts = _counts(plan, cfg)
    imported: dict[str, int] = {}
    for opp in plan.added:
        imported[opp.cells["source"]] = imported.get(opp.cells["source"], 0) + 1
    totals = plan.totals
    in_base = in_units(totals.pipeline, cfg.rate, cfg.base_currency) if cfg.base_currency else None
    return GrantSummary(
        **{k: counts[k] for k in COUNTED},
        imported=imported,
        skipped={r: plan.imports.skipped.get(r, 0) for r in SKIP_REASONS},
        reminders=digests.summary() if digests is not None else None,
        awarded=money_totals(totals.awarded),
        pipeline_weighted=money_totals(totals.pipeline),
        pipeline_in_base=money_totals(in_base) if in_base is not None else None,
        fees_expected_12_months=money(totals.fees.expected, totals.fees.currency) if totals.fees else None,
        source_errors=[f"{s}: {p}" for s, p in found.errors],
        widest_days=max(cfg.digest_days, default=0),
        base_currency=cfg.base_currency,
    )


# charts ---------------------------------------------------------------------------------------------------
def unit_bars(groups: Mapping[str, Totals], cfg: GrantsConfig) -> dict[str, list[tuple[str, Decimal]]]:
    """{unit: [(label, value)]}: the base currency for what a rate converts, each other currency apart."""
    charts: dict[str, dict[str, Decimal]] = {}
    for label, totals in groups.items():
        for unit, value in in_units(totals, cfg.rate, cfg.base_currency).items():
            bars = charts.setdefault(unit, {})
            bars[label] = bars.get(label, Decimal(0)) + value
    ordered = sorted(charts, key=lambda u: (u != cfg.base_currency, u))
    return {u: [(label, charts[u].get(label, Decimal(0))) for label in groups] for u in ordered}


def _charts(title: str, groups: Mapping[str, Totals], cfg: GrantsConfig) -> str:
    parts = []
    for unit, bars in unit_bars(groups, cfg).items():
        if unit != cfg.base_currency:  # a currency without a rate: only where it has amounts
            bars = [(label, value) for label, value in bars if value]
        numbers = [(label, float(value)) for label, value in bars]
        parts.append(figure(bar_chart(numbers, title=f"{title} ({unit})", value_text=with_unit(unit), width=640)))
    return "".join(parts) or figure(bar_chart([], title=title))


def income_groups(plan: GrantPlan, lang: str) -> dict[str, Totals]:
    totals = plan.totals
    groups = {t("grants.awarded", lang): totals.awarded, t("grants.pipeline", lang): totals.pipeline}
    if totals.fees is not None:
        groups[t("grants.fees_expected", lang)] = {totals.fees.currency: totals.fees.expected}
        groups[t("grants.fees_overdue", lang)] = {totals.fees.currency: totals.fees.overdue}
    return groups


def stage_groups(plan: GrantPlan, lang: str) -> dict[str, Totals]:
    return {
        t(f"stage.{s}", lang): plan.totals.weighted_by_stage.get(s, {})
        for s in STAGES
        if s != "declined" and s in plan.totals.count_by_stage
    }


# the report -----------------------------------------------------------------------------------------------
def build_grant_report(
    plan: GrantPlan, found: Found, digests: DigestRun | None, config: WeaverConfig, dry_run: bool
) -> Report:
    cfg, lang = config.grants, config.network.default_language
    counts = _counts(plan, cfg)
    report = Report("grant-pipeline", t("grants.title", lang), lang)
    report.summary = _summary_rows(plan, counts, digests, cfg, lang)
    report.notes = _notes(plan, found, cfg, dry_run, lang)
    report.extra_html = (
        _charts(t("grants.chart_stage", lang), stage_groups(plan, lang), cfg)
        + _charts(t("grants.chart_quarter", lang), plan.totals.weighted_by_quarter, cfg)
        + _charts(t("grants.chart_income", lang), income_groups(plan, lang), cfg)
    )
    report.tables = [
        _deadlines(plan, cfg, lang), _attention(plan, lang), _by_stage(plan, cfg, lang), _by_quarter(plan, cfg, lang),
        _income(plan, cfg, lang), _imported(plan, lang), _kept(plan, cfg, lang), _problems(plan, lang),
    ]  # fmt: skip
    return report


def _summary_rows(
    plan: GrantPlan, counts: dict[str, int], digests: DigestRun | None, cfg: GrantsConfig, lang: str
) -> list[tuple[str, str]]:
    skipped = plan.imports.skipped
    rows = [
        (t("grants.opportunities", lang), str(counts["opportunities"])),
        (t("grants.imported", lang), str(counts["new_rows"])),
        *[(t(f"grants.{r}", lang), str(skipped.get(r, 0))) for r in SKIP_REASONS],
        (t("grants.kept_edits", lang), str(counts["kept_coordinator_edits"])),
        (t("grants.refreshed", lang), str(counts["refreshed_cells"])),
        (t("grants.cells", lang), str(counts["cells_written"])),
        (t("grants.stale", lang, days=cfg.stale_days), str(counts["stale"])),
        (t("grants.overdue", lang), str(counts["overdue"])),
        (t("grants.due_soon", lang, days=max(cfg.digest_days, default=0)), str(counts["deadlines_soon"])),
    ]
    if digests is not None:
        rows.append((t("grants.digests", lang), str(digests.summary()["digests_sent"])))
    rows += [(t("grants.to_check", lang), str(counts["cells_to_check"]))]
    totals = plan.totals
    for key, amounts in (("grants.awarded", totals.awarded), ("grants.pipeline", totals.pipeline)):
        rows.append((t(key, lang), _money_text(amounts, cfg)))
    if totals.fees is not None:
        rows.append((t("grants.fees_expected", lang), money(totals.fees.expected, totals.fees.currency)))
        rows.append((t("grants.fees_overdue", lang), money(totals.fees.overdue, totals.fees.currency)))
    return rows


def _money_text(amounts: Totals, cfg: GrantsConfig) -> str:
    text = money_totals(amounts)
    converted = in_units(amounts, cfg.rate, cfg.base_currency)
    if cfg.base_currency and len(amounts) > 1 and cfg.base_currency in converted:
        text += f" ≈ {money_totals(converted)}"
    return text


def _notes(plan: GrantPlan, found: Found, cfg: GrantsConfig, dry_run: bool, lang: str) -> list[str]:
    notes = [t("grants.dry_run", lang)] if dry_run else []
    notes += [t("grants.source_error", lang, source=s, problem=p) for s, p in found.errors]
    notes += [t("grants.truncated", lang, found=a, total=b) for a, b in found.truncated]
    currencies = {c for o in plan.counted if o.currency and o.amount is not None for c in [o.currency]}
    if plan.totals.fees is not None:
        currencies.add(plan.totals.fees.currency)
    if cfg.base_currency and cfg.rates:
        rates = ", ".join(f"1 {c} = {r} {cfg.base_currency}" for c, r in sorted(cfg.rates.items()))
        when = t("grants.rates_when", lang, date=cfg.rates_date) if cfg.rates_date else ""
        notes.append(t("grants.rates_note", lang, base=cfg.base_currency, rates=rates, when=when))
    missing = sorted(c for c in currencies if cfg.rate(c) is None)
    if missing and (cfg.base_currency or len(currencies) > 1):
        notes.append(t("grants.unconverted", lang, currencies=", ".join(missing)))
    fees = plan.totals.fees
    if fees is not None:
        notes.append(t("grants.fees_note", lang, expected=fees.members_expected, overdue=fees.members_overdue,
                       undated=fees.members_undated, rate=cfg.renewal_rate))  # fmt: skip
    return notes


def _deadlines(plan: GrantPlan, cfg: GrantsConfig, lang: str) -> Table:
    widest = max(cfg.digest_days, default=0)
    rows = _due_soon(plan, widest)
    headers = [t(k, lang) for k in ("col.row", "col.funder", "col.title", "col.stage", "col.deadline", "col.days")]
    body = [[str(o.row), o.cells["funder"], o.cells["title"], o.cells["stage"], o.cells["deadline"],
             o.cells["days_to_deadline"]] for o in rows]  # fmt: skip
    return Table(t("grants.deadlines_table", lang, days=widest), headers, body)


def _attention(plan: GrantPlan, lang: str) -> Table:
    headers = [t(k, lang) for k in ("col.row", "col.funder", "col.title", "col.stage", "col.note")]
    body = []
    for o in plan.counted:
        notes = "; ".join(x for x in (o.cells["stale"], o.cells["overdue"]) if x)
        if notes:
            body.append([str(o.row), o.cells["funder"], o.cells["title"], o.cells["stage"], notes])
    return Table(t("grants.stale_table", lang), headers, body)


def _by_stage(plan: GrantPlan, cfg: GrantsConfig, lang: str) -> Table:
    totals = plan.totals
    headers = [t("col.stage", lang), t("col.count", lang), t("col.amount", lang), t("col.weighted", lang)]
    if cfg.base_currency:
        headers.append(t("col.in_base", lang, base=cfg.base_currency))
    body = []
    for stage in STAGES:
        if stage not in totals.count_by_stage:
            continue
        weighted = totals.weighted_by_stage.get(stage, {})
        row = [t(f"stage.{stage}", lang), str(totals.count_by_stage[stage]),
               money_totals(totals.amount_by_stage.get(stage, {})), money_totals(weighted)]  # fmt: skip
        if cfg.base_currency:
            row.append(money_totals(in_units(weighted, cfg.rate, cfg.base_currency)))
        body.append(row)
    return Table(t("grants.stage_table", lang), headers, body)


def _by_quarter(plan: GrantPlan, cfg: GrantsConfig, lang: str) -> Table:
    return _money_table(
        "grants.quarter_table", "col.quarter", "col.weighted", plan.totals.weighted_by_quarter, cfg, lang
    )


def _money_table(title: str, first: str, second: str, groups: Mapping[str, Mapping[str, Any]], cfg: GrantsConfig,
                 lang: str) -> Table:  # fmt: skip
    """One row per group: its amounts by currency, and in the base currency when one is set."""
    headers = [t(first, lang), t(second, lang)]
    if cfg.base_currency:
        headers.append(t("col.in_base", lang, base=cfg.base_currency))
    body = []
    for label, amounts in groups.items():
        row = [label, money_totals(amounts)]
        if cfg.base_currency:
            row.append(money_totals(in_units(amounts, cfg.rate, cfg.base_currency)))
        body.append(row)
    return Table(t(title, lang), headers, body)


def _income(plan: GrantPlan, cfg: GrantsConfig, lang: str) -> Table:
    table = _money_table("grants.income_table", "col.source", "col.amount", income_groups(plan, lang), cfg, lang)
    body = table.rows
    fees = plan.totals.fees
    if fees is not None:
        for when, amount in fees.by_quarter.items():
            body.append([f"{t('grants.fees_expected', lang)}: {when}", money(amount, fees.currency)]
                        + ([money_totals(in_units({fees.currency: amount}, cfg.rate, cfg.base_currency))]
                           if cfg.base_currency else []))  # fmt: skip
    return table


def _imported(plan: GrantPlan, lang: str) -> Table:
    headers = [t(k, lang) for k in ("col.row", "col.source", "col.funder", "col.title", "col.deadline")]
    body = [[str(o.row), o.cells["source"], o.cells["funder"], o.cells["title"], o.cells["deadline"]]
            for o in plan.added]  # fmt: skip
    return Table(t("grants.imported_table", lang), headers, body)


def _kept(plan: GrantPlan, cfg: GrantsConfig, lang: str) -> Table:
    body = [[cell_name(plan.tab, row, plan.layout.cols[f] + 1), cfg.column(f)] for row, f in plan.writes.kept_edits]
    return Table(t("grants.edits_table", lang), [t("col.cell", lang), t("col.field", lang)], body)


def _problems(plan: GrantPlan, lang: str) -> Table:
    headers = [t("col.row", lang), t("col.cell", lang), t("col.reason", lang)]
    return Table(t("grants.check_table", lang), headers, [[str(r), c, p] for r, c, p in problem_rows(plan, lang)])
