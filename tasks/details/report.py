"""details-check, report: how many members were asked "is this still right?", and who, by name."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.common.delivery import Delivery
from tasks.details.plan import DetailsPlan
from weaver.i18n import t
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class DetailsSummary(Summary):
    asked: int
    asked_before: int
    later: int
    emails: dict[str, int] = field(default_factory=dict)


def summarise_details(plan: DetailsPlan, delivery: Delivery) -> DetailsSummary:
    return DetailsSummary(asked=len(plan.due), asked_before=plan.asked_before, later=plan.later,
                          emails=delivery.summary())  # fmt: skip


def build_details_report(plan: DetailsPlan, delivery: Delivery, lang: str, dry_run: bool) -> Report:
    report = Report("details-check", t("details.report.title", lang, year=plan.year), lang)
    emails = ", ".join(f"{k} {v}" for k, v in delivery.summary().items() if v)
    counts = {"asked": len(plan.due), "asked_before": plan.asked_before, "later": plan.later}
    report.summary = [(t(f"details.report.{k}", lang), str(v)) for k, v in counts.items()]
    report.summary.append((t("ask.s.emails", lang), emails))
    if dry_run:
        report.notes.append(t("ask.dry_run", lang))
    rows = [[plan.names.get(m, m)] for m in plan.due]
    report.tables.append(Table(t("details.report.table", lang), [t("sync.col.member", lang)], rows))
    return report
