"""bounces, report: who bounced (names and the message's subject, never ids or addresses), hard or soft, and
who is suppressed from now on."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.bounces.plan import HARD_REASON, BouncePlan
from weaver.i18n import t
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class BouncesSummary(Summary):
    configured: bool
    read: int
    hard: int
    soft: int
    suppressed: int
    already_suppressed: int
    unmatched: int
    unclassified: int
    repeated: int


def summarise_bounces(plan: BouncePlan, configured: bool) -> BouncesSummary:
    return BouncesSummary(
        configured=configured, read=plan.read, hard=len(plan.hard), soft=len(plan.soft), suppressed=len(plan.suppress),
        already_suppressed=plan.already_suppressed, unmatched=plan.unmatched, unclassified=plan.unclassified,
        repeated=plan.repeated,
    )  # fmt: skip


def build_bounces_report(plan: BouncePlan, configured: bool, lang: str, dry_run: bool, soft_limit: int) -> Report:
    report = Report("bounces", t("bounces.report.title", lang), lang)
    if not configured:
        report.notes.append(t("bounces.report.not_configured", lang))
        return report
    report.summary = [
        (t("bounces.report.read", lang), str(plan.read)),
        (t("bounces.report.hard", lang), str(len(plan.hard))),
        (t("bounces.report.soft", lang), str(len(plan.soft))),
        (t("bounces.report.suppressed", lang), str(len(plan.suppress))),
        (t("bounces.report.unmatched", lang), str(plan.unmatched)),
        (t("bounces.report.unclassified", lang), str(plan.unclassified)),
    ]
    if dry_run:
        report.notes.append(t("bounces.report.dry_run", lang))
    if plan.more:
        report.notes.append(t("bounces.report.more", lang))
    headers = [t("sync.col.member", lang), t("bounces.col.message", lang), t("bounces.col.status", lang),
               t("bounces.col.diagnostic", lang)]  # fmt: skip
    if plan.hard:
        rows = [[b.name, b.subject, b.bounce.status, b.bounce.diagnostic] for b in plan.hard]
        report.tables.append(Table(t("bounces.report.hard_table", lang), headers, rows))
    if plan.soft:
        rows = [[b.name, b.subject, b.bounce.status, f"{b.soft_count}/{soft_limit}"] for b in plan.soft]
        soft_headers = [*headers[:3], t("bounces.col.count", lang)]
        report.tables.append(Table(t("bounces.report.soft_table", lang), soft_headers, rows))
    if plan.suppress:
        why = {HARD_REASON: t("bounces.why.hard", lang)}
        soft = t("bounces.why.soft", lang, n=soft_limit)
        rows = [[name, why.get(reason, soft)] for reason, name in plan.suppress.values()]
        report.tables.append(Table(t("bounces.report.suppress_table", lang), [t("sync.col.member", lang),
                                   t("bounces.col.why", lang)], rows))  # fmt: skip
    return report
