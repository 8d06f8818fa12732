"""social-posts, plan (pure): the drafts to append and the approved posts due on each channel.

The rules are in tasks/posts/posts.py's docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.events.events import SCHEDULED, parse_events
from tasks.newsletter.compile import Issue, Period, format_day, opportunity_aliases, read_opportunities
from tasks.posts.posts import Channel, Draft, PostPlan, opportunity_source, plan_drafts, plan_sends
from tasks.posts.read import PostSources
from weaver.config import WeaverConfig
from weaver.errors import WeaverError
from weaver.i18n import t


def channels_of(config: WeaverConfig) -> list[Channel]:
    """The configured channels; none configured: one `posts/` folder channel per network language."""
    if config.posts.channels:
        return [Channel(c.name, c.kind, c.language) for c in config.posts.channels]
    return [Channel(f"posts-{lang}", "folder", lang) for lang in config.network.languages]


def _event_drafts(sources: PostSources, config: WeaverConfig, now: datetime, languages: Sequence[str]) -> list[Draft]:
    if sources.events is None:
        return []
    tab, lang = config.tabs.events, config.network.default_language
    try:
        events, _problems = parse_events(sources.events, config.events, tab, config.network.timezone, lang, tab)
    except WeaverError:
        return []  # the events operation reports a broken tab
    out = []
    for e in sorted((e for e in events if e.status == SCHEDULED and e.start > now), key=lambda e: (e.start, e.row)):
        rsvp = config.events.rsvp_url.replace("{event_id}", e.event_id) if config.events.rsvp_url else ""
        texts = {code: t("posts.draft.event", code, title=e.title, when=format_day(e.start.date(), f"{e.start:%H:%M}",
                                                                                   code), link=rsvp).strip()
                 for code in languages}  # fmt: skip
        out.append(Draft(f"event:{e.event_id}", texts))
    return out


def _opportunity_drafts(
    sources: PostSources, config: WeaverConfig, today: date, languages: Sequence[str]
) -> list[Draft]:
    if sources.opportunities is None:
        return []
    issue = Issue(Period("posts", today, today), today, {})
    issue.aliases["opportunities"] = opportunity_aliases(config)
    many = config.newsletter.model_copy(update={"max_items": 1000})
    items = read_opportunities(sources.opportunities, config.tabs.opportunities, issue, many, languages)
    out = []
    for item in items:
        title = item.title.get("") or next(iter(item.title.values()), "")
        funder = item.where.get("") or next(iter(item.where.values()), "")
        texts = {code: t("posts.draft.opportunity", code, title=item.title.get(code) or title, funder=funder,
                         deadline=format_day(item.day, "", code) or t("posts.rolling", code),
                         link=item.link if item.link.startswith(("https://", "http://")) else "").strip()
                 for code in languages}  # fmt: skip
        out.append(Draft(opportunity_source(title, funder), texts))
    return out


def _newsletter_drafts(sources: PostSources, languages: Sequence[str], site_url: str) -> list[Draft]:
    """One draft per archived period; with `[site] base_url` it links the issue's page on the public site."""
    periods: dict[str, dict[str, str]] = {}
    for edition in sources.editions:
        periods.setdefault(edition.period, {})[edition.lang] = edition.subject
    drafts = []
    for period, subjects in sorted(periods.items()):
        texts = {}
        for code in languages:
            lang = code if code in subjects else next(iter(subjects))
            link = f"{site_url.rstrip('/')}/newsletter/{period}-{lang}.html" if site_url else ""
            texts[code] = t("posts.draft.newsletter", code, subject=subjects[lang], link=link).strip()
        drafts.append(Draft(f"newsletter:{period}", texts))
    return drafts


def plan_posts(sources: PostSources, config: WeaverConfig, now: datetime, today: date) -> PostPlan:
    cfg, languages = config.posts, config.network.languages
    plan = plan_sends(sources.posts or [], cfg.tab, channels_of(config), config.network.timezone, now)
    drafts: list[Draft] = []
    if "events" in cfg.drafts_from:
        drafts += _event_drafts(sources, config, now, languages)
    if "opportunities" in cfg.drafts_from:
        drafts += _opportunity_drafts(sources, config, today, languages)
    if "newsletter" in cfg.drafts_from:
        drafts += _newsletter_drafts(sources, languages, config.site.base_url)
    plan_drafts(sources.posts or [], cfg.tab, drafts, plan)
    return plan


plan_posts_task = task(name="plan-social-posts", cache_policy=NO_CACHE)(plan_posts)
