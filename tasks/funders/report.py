"""funder-stewardship, report: who was reminded about which funder and why, prep sheets, rows to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.common.delivery import Delivery
from tasks.funders.funders import FLOW, ROW_PROBLEMS
from tasks.funders.plan import KINDS, FunderPlan, Nudge
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("funders", "contacts_due", "reports_due", "meetings_soon", "reminders_sent", "prep_sheets_sent",
                "prep_sheets_kept", "without_owner", "rows_to_fix")  # fmt: skip
__all__ = [
    "KINDS",
    "OUTCOMES",
    "ROW_PROBLEMS",
    "SUMMARY_KEYS",
    "FunderSummary",
    "build_funder_report",
    "funder_summary",
]


@dataclass(kw_only=True)
class FunderSummary(Summary):
    funders: int
    contacts_due: int
    reports_due: int
    meetings_soon: int
    reminders_sent: int
    prep_sheets_sent: int
    prep_sheets_kept: int
    without_owner: int
    rows_to_fix: int
    emails: dict[str, Any] = field(default_factory=dict)


def funder_summary(plan: FunderPlan, kept: ApplyResult, delivery: Delivery | None) -> FunderSummary:
    every = plan.nudges + plan.no_owner
    done = [a.payload.get("purpose", "") for a in delivery.result.done] if delivery else []
    return FunderSummary(
        funders=len(plan.funders.funders),
        contacts_due=sum(1 for n in every if n.kind == "contact"),
        reports_due=sum(1 for n in every if n.kind == "report"),
        meetings_soon=sum(1 for n in every if n.kind == "prep"),
        reminders_sent=sum(1 for p in done if p in ("funder_contact", "funder_report")),
        prep_sheets_sent=sum(1 for p in done if p == "funder_prep"),
        prep_sheets_kept=len(kept.done) + (len(kept.skipped) if kept.dry_run else 0),
        without_owner=len(plan.no_owner),
        rows_to_fix=len(plan.funders.problems),
        emails=delivery.summary() if delivery else {},
    )


def build_funder_report(plan: FunderPlan, summary: FunderSummary, delivery: Delivery | None, config: WeaverConfig,
                        dry_run: bool) -> Report:  # fmt: skip
    lang = config.network.default_language
    report = Report(FLOW, t("funders.title", lang), lang)
    report.notes += [t("funders.dry_run", lang)] if dry_run else []
    if plan.funders.missing_tab:
        report.notes.append(t("funders.no_tab", lang, tab=config.funders.tab))
    report.summary = [(t(f"funders.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    status = _statuses(delivery)
    rows = [[n.funder.name, t(f"funders.kind.{n.kind}", lang), n.day.isoformat(), _when(n, lang),
             t(f"funders.outcome.{status.get(n.key, 'held')}", lang)] for n in plan.nudges]  # fmt: skip
    rows += [[n.funder.name, t(f"funders.kind.{n.kind}", lang), n.day.isoformat(), _when(n, lang),
              t("funders.outcome.no_owner", lang)] for n in plan.no_owner]  # fmt: skip
    headers = [t("funders.col.funder", lang), t("funders.col.kind", lang), t("funders.col.day", lang),
               t("funders.col.when", lang), t("funders.col.outcome", lang)]  # fmt: skip
    report.tables.append(Table(t("funders.table", lang), headers, rows))
    if plan.funders.problems:
        fix = [[str(r), t(f"funders.problem.{c}", lang)] for r, c in plan.funders.problems]
        headers = [t("funders.col.row", lang), t("funders.col.problem", lang)]
        report.tables.append(Table(t("funders.problems", lang, tab=config.funders.tab), headers, fix))
    return report


OUTCOMES = ("would_send", "sent", "already_sent", "failed", "suppressed", "held", "no_owner")


def _statuses(delivery: Delivery | None) -> dict[str, str]:
    status: dict[str, str] = {}
    if delivery is not None:
        r = delivery.result
        status |= {a.key: "would_send" for a in r.skipped} if r.dry_run else {}
        status |= {a.key: "sent" for a in r.done} | {a.key: "already_sent" for a in r.already_done}
        status |= {a.key: "failed" for a, _ in r.failed} | {a.key: "failed" for a in r.unknown}
        status |= {s.message.key: "suppressed" for s in delivery.suppressed}
    return status


def _when(nudge: Nudge, lang: str) -> str:
    if nudge.kind == "contact":
        return t("funders.when.contact", lang, days=nudge.days)
    if nudge.kind == "report":
        return t("funders.when.report", lang, days=nudge.days, threshold=nudge.step)
    return t("funders.when.prep", lang, days=nudge.days)
