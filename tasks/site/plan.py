"""site, plan (pure, no I/O): what the public site shows, rendered to files, and the publishing actions.

What goes in, and what never does:

* **Events**: scheduled events of the events tab that have not ended, soonest first, with the time in the
  event's own zone, the place (an online event says "online": its meeting link is not published), the
  description and the RSVP link of `[events] rsvp_url`. Drafts and cancelled events are left out. A row the
  events operation would reject is left out here too and counted.
* **calendar.ics**: the workspace's feed as event-invites wrote it (events and deadlines, no personal data).
* **Opportunities**: open calls (the newsletter's rules: closed stages left out, deadline today or later,
  then rolling ones), with funder, deadline, amount and link. Owners and next actions are never shown.
* **Newsletter**: every archived edition (the newest per period and language), as sent.
* **Stories**: the News tab's published items dated up to today (drafts and hidden rows left out), newest first.
* **Directory**: see tasks/site/directory.py (only members who said yes, only the fields they allowed).

Every page exists in each of `[network] languages`; links are relative, so the folder works from any URL
or from disk. Nothing in a page depends on the time of the build beyond what is upcoming: publishing the same
workspace twice builds the same bytes, so a git target sees no change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from tasks.common.messages import TEMPLATES, environment
from tasks.common.prefect_task import task
from tasks.events.events import SCHEDULED, Event, parse_events
from tasks.newsletter.compile import (
    Edition,
    Issue,
    Item,
    Period,
    format_day,
    opportunity_aliases,
    read_news,
    read_opportunities,
)
from tasks.site.directory import Directory, build_directory
from tasks.site.read import SiteSources
from weaver.config import DIRECTORY_FIELDS, WeaverConfig
from weaver.errors import WeaverError
from weaver.i18n import t
from weaver.ledger import Action

PAGES = ("home", "events", "opportunities", "newsletter", "stories", "directory")
# the labels every page uses: site.<label> in weaver/catalogue/site.toml
LABELS = (
    "skip", "main_nav", "home_intro", "colon", "see_all", "footer",
    "nav_home", "nav_events", "nav_opportunities", "nav_newsletter", "nav_stories", "nav_directory",
    "events_none", "event_online", "event_rsvp", "event_when", "event_where", "subscribe",
    "opportunities_none", "deadline", "rolling", "funder", "amount", "closing_soon", "details",
    "newsletter_none", "stories_none", "story_by", "read_more", "directory_intro", "directory_none",
    "languages_title",
)  # fmt: skip
_STORY_START = date(1970, 1, 1)
HTML_LANG = {"zh": "zh-Hans", "en": "en"}
FILES = {page: "index.html" if page == "home" else f"{page}.html" for page in PAGES}
SITE_KIND = "site-publish"


@dataclass(frozen=True)
class PublicEvent:
    event_id: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    place: str  # "" for an online event
    online: bool
    description: str
    rsvp: str


@dataclass
class Content:
    """What the site shows, before it is rendered in each language."""

    events: list[PublicEvent] = field(default_factory=list)
    opportunities: list[Item] = field(default_factory=list)
    stories: list[Item] = field(default_factory=list)
    editions: list[Edition] = field(default_factory=list)
    directory: Directory = field(default_factory=Directory)
    calendar: bytes | None = None
    problems: list[str] = field(default_factory=list)  # rows left out, each with its tab, row and reason
    missing: list[str] = field(default_factory=list)  # tabs that do not exist


@dataclass
class SitePlan:
    content: Content
    files: dict[str, bytes]
    digest: str  # of every file: the same site has the same digest

    def counts(self) -> dict[str, int]:
        c = self.content
        return {
            "events": len(c.events),
            "opportunities": len(c.opportunities),
            "newsletters": len(c.editions),
            "stories": len(c.stories),
            "directory": len(c.directory.entries),
            "pages": sum(1 for name in self.files if name.endswith(".html")),
        }

    def actions(self, targets: Sequence[str]) -> list[Action]:
        """One publish per remote target and site version: the same site is never pushed twice."""
        return [
            Action(f"{SITE_KIND}:{target}:{self.digest}", SITE_KIND, f"publish the site to {target}",
                   {"target": target}, idempotent=True)
            for target in targets
        ]  # fmt: skip


def safe_link(link: str) -> str:
    """Only web and mail links reach the site (a cell could hold javascript:...)."""
    link = link.strip()
    return link if link.startswith(("https://", "http://", "mailto:")) else ""


# selecting --------------------------------------------------------------------------------------------------
def select_events(grid: Sequence[Sequence[str]], config: WeaverConfig, now: datetime, content: Content) -> None:
    lang, tab = config.network.default_language, config.tabs.events
    try:
        events, problems = parse_events(grid, config.events, tab, config.network.timezone, lang, tab)
    except WeaverError as exc:
        content.problems.append(str(exc))
        return
    content.problems += [f"{p.cell or tab} ({p.event_id or '—'}): {p.reason}" for p in problems]
    upcoming = [e for e in events if e.status == SCHEDULED and e.end > now]
    content.events = [_public(e, config.events.rsvp_url) for e in sorted(upcoming, key=lambda e: (e.start, e.row))]


def _public(event: Event, rsvp_url: str) -> PublicEvent:
    rsvp = safe_link(rsvp_url.replace("{event_id}", event.event_id)) if rsvp_url else ""
    place = "" if event.online else event.place
    return PublicEvent(event.event_id, event.title, event.start, event.end, event.timezone, place, event.online,
                       event.description, rsvp)  # fmt: skip


def select_items(sources: SiteSources, config: WeaverConfig, today: date, content: Content) -> None:
    """Open opportunities and published stories, read with the newsletter's rules."""
    languages = config.network.languages
    many = config.newsletter.model_copy(update={"max_items": 1000})
    tabs = {"opportunities": config.tabs.opportunities, "news": config.tabs.news}
    issue = Issue(Period("site", _STORY_START, today), today, {})
    issue.aliases["opportunities"] = opportunity_aliases(config)
    if sources.opportunities is not None:
        content.opportunities = read_opportunities(sources.opportunities, tabs["opportunities"], issue, many, languages)
    if sources.news is not None:
        content.stories = read_news(sources.news, tabs["news"], issue, many, languages)
    lang = config.network.default_language
    content.problems += [
        f"{r.tab}!{r.row}: {t(f'newsletter.reason.{r.reason}', lang, column=r.column)}" for r in issue.rejected
    ]
    content.missing += [tab for tab, column in issue.missing if not column]


def select_content(sources: SiteSources, config: WeaverConfig, now: datetime, today: date) -> Content:
    content = Content(editions=list(sources.editions), calendar=sources.calendar)
    if sources.events is not None:
        select_events(sources.events, config, now, content)
    elif config.events.source == "table":
        content.missing.append(config.tabs.events)
    for name, grid in (("opportunities", sources.opportunities), ("news", sources.news)):
        if grid is None:
            content.missing.append(getattr(config.tabs, name))
    select_items(sources, config, today, content)
    content.directory = build_directory(sources.members, config.site.directory_fields)
    return content


# rendering --------------------------------------------------------------------------------------------------
def _in(texts: Mapping[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("") or next(iter(texts.values()), "")


def _event_view(event: PublicEvent, lang: str, network_tz: str) -> dict[str, Any]:
    start, end = event.start, event.end
    when = format_day(start.date(), f"{start:%H:%M}", lang)
    when += f"–{end:%H:%M}" if end.date() == start.date() else f" – {format_day(end.date(), f'{end:%H:%M}', lang)}"
    if event.timezone != network_tz:
        when += f" ({event.timezone})"
    return {"id": event.event_id, "title": event.title, "when": when, "datetime": start.isoformat(),
            "place": event.place, "online": event.online, "description": event.description,
            "rsvp": event.rsvp}  # fmt: skip


def _item_view(item: Item, lang: str) -> dict[str, Any]:
    return {
        "title": _in(item.title, lang),
        "summary": _in(item.summary, lang),
        "where": _in(item.where, lang),
        "when": format_day(item.day, item.time, lang),
        "datetime": item.day.isoformat() if item.day else "",
        "link": safe_link(item.link),
        "amount": item.amount,
        "soon": item.soon,
    }


def edition_path(edition: Edition) -> str:
    return f"newsletter/{edition.period}-{edition.lang}.html"


def _context(content: Content, config: WeaverConfig, lang: str) -> dict[str, Any]:
    languages = config.network.languages
    labels = {name: t(f"site.{name}", lang) for name in LABELS}
    fields = {name: t(f"site.field.{name}", lang) for name in DIRECTORY_FIELDS}
    own = [e for e in content.editions if e.lang == lang] or list(content.editions)
    return {
        "lang": lang,
        "other": [code for code in languages if code != lang],
        "title": config.site.title or config.network.name,
        "label": labels,
        "field_label": fields,
        "events": [_event_view(e, lang, config.network.timezone) for e in content.events],
        "opportunities": [_item_view(i, lang) for i in content.opportunities],
        "stories": [_item_view(i, lang) for i in content.stories],
        "editions": [
            {"title": e.subject, "period": e.period, "href": f"../{edition_path(e)}", "lang": e.lang}
            for e in sorted(own, key=lambda e: e.period, reverse=True)
        ],  # fmt: skip
        "directory": content.directory.entries,
        "calendar": content.calendar is not None,
        "home_items": config.site.home_items,
        "page_title": {name: t(f"site.nav_{name}", lang) for name in PAGES},
        "pages": PAGES,
        "files": FILES,
        "html_lang": HTML_LANG,
        "language_name": {code: t("site.language_name", code) for code in languages},
    }


def render_site(content: Content, config: WeaverConfig) -> dict[str, bytes]:
    """Every file of the site: the language chooser, each page in each language, style, calendar, archive."""
    env = environment(str(TEMPLATES))
    languages = config.network.languages
    files: dict[str, bytes] = {}
    style = (TEMPLATES / "site" / "style.css").read_text(encoding="utf-8")
    files["style.css"] = style.encode()
    files[".nojekyll"] = b""  # GitHub Pages serves the files as they are
    chooser = {"languages": [(code, t("site.language_name", code), t("site.languages_title", code))
                             for code in languages],
               "lang": config.network.default_language, "title": config.site.title or config.network.name,
               "html_lang": HTML_LANG}  # fmt: skip
    files["index.html"] = env.get_template("site/index.html").render(chooser).encode()
    for lang in languages:
        context = _context(content, config, lang)
        for page in PAGES:
            html = env.get_template(f"site/{page}.html").render({**context, "page": page})
            files[f"{lang}/{FILES[page]}"] = html.encode()
    if content.calendar is not None:
        files["calendar.ics"] = content.calendar
    for edition in content.editions:
        files[edition_path(edition)] = edition.html.replace("*|UNSUB|*", "").encode()
    return files


def digest_of(files: Mapping[str, bytes]) -> str:
    h = hashlib.blake2b(digest_size=12)
    for name in sorted(files):
        h.update(name.encode() + b"\0" + hashlib.blake2b(files[name], digest_size=16).digest())
    return h.hexdigest()


def plan_site(sources: SiteSources, config: WeaverConfig, now: datetime, today: date) -> SitePlan:
    content = select_content(sources, config, now, today)
    files = render_site(content, config)
    return SitePlan(content, files, digest_of(files))


plan_site_task = task(name="plan-site", cache_policy=NO_CACHE)(plan_site)
