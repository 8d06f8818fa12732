"""health-digest, report: what needs a person, by section, and where the digest went (or that all is well)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.common.delivery import Delivery
from tasks.health_digest.plan import DigestPlan
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class HealthSummary(Summary):
    period: str
    all_well: bool
    needs_a_person: dict[str, int] = field(default_factory=dict)  # section -> how many
    emails: dict[str, int] = field(default_factory=dict)
    posted: int = 0
    already_posted: int = 0


def summarise_digest(plan: DigestPlan, delivery: Delivery | None, posted: ApplyResult) -> HealthSummary:
    counts = posted.counts()
    return HealthSummary(period=plan.period, all_well=plan.all_well,
                         needs_a_person={k: v for k, v in plan.counts().items() if v},
                         emails=delivery.summary() if delivery else {}, posted=counts["done"],
                         already_posted=counts["already_done"])  # fmt: skip


def build_digest_report(plan: DigestPlan, summary: HealthSummary, lang: str, dry_run: bool) -> Report:
    report = Report("health-digest", t("health.title", lang, period=plan.period), lang)
    report.summary = [(s.title, str(s.count)) for s in plan.sections]
    if plan.all_well:
        report.notes.append(t("health.all_well", lang))
    emails = ", ".join(f"{k} {v}" for k, v in summary.emails.items() if v)
    if emails:
        report.summary.append((t("ask.s.emails", lang), emails))
    if plan.posts:
        report.summary.append((t("health.posted", lang), str(summary.posted + summary.already_posted)))
    if not plan.all_well and not plan.messages and not plan.posts:
        report.notes.append(t("health.nobody", lang))
    if dry_run:
        report.notes.append(t("ask.dry_run", lang))
    for section in plan.sections:
        report.tables.append(Table(section.title, [t("health.col.what", lang)], [[line] for line in section.lines]))
    return report
