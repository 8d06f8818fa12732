"""event-harvest, plan (pure, no I/O): which finished events are harvested, the thank-you and reminder emails
with personal harvest links, the Insights rows, the harvest pages and the newsletter offers. Exactly what a dry
run shows.

- thanks: each attendee of an event that ended within `[harvest] thank_within_days`, once (ledger key
  `harvest-thanks:<event>:<member>`); op.send applies consent, suppression and the approval gate.
- a reminder: once, `[harvest] reminder_days` after the run that first thanked (as of its clock, so `as_of`
  runs replay it), to an attendee thanked by an earlier run who has not answered, while the harvest is open
  (`harvest-reminder:<event>:<member>`).
- each answer becomes one row of the Insights tab (`insight:<event>:<member>`), all new rows in one write.
- each event with answers gets a harvest page per language (`reports/harvest/<event>/`), rewritten only when
  what it shows changes (its ledger key carries a digest of the page).
- when the harvest closes, its top consented insights are offered to the next newsletter as one News tab row
  (`harvest-news:<event>`), with the status `[harvest] news_status` for a coordinator to publish.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from connectors.tables import Grid
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.common.text import normalise_header
from tasks.events.messages import format_span
from tasks.harvest.harvest import FLOW, PURPOSE, Answer, Finished, reminder_key, thanks_key, top_insights
from tasks.harvest.read import HarvestRead
from tasks.harvest.render import harvest_page, member_name
from weaver.config import WeaverConfig
from weaver.i18n import LANGUAGES, t
from weaver.ledger import Action
from weaver.links import LinkSigner, link_url

FOLDER = "harvest"
INSIGHT_FIELDS = ("event_id", "event", "date", "tag", "quote", "consent", "name", "rating", "answered")
NEWS_FIELDS = ("date", "title_en", "title_zh", "summary_en", "summary_zh", "by", "status")
LINK_DAYS_AFTER_CLOSE = 7  # a link stays verifiable a week after the close, to say "closed" rather than "invalid"


@dataclass
class HarvestPlan:
    now: datetime
    events: list[Finished] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    snapshots: list[dict[str, object]] = field(default_factory=list)  # events the page may take answers for
    insights: list[Action] = field(default_factory=list)
    pages: list[Action] = field(default_factory=list)
    news: list[Action] = field(default_factory=list)
    insights_tab: str = ""
    missing: list[str] = field(default_factory=list)

    def count(self, purpose: str) -> int:
        return sum(1 for m in self.messages if m.purpose == purpose)


def finished_events(read: HarvestRead, config: WeaverConfig, now: datetime) -> list[Finished]:
    """The events whose end is past and which are still harvested (thank window) or were thanked before."""
    cfg = config.harvest
    came: dict[str, set[str]] = {}
    for row in read.attended:
        came.setdefault(row.event_id, set()).add(row.member_id)
    for row in read.checkins:
        came.setdefault(row["event_id"], set()).add(row["member_id"])
    answers: dict[str, list[Answer]] = {}
    for a in read.answers:
        answers.setdefault(a.event_id, []).append(a)
    sent: dict[str, set[str]] = {}
    for key, _at in read.sent:
        kind, _, rest = key.partition(":")
        sent.setdefault(f"{kind}:{rest.rpartition(':')[0]}", set()).add(rest.rpartition(":")[2])
    out = []
    for e in sorted(read.events, key=lambda e: (e.end, e.event_id)):
        if e.status != "scheduled" or e.end > now:
            continue
        if now - e.end > timedelta(days=cfg.thank_within_days) and e.event_id not in read.opened:
            continue
        closes = e.end + timedelta(days=cfg.close_days)
        members = sorted(m for m in came.get(e.event_id, set()) if m in read.members)
        out.append(Finished(e.event_id, e.title, e.start, e.end, e.timezone, closes,
                            "harvesting" if now < closes else "closed", members, answers.get(e.event_id, []),
                            sent.get(f"harvest-thanks:{e.event_id}", set()),
                            sent.get(f"harvest-reminder:{e.event_id}", set()),
                            read.opened.get(e.event_id)))  # fmt: skip
    return out


def plan_harvest(read: HarvestRead, config: WeaverConfig, now: datetime, signer: LinkSigner) -> HarvestPlan:
    cfg = config.harvest
    plan = HarvestPlan(now, finished_events(read, config, now), insights_tab=cfg.insights_tab, missing=read.missing)
    for f in plan.events:
        if f.status == "closed":
            plan.news += _news_offer(f, read, config)
            plan.pages += _pages(f, read, config)
            continue
        if not f.attendees:
            continue
        plan.snapshots.append(f.snapshot(now))
        expires = f.closes + timedelta(days=LINK_DAYS_AFTER_CLOSE)
        answered = {a.member_id for a in f.answers}
        within = now - f.end <= timedelta(days=cfg.thank_within_days)
        for member_id in f.attendees:
            url = link_url(config, PURPOSE, signer.token(PURPOSE, member_id, f.event_id, expires))
            member = read.members[member_id]
            if within and member_id not in f.thanked:  # the ledger would skip it too; the gate should not count it
                plan.messages.append(_message("harvest_thanks", thanks_key(f.event_id, member_id), f, member, url,
                                              config))  # fmt: skip
            due = f.opened is not None and now - f.opened >= timedelta(days=cfg.reminder_days)
            if due and member_id in f.thanked and member_id not in answered and member_id not in f.reminded:
                plan.messages.append(_message("harvest_reminder", reminder_key(f.event_id, member_id), f, member,
                                              url, config))  # fmt: skip
        plan.pages += _pages(f, read, config)
    plan.insights = [_insight(f, a, read, config) for f in plan.events for a in f.answers]
    return plan


def _language(member: Mapping[str, Any], config: WeaverConfig) -> str:
    lang = str((member.get("fields") or {}).get("language") or "")
    return lang if lang in LANGUAGES else config.network.default_language


def _message(template: str, key: str, f: Finished, member: Mapping[str, Any], url: str,
             config: WeaverConfig) -> Message:  # fmt: skip
    lang = _language(member, config)
    name = member_name(member)
    when = format_span(f.start, f.end, ZoneInfo(f.timezone), lang)
    closes = f.closes.astimezone(ZoneInfo(f.timezone)).date().isoformat()
    ctx = {"network_name": config.network.name, "name": name, "title": f.title, "when": when, "url": url,
           "closes": closes}  # fmt: skip
    text = render(template, lang, ctx, default_language=config.network.default_language)
    return Message(key=key, to_email=member["email"], to_name=name, subject=text.subject, text=text.text,
                   html=text.html, language=text.language, member_id=member["member_id"], purpose=template)  # fmt: skip


def _day(f: Finished) -> str:
    return f.start.astimezone(ZoneInfo(f.timezone)).date().isoformat()


def _insight(f: Finished, a: Answer, read: HarvestRead, config: WeaverConfig) -> Action:
    lang = config.network.default_language
    answered = a.answered_at.astimezone(ZoneInfo(config.network.timezone)).strftime("%Y-%m-%d %H:%M")
    values = {"event_id": f.event_id, "event": f.title, "date": _day(f), "tag": t(f"harvest.tag.{a.tag}", lang),
              "quote": a.quote, "consent": t(f"harvest.consent.{a.consent}", lang),
              "name": member_name(read.members.get(a.member_id) or {}), "rating": str(a.rating or ""),
              "answered": answered}  # fmt: skip
    return Action(f"insight:{f.event_id}:{a.member_id}", "sheet-append", f"insight for {f.event_id}",
                  {"values": values}, idempotent=True)  # fmt: skip


def _pages(f: Finished, read: HarvestRead, config: WeaverConfig) -> list[Action]:
    if not f.answers:
        return []
    names = {a.member_id: member_name(read.members.get(a.member_id) or {}) for a in f.answers}
    actions = []
    for lang in LANGUAGES:
        html = harvest_page(f, names, config.network.name, lang)
        digest = hashlib.sha256(html.encode("utf-8")).hexdigest()[:16]
        payload = {"file": page_file(f, lang), "title": f.title, "lang": lang, "html": html}
        actions.append(Action(f"harvest-page:{f.event_id}:{lang}:{digest}", "file", f"harvest page of {f.event_id}",
                              payload, idempotent=True))  # fmt: skip
    return actions


def _news_offer(f: Finished, read: HarvestRead, config: WeaverConfig) -> list[Action]:
    top = top_insights(f.answers, config.harvest.newsletter_top)
    if not top:
        return []
    values: dict[str, str] = {"date": f.closes.astimezone(ZoneInfo(f.timezone)).date().isoformat(),
                              "status": config.harvest.news_status}  # fmt: skip
    for lang in LANGUAGES:
        quotes = []
        for a in top:
            who = member_name(read.members.get(a.member_id) or {}) if a.consent == "name" else ""
            quotes.append(t("harvest.news.quote", lang, quote=a.quote.strip(), who=who) if who else
                          t("harvest.news.quote_anonymous", lang, quote=a.quote.strip()))  # fmt: skip
        values[f"title_{lang}"] = t("harvest.news.title", lang, title=f.title)
        values[f"summary_{lang}"] = " ".join(quotes)
    values["by"] = t("harvest.news.by", config.network.default_language)
    return [Action(f"harvest-news:{f.event_id}", "sheet-append", f"newsletter offer for {f.event_id}",
                   {"values": values}, idempotent=True)]  # fmt: skip


# rows into tabs with their own headers ------------------------------------------------------------------
HEADER_NAMES = {
    "event_id": ("event_id", "活动编号"), "event": ("event", "活动"), "date": ("date", "日期"),
    "tag": ("tag", "标签"), "quote": ("quote", "引述", "收获"), "consent": ("consent", "同意分享"),
    "name": ("name", "姓名"), "rating": ("rating", "评分"), "answered": ("answered", "回答时间"),
}  # fmt: skip


def insight_header(lang: str) -> list[str]:
    return [HEADER_NAMES[f][1 if lang == "zh" else 0] for f in INSIGHT_FIELDS]


def insight_columns(grid: Grid) -> dict[str, int]:
    """Our fields -> the Insights tab's own columns (0-based), by its header (en or zh)."""
    header = [normalise_header(h) for h in (grid[0] if grid else [])]
    return {f: header.index(n) for f, names in HEADER_NAMES.items() for n in names if n in header}


def news_columns(grid: Grid, default_language: str) -> dict[str, int]:
    """Our News fields -> the News tab's columns (0-based): title/summary per language (`title_en`, `标题（中文）`
    ...; a plain `title` takes the network's language), date, by, status."""
    out: dict[str, int] = {}
    for col, raw in enumerate(grid[0] if grid else []):
        h = normalise_header(raw)
        lang = "zh" if ("zh" in h or "中文" in h) else ("en" if ("en" in h.split("_") or "(en)" in h or "英文" in h)
                                                       else default_language)  # fmt: skip
        base = h.split("_")[0].split("(")[0].replace("中文", "").replace("英文", "").strip()
        if base in ("title", "标题"):
            out.setdefault(f"title_{lang}", col)
        elif base in ("summary", "简介", "摘要", "description"):
            out.setdefault(f"summary_{lang}", col)
        elif base in ("date", "日期", "published", "发布日期"):
            out.setdefault("date", col)
        elif base in ("by", "author", "作者", "提交人"):
            out.setdefault("by", col)
        elif base in ("status", "状态"):
            out.setdefault("status", col)
    return out


def last_row(grid: Grid) -> int:
    return max((i + 1 for i, r in enumerate(grid) if any(c.strip() for c in r)), default=0)


def page_file(f: Finished, lang: str) -> str:
    """reports/harvest/<day>-<short digest of the event id>/harvest-<lang>.html (the report names the title)."""
    digest = hashlib.sha256(f.event_id.encode("utf-8")).hexdigest()[:8]
    return f"{FOLDER}/{_day(f)}-{digest}/harvest-{lang}.html"


def snapshot_ids(plan: HarvestPlan) -> Sequence[str]:
    return [str(s["event_id"]) for s in plan.snapshots]


__all__ = ["FLOW", "HarvestPlan", "finished_events", "plan_harvest"]

plan_harvest_task = task(name="plan-event-harvest", cache_policy=NO_CACHE)(plan_harvest)
