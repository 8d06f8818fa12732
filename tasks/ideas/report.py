"""event-ideas, report: the round's state, the ranking with dots and voters, the drafts written, rows to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.common.delivery import Delivery
from tasks.ideas.ideas import FLOW, ROW_PROBLEMS
from tasks.ideas.plan import IdeasPlan
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("ideas", "taking_part", "voted", "invitations_sent", "drafts_written", "rows_to_fix")
STATUSES = ("none", "upcoming", "open", "closed")
__all__ = ["ROW_PROBLEMS", "STATUSES", "SUMMARY_KEYS", "IdeasSummary", "build_ideas_report", "ideas_summary"]


@dataclass(kw_only=True)
class IdeasSummary(Summary):
    round: str
    status: str
    ideas: int
    taking_part: int
    voted: int
    invitations_sent: int
    drafts_written: int
    rows_to_fix: int
    emails: dict[str, Any] = field(default_factory=dict)


def ideas_summary(plan: IdeasPlan, applied: ApplyResult, delivery: Delivery | None) -> IdeasSummary:
    return IdeasSummary(
        round=plan.round_id, status=plan.status, ideas=len(plan.ideas.ideas), taking_part=plan.eligible,
        voted=plan.voted, invitations_sent=delivery.summary()["sent"] if delivery else 0,
        drafts_written=len(applied.done) + (len(applied.skipped) if applied.dry_run else 0),
        rows_to_fix=len(plan.ideas.problems), emails=delivery.summary() if delivery else {},
    )  # fmt: skip


def build_ideas_report(plan: IdeasPlan, summary: IdeasSummary, config: WeaverConfig, dry_run: bool) -> Report:
    lang = config.network.default_language
    report = Report(FLOW, t("ideas.title", lang, round=plan.round_id or "—"), lang)
    report.notes += [t("ideas.dry_run", lang)] if dry_run else []
    report.notes.append(t(f"ideas.status.{plan.status}", lang, opens=config.ideas.opens, closes=config.ideas.closes))
    report.summary = [(t(f"ideas.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    shortlist = config.ideas.shortlist
    rows = [[str(n), r.idea.title, str(r.dots), str(r.voters), r.idea.feasibility,
             t("ideas.shortlisted", lang) if n <= shortlist and r.dots > 0 else ""]
            for n, r in enumerate(plan.ranked, start=1)]  # fmt: skip
    headers = [t(f"ideas.col.{c}", lang) for c in ("rank", "idea", "dots", "voters", "feasibility", "shortlist")]
    report.tables.append(Table(t("ideas.ranking", lang), headers, rows))
    if plan.ideas.problems:
        fix = [[str(row), t(f"ideas.problem.{c}", lang)] for row, c in plan.ideas.problems]
        report.tables.append(Table(t("ideas.problems", lang, tab=config.ideas.tab),
                                   [t("ideas.col.row", lang), t("ideas.col.problem", lang)], fix))  # fmt: skip
    return report
