"""impact-report, report: the typed summary and the run's report (headline figures, where the files are)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tasks.impact.plan import ImpactPlan
from tasks.impact.render import headline
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class ImpactSummary(Summary):
    quarter: str
    members: int
    joins: int
    leavers: int
    retention: float | None
    events_held: int
    attendances: int
    new_ties: int  # pairs who met for the first time in the quarter (confirmed meetings)
    introductions: int  # introductions made, counted apart
    components: int
    isolates: int
    newcomers_unconnected: int
    brokers: int
    files_written: int = 0
    pdf: bool = False
    folder: str = ""
    actions: dict[str, int] = field(default_factory=dict)


def summarise_impact(plan: ImpactPlan, applied: ApplyResult, target: Path) -> ImpactSummary:
    fig, net = plan.figures, plan.network
    written = sum(len(plan.pages[a.payload["lang"]].files(plan.quarter)) + 2 * plan.pdf for a in applied.done)
    return ImpactSummary(
        quarter=plan.quarter, members=fig.members.at_end, joins=fig.members.joins, leavers=fig.members.leavers,
        retention=None if fig.members.retention is None else round(fig.members.retention, 3),
        events_held=fig.events.held, attendances=fig.events.attendances, new_ties=fig.new_ties,
        introductions=fig.introductions, components=net.components, isolates=net.isolates,
        newcomers_unconnected=len(net.newcomers_unconnected), brokers=len(net.brokers),
        files_written=written,
        pdf=plan.pdf, folder=str(target) if not applied.dry_run else "", actions=applied.counts(),
    )  # fmt: skip


def build_impact_report(plan: ImpactPlan, applied: ApplyResult, target: Path, lang: str, dry_run: bool) -> Report:
    report = Report("impact-report", t("impact.run.title", lang, quarter=plan.quarter), lang)
    report.summary = headline(plan.figures, plan.network, lang)
    report.summary.append((t("impact.run.folder", lang), f"{target.parent.name}/{target.name}"))
    made = t("impact.run.pdf_yes", lang) if plan.pdf else t("impact.run.pdf_no", lang)
    report.summary.append((t("impact.run.pdf", lang), made))
    if dry_run:
        report.notes.append(t("impact.run.dry_run", lang))
    rows = []
    for action in applied.planned:
        language = action.payload["lang"]
        state = ("done" if action in applied.done else "already_done" if action in applied.already_done
                 else "failed" if any(a == action for a, _ in applied.failed) else "skipped")  # fmt: skip
        files = ", ".join(plan.pages[language].files(plan.quarter))
        rows.append([language, t(f"impact.run.state.{state}", lang), files])
    report.tables.append(Table(t("impact.run.files", lang), [t("impact.col.language", lang),
                               t("impact.col.state", lang), t("impact.col.files", lang)], rows))  # fmt: skip
    problems = [[a.summary, why] for a, why in applied.failed]
    problems += [[t("impact.run.attendance_row", lang, row=r.row), r.reason] for r in plan.rejected]
    report.tables.append(Table(t("impact.run.problems", lang), [t("impact.col.what", lang),
                               t("impact.col.reason", lang)], problems))  # fmt: skip
    return report
