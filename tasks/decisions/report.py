"""decision-rounds, report: each round's state (taking part, answered, quorum), outcomes, what was sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tasks.common.delivery import Delivery
from tasks.decisions.decisions import FLOW, KINDS, RESULTS, ROW_PROBLEMS
from tasks.decisions.plan import DecisionPlan, counts_text, result_text
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("proposals", "open_rounds", "closed_rounds", "invitations_sent", "reminders_sent",
                "outcomes_recorded", "announcements_sent", "chat_posts", "rows_to_fix")  # fmt: skip
STATUSES = ("upcoming", "open", "closed")
CHOICES = ("consent", "stand_aside", "object", "support", "concern")
__all__ = ["CHOICES", "KINDS", "RESULTS", "ROW_PROBLEMS", "STATUSES", "SUMMARY_KEYS", "DecisionSummary",
           "build_decision_report", "decision_summary"]  # fmt: skip


@dataclass(kw_only=True)
class DecisionSummary(Summary):
    proposals: int
    open_rounds: int
    closed_rounds: int
    invitations_sent: int
    reminders_sent: int
    outcomes_recorded: int
    announcements_sent: int
    chat_posts: int
    rows_to_fix: int
    emails: dict[str, Any] = field(default_factory=dict)


def decision_summary(plan: DecisionPlan, applied: ApplyResult, delivery: Delivery | None,
                     posted: ApplyResult) -> DecisionSummary:  # fmt: skip
    done = [a.payload.get("purpose", "") for a in delivery.result.done] if delivery else []
    return DecisionSummary(
        proposals=len(plan.proposals.proposals),
        open_rounds=sum(1 for r in plan.rounds if r.status == "open"),
        closed_rounds=sum(1 for r in plan.rounds if r.status == "closed"),
        invitations_sent=done.count("decision_invite"),
        reminders_sent=done.count("decision_reminder"),
        outcomes_recorded=len(applied.done) + (len(applied.skipped) if applied.dry_run else 0),
        announcements_sent=done.count("decision_outcome"),
        chat_posts=len(posted.done) + (len(posted.skipped) if posted.dry_run else 0),
        rows_to_fix=len(plan.proposals.problems),
        emails=delivery.summary() if delivery else {},
    )


def build_decision_report(plan: DecisionPlan, summary: DecisionSummary, config: WeaverConfig,
                          dry_run: bool) -> Report:  # fmt: skip
    lang = config.network.default_language
    report = Report(FLOW, t("dec.title", lang), lang)
    report.notes += [t("dec.dry_run", lang)] if dry_run else []
    if plan.proposals.missing_tab:
        report.notes.append(t("dec.no_tab", lang, tab=config.decisions.proposals_tab))
    report.summary = [(t(f"dec.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    rows = []
    for r in plan.rounds:
        p, o = r.proposal, r.outcome
        answered = len(r.responded & {v.member_id for v in r.eligible})
        rows.append([p.title(lang), t(f"dec.kind.{p.kind}", lang), t(f"dec.status.{r.status}", lang),
                     p.closes.isoformat(), str(len(r.eligible)), str(answered),
                     str(p.needed(len(r.eligible))), result_text(o, lang) if o else "",
                     counts_text(o, lang) if o else ""])  # fmt: skip
    headers = [t(f"dec.col.{c}", lang) for c in ("title", "kind", "status", "closes", "eligible", "responded",
                                                 "needed", "result", "counts")]  # fmt: skip
    report.tables.append(Table(t("dec.rounds", lang), headers, rows))
    if plan.proposals.problems:
        fix = [[str(row), t(f"dec.problem.{c}", lang)] for row, c in plan.proposals.problems]
        report.tables.append(Table(t("dec.problems", lang, tab=config.decisions.proposals_tab),
                                   [t("dec.col.row", lang), t("dec.col.problem", lang)], fix))  # fmt: skip
    return report
