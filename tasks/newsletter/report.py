"""newsletter, report: the typed summary, the report (editions by language and subject, rows left out by tab
and row) and a preview artifact linking each edition's HTML for a coordinator to review."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks.common.delivery import Delivery
from tasks.newsletter.apply import Archived
from tasks.newsletter.compile import Issue, Period
from tasks.newsletter.delivery import Campaigns
from weaver.i18n import t
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class NewsletterSummary(Summary):
    """What the flow returns. By email: the delivery counts; with Mailchimp: the campaigns."""

    period: str
    delivery: str  # email | mailchimp
    new_editions: str
    earlier_editions: str
    campaigns_created: int | None = None
    campaigns_sent: int | None = None
    held: int | None = None  # messages the approval gate held back
    sent: int | None = None
    already_sent: int | None = None
    failed: int | None = None
    outcome_unknown: int | None = None
    suppressed: int | None = None
    would_send: int | None = None
    other_language: int | None = None
    sections: dict[str, int] = field(default_factory=dict)
    rows_left_out: int = 0
    editions: list[str] = field(default_factory=list)

    def _keys(self) -> list[str]:
        return [k for k in super()._keys() if getattr(self, k) is not None]

    def outcome(self) -> dict[str, Any]:
        """The entries the report's summary lists (the run-level and per-section ones aside)."""
        return {k: self[k] for k in self if k not in ("sections", "rows_left_out", "editions", "report", "previews")}


def summarise_newsletter(
    issue: Issue,
    archived: Archived,
    channel: str,
    delivery: Delivery | None,
    other_language: int,
    campaigns: Campaigns | None,
) -> NewsletterSummary:
    summary = NewsletterSummary(
        period=issue.period.key, delivery=channel,
        new_editions=", ".join(archived.new) or "-", earlier_editions=", ".join(archived.earlier) or "-",
        sections=issue.counts(), rows_left_out=len(issue.rejected),
        editions=[str(p) for p in archived.paths.values()],
    )  # fmt: skip
    if campaigns is not None:
        summary.campaigns_created = len(campaigns.created.done) + len(campaigns.created.already_done)
        if campaigns.sent is not None:
            summary.campaigns_sent = len(campaigns.sent.done) + len(campaigns.sent.already_done)
    if delivery is not None:
        for key, value in delivery.summary().items():
            if key != "planned":
                setattr(summary, key, value)
        summary.other_language = other_language
    return summary


def build_newsletter_report(
    issue: Issue, archived: Archived, outcome: Mapping[str, Any], lang: str, dry_run: bool, problems: Sequence[str] = ()
) -> Report:
    """The run's report; `problems` are the feeds that could not be read (named by host)."""
    title = t("newsletter.title", lang, period=issue.period.label(lang))
    report = Report(f"newsletter-{issue.period.key.lower()}", title, lang)  # artifact keys are lowercase
    counts = issue.counts()
    report.summary = [(t("newsletter.as_of", lang), issue.as_of.isoformat())]
    report.summary += [(t(f"newsletter.section.{k}", lang), str(v)) for k, v in counts.items()]
    report.summary += [(t(f"newsletter.{k}", lang), str(v)) for k, v in outcome.items() if not isinstance(v, dict)]
    if dry_run:
        report.notes.append(t("newsletter.dry_run", lang))
    if archived.earlier:
        report.notes.append(t("newsletter.earlier", lang, langs=", ".join(archived.earlier)))
    if not archived.issued and not dry_run:
        report.notes.append(t("newsletter.not_issued", lang))
    report.notes += [_missing_note(tab, column, lang) for tab, column in issue.missing]
    report.notes += problems
    rows = [[e.lang, e.subject, str(archived.paths[e.lang])] for e in archived.editions]
    headers = [t("newsletter.col.lang", lang), t("newsletter.col.subject", lang), t("newsletter.col.file", lang)]
    report.tables.append(Table(t("newsletter.editions", lang), headers, rows))
    rejected = [[r.tab, str(r.row), t(f"newsletter.reason.{r.reason}", lang, column=r.column)] for r in issue.rejected]
    headers = [t("newsletter.col.tab", lang), t("col.row", lang), t("col.reason", lang)]
    report.tables.append(Table(t("newsletter.rejected", lang), headers, rejected))
    return report


def _missing_note(tab: str, column: str, lang: str) -> str:
    if column:
        return t("newsletter.missing_column", lang, tab=tab, column=column)
    return t("newsletter.missing_tab", lang, tab=tab)


def publish_preview(archived: Archived, period: Period, lang: str) -> None:
    """A Prefect artifact linking each edition's HTML, so a coordinator reviews it before it goes out."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return
    lines = [f"# {t('newsletter.preview', lang, period=period.label(lang))}", ""]
    lines += ["| | | |", "|---|---|---|"]
    for edition in archived.editions:
        path = archived.paths[edition.lang]
        subject = html.escape(edition.subject).replace("|", "\\|")
        lines.append(f"| {edition.lang} | {subject} | [{path.name}]({path.resolve().as_uri()}) |")
    create_markdown_artifact(
        "\n".join(lines), key="newsletter-preview", description=t("newsletter.preview", lang, period=period.key)
    )
