"""event-harvest, report: each finished event (came, thanked, answered, reminded), what was sent, the Insights
rows and newsletter offers written, and where the harvest pages are. Titles and names, never ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tasks.common.delivery import Delivery
from tasks.harvest.apply import HarvestApplied
from tasks.harvest.harvest import FLOW, STATUSES
from tasks.harvest.plan import HarvestPlan
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("events", "thanks_sent", "reminders_sent", "answers", "insights_written", "pages_written",
                "news_offered")  # fmt: skip
__all__ = ["STATUSES", "SUMMARY_KEYS", "HarvestSummary", "build_harvest_report", "summarise_harvest"]


@dataclass(kw_only=True)
class HarvestSummary(Summary):
    events: int
    thanks_sent: int
    reminders_sent: int
    answers: int
    insights_written: int
    pages_written: int
    news_offered: int
    emails: dict[str, Any] = field(default_factory=dict)


def _written(result: ApplyResult) -> int:
    return len(result.done) + (len(result.skipped) if result.dry_run else 0)


def summarise_harvest(plan: HarvestPlan, applied: HarvestApplied, delivery: Delivery) -> HarvestSummary:
    done = [a.payload.get("purpose", "") for a in delivery.result.done]
    return HarvestSummary(
        events=len(plan.events),
        thanks_sent=done.count("harvest_thanks"),
        reminders_sent=done.count("harvest_reminder"),
        answers=sum(len(f.answers) for f in plan.events),
        insights_written=_written(applied.insights),
        pages_written=_written(applied.pages),
        news_offered=_written(applied.news),
        emails=delivery.summary(),
    )


def build_harvest_report(plan: HarvestPlan, applied: HarvestApplied, summary: HarvestSummary,
                         config: WeaverConfig, dry_run: bool) -> Report:  # fmt: skip
    lang = config.network.default_language
    report = Report(FLOW, t("harvest.title", lang), lang)
    report.notes += [t("harvest.dry_run", lang)] if dry_run else []
    if config.harvest.insights_tab in plan.missing and plan.insights:
        report.notes.append(t("harvest.no_insights_tab", lang, tab=config.harvest.insights_tab, n=len(plan.insights)))
    if config.tabs.news in plan.missing and plan.news:
        report.notes.append(t("harvest.no_news_tab", lang, tab=config.tabs.news))
    if _written(applied.news):
        report.notes.append(t("harvest.news_offered", lang, tab=config.tabs.news, status=config.harvest.news_status))
    report.summary = [(t(f"harvest.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    rows = []
    for f in plan.events:
        zone = ZoneInfo(f.timezone)
        rows.append([f.title, f.start.astimezone(zone).date().isoformat(), t(f"harvest.status.{f.status}", lang),
                     f.closes.astimezone(zone).date().isoformat(), str(len(f.attendees)),
                     str(len(f.thanked | {m.member_id or "" for m in plan.messages
                                          if m.purpose == "harvest_thanks" and m.key.split(":")[1] == f.event_id})),
                     str(len(f.answers)), str(sum(1 for a in f.answers if a.shareable))])  # fmt: skip
    headers = [t(f"harvest.col.{c}", lang) for c in ("event", "date", "status", "closes", "came", "thanked",
                                                      "answered", "shareable")]  # fmt: skip
    report.tables.append(Table(t("harvest.events", lang), headers, rows))
    if applied.files:
        columns = [t("harvest.col.event", lang), t("harvest.col.file", lang)]
        pages = [[title, f"reports/{name}"] for title, name in applied.files]
        report.tables.append(Table(t("harvest.pages", lang), columns, pages))
    return report
