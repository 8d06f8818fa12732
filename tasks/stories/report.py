"""stories, report: each round (nominees by title, votes, chosen), the stories published, what was sent.
Titles and names, never ids; a story is quoted here only once its author agreed to publish it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from tasks.common.delivery import Delivery
from tasks.stories.plan import StoriesPlan
from tasks.stories.stories import FLOW
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("rounds_open", "round_opened", "invitations_sent", "consent_asks_sent", "published",
                "news_offered", "waiting")  # fmt: skip
STATUSES = ("open", "closed")
__all__ = ["STATUSES", "SUMMARY_KEYS", "StoriesSummary", "build_stories_report", "summarise_stories"]


@dataclass(kw_only=True)
class StoriesSummary(Summary):
    rounds_open: int
    round_opened: int
    invitations_sent: int
    consent_asks_sent: int
    published: int
    news_offered: int
    waiting: int
    emails: dict[str, Any] = field(default_factory=dict)


def summarise_stories(plan: StoriesPlan, opened: bool, news: ApplyResult, delivery: Delivery) -> StoriesSummary:
    done = [a.payload.get("purpose", "") for a in delivery.result.done]
    return StoriesSummary(
        rounds_open=sum(1 for r in plan.rounds if r.status == "open"),
        round_opened=int(opened or (plan.new_round is not None and news.dry_run)),
        invitations_sent=done.count("story_vote"),
        consent_asks_sent=done.count("story_consent"),
        published=len(plan.published),
        news_offered=len(news.done) + (len(news.skipped) if news.dry_run else 0),
        waiting=plan.waiting,
        emails=delivery.summary(),
    )


def build_stories_report(plan: StoriesPlan, summary: StoriesSummary, config: WeaverConfig, dry_run: bool) -> Report:
    lang, tz = config.network.default_language, ZoneInfo(config.network.timezone)
    report = Report(FLOW, t("stories.title", lang), lang)
    report.notes += [t("stories.dry_run", lang)] if dry_run else []
    report.summary = [(t(f"stories.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    rows = []
    for r in plan.rounds:
        votes = dict(r.tally)
        for i, n in enumerate(r.nominees, start=1):
            rows.append([r.opened_at.astimezone(tz).date().isoformat(), r.closes_at.astimezone(tz).date().isoformat(),
                         t(f"stories.status.{r.status}", lang), t("stories.nominee", lang, n=i, title=n["title"]),
                         str(votes.get(n["story_id"], "")) if r.status == "closed" else "",
                         t("stories.yes", lang) if n["story_id"] in r.chosen else ""])  # fmt: skip
    headers = [t(f"stories.col.{c}", lang) for c in ("opened", "closes", "status", "story", "votes", "chosen")]
    report.tables.append(Table(t("stories.rounds", lang), headers, rows))
    if plan.published:
        heads = [t("stories.col.story", lang), t("stories.col.by", lang)]
        rows = [[p["text"], p["who"] or t("stories.anonymous", lang)] for p in plan.published]
        report.tables.append(Table(t("stories.published", lang), heads, rows))
    return report
