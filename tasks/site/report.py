"""site, report: what the site shows (counts), where it went, and the rows left out (tab, row, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.site.apply import Published
from tasks.site.plan import SitePlan
from weaver.i18n import t
from weaver.report import Report, Table
from weaver.summary import Summary

TARGET_STATES = ("done", "already_done", "failed", "skipped")


@dataclass(kw_only=True)
class SiteSummary(Summary):
    pages: int
    events: int
    opportunities: int
    newsletters: int
    stories: int
    directory: int
    not_listed: int
    folder: str
    folder_outcome: str
    published: int  # remote targets pushed to by this run
    unchanged: int  # remote targets that already had this version
    failed: int
    problems: int
    targets: list[str] = field(default_factory=list)


def summarise_site(plan: SitePlan, published: Published) -> SiteSummary:
    counts = plan.counts()
    states = [status for _, status, _ in published.targets]
    directory = plan.content.directory
    return SiteSummary(
        **counts,
        not_listed=directory.declined + directory.unnamed,
        folder=str(published.folder),
        folder_outcome=published.folder_outcome,
        published=states.count("done"),
        unchanged=states.count("already_done"),
        failed=states.count("failed"),
        problems=len(plan.content.problems),
        targets=[f"{target}: {status}" for target, status, _ in published.targets],
    )


def _state(status: str, detail: str, lang: str) -> str:
    if status == "failed":
        return t("site.failed", lang, detail=detail)
    if status == "already_done":
        return t("site.already_published", lang)
    if status == "skipped":
        return t("site.not_published", lang)
    return detail


def build_site_report(plan: SitePlan, published: Published, lang: str, dry_run: bool) -> Report:
    report = Report("site", t("site.title", lang), lang)
    counts, directory = plan.counts(), plan.content.directory
    report.summary = [(t(f"site.{k}", lang), str(counts[k])) for k in
                      ("pages", "events", "opportunities", "newsletters", "stories", "directory")]  # fmt: skip
    report.summary += [(t("site.declined", lang), str(directory.declined)),
                       (t("site.unnamed", lang), str(directory.unnamed)),
                       (t("site.preview", lang) if dry_run else t("site.folder", lang),
                        f"{published.folder / 'index.html'} ({published.folder_outcome})")]  # fmt: skip
    if dry_run:
        report.notes.append(t("site.dry_run", lang))
    report.notes += [t("site.missing_tab", lang, tab=tab) for tab in plan.content.missing]
    rows = [[target, _state(status, detail, lang)] for target, status, detail in published.targets]
    report.tables.append(Table(t("site.targets_table", lang), [t("site.target", lang), t("site.outcome", lang)], rows))
    problems = [[p] for p in plan.content.problems]
    report.tables.append(Table(t("site.problems_table", lang), [t("site.problem", lang)], problems))
    return report
