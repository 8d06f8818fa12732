"""engagement-review, report: the typed summary and the report a coordinator reads, by name (never by id)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tasks.common.delivery import Delivery
from tasks.common.ties import INTRODUCTIONS, Tie, new_ties, period_of
from tasks.engagement.introductions import newcomer_of
from tasks.engagement.plan import ReviewPlan
from tasks.engagement.score import STATUSES, counts_by_status
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class EngagementSummary(Summary):
    members_scored: int
    engaged: int
    drifting: int
    newcomer: int
    quiet: int
    checkins_assigned: int
    checkins_waiting: int
    introductions: int
    followups_due: int
    followups_planned: int
    cells: int
    reoffers: int = 0  # introductions answered "not yet" by the signed link, offered once more
    introductions_recorded: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    new_ties_this_month: int = 0
    new_ties_this_quarter: int = 0
    tie_graph: str = ""  # the Kumu connections sheet; absent on a dry run (nothing is written)

    def _keys(self) -> list[str]:
        return [k for k in super()._keys() if k != "tie_graph" or self.tie_graph]


# the counts summary_counts gives, in its order: the report labels each with eng.s.<key>
SUMMARY_KEYS = ("members_scored", *STATUSES, "checkins_assigned", "checkins_waiting", "introductions", "followups_due",
                "followups_planned", "cells", "reoffers")  # fmt: skip


def summary_counts(plan: ReviewPlan) -> dict[str, int]:
    statuses = counts_by_status(plan.scores)
    return {
        "members_scored": len(plan.scores),
        **statuses,
        "checkins_assigned": sum(len(a.members) for a in plan.assignments),
        "checkins_waiting": len(plan.waiting),
        "introductions": len(plan.introductions),
        "followups_due": len(plan.followups_due),
        "followups_planned": len(plan.followups_planned),
        "cells": len(plan.cells),
        "reoffers": len(plan.reoffers),
    }


def this_period(ties: list[Tie], today: date, period: str) -> int:
    """New ties (first meetings) in the month or quarter of `today`."""
    return sum(new_ties(ties, period).get(period_of(today, period), {}).values())


def summarise_review(plan: ReviewPlan, applied: ApplyResult, delivery: Delivery, made: list[Tie], ties: list[Tie],
                     export: Path | None) -> EngagementSummary:  # fmt: skip
    return EngagementSummary(**summary_counts(plan), introductions_recorded=len(made), actions=applied.counts(),
                             emails=delivery.summary(), new_ties_this_month=this_period(ties, plan.today, "month"),
                             new_ties_this_quarter=this_period(ties, plan.today, "quarter"),
                             tie_graph=str(export) if export is not None else "")  # fmt: skip


def build_review_report(plan: ReviewPlan, ties: list[Tie], delivery: Delivery, export: Path | None, lang: str,
                        dry_run: bool) -> Report:  # fmt: skip
    counts = summary_counts(plan)
    report = Report("engagement-review", t("eng.title", lang), lang)
    report.summary = [(t(f"eng.s.{k}", lang), str(v)) for k, v in counts.items()]
    report.summary.append((t("eng.s.sources", lang), " / ".join(str(v) for v in plan.sources.values())))
    report.summary.append((t("eng.s.emails", lang), ", ".join(f"{k} {v}" for k, v in delivery.summary().items() if v)))
    report.summary.append((t("eng.s.export", lang), export.name if export else "-"))
    if dry_run:
        report.notes.append(t("eng.dry_run", lang))
    loads = [[a.weaver.name, f"{len(a.members)} / {a.weaver.capacity}"] for a in plan.assignments]
    report.tables.append(Table(t("eng.t.weavers", lang), [t("col.weaver", lang), t("col.load", lang)], loads))
    headers = [t(f"col.{k}", lang) for k in ("member", "status", "score", "last_active", "weaver", "suggested")]
    report.tables.append(Table(t("eng.t.flagged", lang), headers, flagged_rows(plan, lang)))
    for period in ("month", "quarter"):
        met, introduced = new_ties(ties, period), new_ties(ties, period, INTRODUCTIONS)
        rows = [[p, str(sum(met.get(p, {}).values())),
                 ", ".join(f"{k} {v}" for k, v in sorted(met.get(p, {}).items())),
                 str(sum(introduced.get(p, {}).values()))] for p in sorted(set(met) | set(introduced))]  # fmt: skip
        heads = [t("col.period", lang), t("col.new_ties", lang), t("col.by_source", lang),
                 t("eng.col.introductions_apart", lang)]  # fmt: skip
        report.tables.append(Table(t(f"eng.t.new_ties_{period}", lang), heads, rows))
    planned = [[introduction_label(plan, x), due.isoformat()] for x, due in plan.followups_planned]
    report.tables.append(Table(t("eng.t.followups", lang), [t("col.introduction", lang), t("col.due", lang)], planned))
    rejected = [[str(r.row), r.reason] for r in plan.rejected]
    report.tables.append(Table(t("eng.t.rejected", lang), [t("col.row", lang), t("col.reason", lang)], rejected))
    return report


def flagged_rows(plan: ReviewPlan, lang: str) -> list[list[str]]:
    """Each flagged member by name, with the weaver (by name) who checks in, or "-" while waiting."""
    assigned = [(a.weaver.name, s) for a in plan.assignments for s in a.members]
    rows = []
    for weaver, score in assigned + [("-", s) for s in plan.waiting]:
        last = score.last_active.isoformat() if score.last_active else "-"
        tips = "; ".join(plan.suggestions.get(score.member_id, []))
        status = t(f"eng.reason.{score.status}", lang)
        rows.append([plan.name(score.member_id), status, str(score.score), last, weaver, tips])
    return rows


def introduction_label(plan: ReviewPlan, introduction: Tie) -> str:
    """An introduction as people read it: "newcomer → member", by name."""
    newcomer, partner = newcomer_of(introduction)
    return f"{plan.name(newcomer)} → {plan.name(partner)}"
