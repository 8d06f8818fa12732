"""Newsletter, pure logic: the period, its sections from the tabs and feeds, one edition per language.

Sources are read defensively, by header name (case, width and spacing ignored; any one of the names
below). A missing tab or column means that section has nothing new; a row we cannot use is listed with
its tab, row number and reason, never silently dropped.

=============  ==========================================================================================
Events         title (name, event, 标题, 活动, 活动名称); start (date, start_time, 开始, 开始时间, 日期);
               place (location, venue, 地点); link (url, registration, rsvp_link, 报名链接, 链接);
               summary (description, 简介, 描述); status (状态): cancelled / draft rows are left out
Opportunities  title (name, opportunity, 标题, 机会); funder (agency, organisation, 资助方); deadline
               (close_date, closes, due, 截止日期); amount (award_ceiling, 金额); currency (币种); link;
               summary; status or stage: closed, submitted, awarded, declined ... rows are left out
News           date (published, 日期, 发布日期); title; summary; link; by (author, member, 作者, 提交人);
               status: draft / hidden / no rows are left out
=============  ==========================================================================================

Any text column may come in both languages: `title_en` and `title_zh`, `title (en)`, `标题（中文）`,
`中文标题` ... An edition uses its own language's column, else the plain one, else the other language's.
What goes in: events starting from the issue date until `events_horizon_days` after the period; open
opportunities (deadline on or after the issue date first, then rolling ones); news and feed items dated
inside the period.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import css_inline

from connectors.tables import Grid
from tasks.common.dates import parse_date
from tasks.common.messages import TEMPLATES, environment, pick_language
from tasks.common.text import normalise_header
from weaver.config import NewsletterConfig, WeaverConfig
from weaver.errors import ConfigError, WeaverError

SECTIONS = ("events", "opportunities", "news")

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "events": {
        "title": ("title", "name", "event", "标题", "活动", "活动名称", "名称"),
        "start": ("start", "starts", "start_time", "date", "开始", "开始时间", "日期", "时间"),
        "place": ("place", "location", "venue", "where", "地点", "地址"),
        "link": ("link", "url", "registration", "rsvp_link", "rsvp", "报名链接", "链接"),
        "summary": ("summary", "description", "简介", "描述", "说明"),
        "status": ("status", "状态"),
    },
    "opportunities": {
        "title": ("title", "name", "opportunity", "标题", "机会", "名称", "项目"),
        "funder": ("funder", "agency", "organisation", "organization", "资助方", "资助机构", "机构"),
        "deadline": ("deadline", "close_date", "closes", "due", "due date", "截止日期", "截止"),
        "amount": ("amount", "award_ceiling", "金额"),
        "currency": ("currency", "币种", "货币"),
        "link": ("link", "url", "链接"),
        "summary": ("summary", "description", "简介", "描述"),
        "status": ("status", "stage", "状态", "阶段"),
    },
    "news": {
        "date": ("date", "published", "日期", "发布日期"),
        "title": ("title", "headline", "标题"),
        "summary": ("summary", "text", "body", "简介", "内容", "摘要"),
        "link": ("link", "url", "链接"),
        "by": ("by", "author", "member", "from", "submitted_by", "作者", "提交人", "成员"),
        "status": ("status", "状态"),
    },
}
REQUIRED = {"events": ("title", "start"), "opportunities": ("title",), "news": ("date", "title")}
BILINGUAL = ("title", "summary", "place", "funder")
_LANG_WORDS = {"zh": ("zh", "cn", "中文", "chinese"), "en": ("en", "英文", "english")}
_CLOSED = {"closed", "archived", "submitted", "awarded", "declined", "withdrawn", "expired", "rejected", "已关闭",
           "已截止", "提交", "已提交", "获批", "已获批", "未获批", "放弃"}  # fmt: skip
SKIP_STATUS = {
    "events": {"cancelled", "canceled", "draft", "postponed", "取消", "已取消", "草稿", "延期"},
    "opportunities": _CLOSED,
    "news": {"draft", "hidden", "no", "rejected", "草稿", "隐藏", "不发布", "否"},
}
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_TIME = re.compile(r"(\d{1,2}):(\d{2})")  # a date never holds a colon: the first match is the time of day
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class FeedItem:
    """An item of an RSS or Atom feed, as the newsletter shows it (plain text)."""

    title: str
    link: str
    published: date | None
    summary: str
    source: str  # the feed's own title, else its host


def feed_name(url: str) -> str:
    """Feeds are named by host in messages: a private feed URL may carry a token."""
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "feed"


# the period -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    key: str  # 2026-11 (monthly) or 2026-Q4 (quarterly)
    start: date
    end: date  # inclusive

    def label(self, lang: str) -> str:
        if "Q" in self.key:
            quarter = self.key[-1]
            return f"{self.start.year}年第{quarter}季度" if lang == "zh" else f"Q{quarter} {self.start.year}"
        month = self.start.month
        return f"{self.start.year}年{month}月" if lang == "zh" else f"{_FULL_MONTHS[month - 1]} {self.start.year}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


_FULL_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def resolve_period(text: str, today: date, cadence: str) -> Period:
    """`2026-11` or `2026-Q4`; empty means the current month or quarter."""
    text = text.strip().upper()
    if not text:
        text = f"{today.year}-Q{(today.month - 1) // 3 + 1}" if cadence == "quarterly" else f"{today:%Y-%m}"
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})", text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    if match := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        year, quarter = int(match[1]), int(match[2])
        first = 3 * quarter - 2
        return Period(f"{year}-Q{quarter}", date(year, first, 1), _month_end(year, first + 2))
    raise WeaverError(f"newsletter: period {text!r} is not a month (2026-11) or a quarter (2026-Q4)")


def _month_end(year: int, month: int) -> date:
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def issue_date(period: Period, today: date) -> date:
    """The date the issue speaks from: today inside the period, else the period's first day."""
    return today if period.contains(today) else period.start


def parse_when(text: str) -> tuple[date, str] | None:
    """A date (ISO, 2026/12/3, 2026年12月3日, 12/03/2026) and its time of day as HH:MM, or None."""
    text = text.strip()
    if match := _US_DATE.match(text):
        try:
            return date(int(match[3]), int(match[1]), int(match[2])), ""
        except ValueError:
            return None
    iso = parse_date(text)
    if iso is None:
        return None
    clock = _TIME.search(text)
    return date.fromisoformat(iso), f"{int(clock[1]):02d}:{clock[2]}" if clock else ""


# reading the tabs defensively --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    kind: str  # event | opportunity | news | feed
    title: Mapping[str, str]  # language -> text ("" key: the plain, unlabelled column)
    summary: Mapping[str, str] = field(default_factory=dict)
    day: date | None = None
    time: str = ""
    link: str = ""
    where: Mapping[str, str] = field(default_factory=dict)  # place, funder, author or feed
    amount: str = ""
    soon: bool = False  # an opportunity closing within two weeks
    row: int = 0


REJECT_REASONS = ("no_title", "bad_date")  # why a row is left out: the report says newsletter.reason.<reason>


@dataclass(frozen=True)
class Rejected:
    tab: str
    row: int
    reason: str  # one of REJECT_REASONS
    column: str = ""


@dataclass
class Issue:
    period: Period
    as_of: date
    sections: dict[str, list[Item]]
    rejected: list[Rejected] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (tab, column or "" for the whole tab)
    aliases: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # section -> our key -> headers

    def counts(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.sections.items()}


def header_keys(aliases: Mapping[str, Sequence[str]], languages: Sequence[str]) -> dict[str, str]:
    """Every accepted header (normalised) -> our key: `title`, or `title.zh` for a language's column."""
    keys: dict[str, str] = {}
    for name, names in aliases.items():
        for alias in names:
            keys.setdefault(normalise_header(alias), name)
            if name in BILINGUAL:
                for lang in languages:
                    for variant in _variants(alias, lang):
                        keys.setdefault(normalise_header(variant), f"{name}.{lang}")
    return keys


def _variants(alias: str, lang: str) -> Iterable[str]:
    for word in _LANG_WORDS.get(lang, (lang,)):
        yield from (
            f"{alias}_{word}",
            f"{alias} ({word})",
            f"{alias}({word})",
            f"{alias}-{word}",
            f"{alias} {word}",
            f"{word}{alias}",
            f"{word} {alias}",
        )


def locate(
    header: Sequence[str], section: str, languages: Sequence[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> dict[str, int]:
    keys = header_keys(aliases or ALIASES[section], languages)
    cols: dict[str, int] = {}
    for i, text in enumerate(header):
        key = keys.get(normalise_header(text))
        if key is not None:
            cols.setdefault(key, i)
    return cols


class _Row:
    def __init__(self, cells: Sequence[str], cols: Mapping[str, int], languages: Sequence[str]) -> None:
        self.cells, self.cols, self.languages = cells, cols, languages

    def get(self, key: str) -> str:
        col = self.cols.get(key)
        return " ".join(self.cells[col].split()) if col is not None and col < len(self.cells) else ""

    def texts(self, name: str) -> dict[str, str]:
        found = {lang: self.get(f"{name}.{lang}") for lang in self.languages}
        found[""] = self.get(name)
        return {k: v for k, v in found.items() if v}

    def has(self, name: str) -> bool:
        return any(key == name or key.startswith(f"{name}.") for key in self.cols)


def _rows(grid: Grid, section: str, tab: str, issue: Issue, languages: Sequence[str]) -> Iterable[tuple[int, _Row]]:
    if not grid:
        issue.missing.append((tab, ""))
        return
    cols = locate(grid[0], section, languages, issue.aliases.get(section))
    probe = _Row([], cols, languages)
    absent = [name for name in REQUIRED[section] if not probe.has(name)]
    if absent:
        issue.missing += [(tab, name) for name in absent]
        return
    for offset, cells in enumerate(grid[1:]):
        if any(str(c).strip() for c in cells):
            yield offset + 2, _Row(cells, cols, languages)


def _skipped(row: _Row, section: str) -> bool:
    return row.get("status").casefold() in SKIP_STATUS[section]


def _dated_rows(
    grid: Grid, section: str, tab: str, issue: Issue, languages: Sequence[str], date_column: str
) -> Iterator[tuple[int, _Row, dict[str, str], tuple[date, str]]]:
    """A section's rows with a title and a readable date; every other row is reported (skipped ones aside)."""
    for row_no, row in _rows(grid, section, tab, issue, languages):
        if _skipped(row, section):
            continue
        title, when = row.texts("title"), parse_when(row.get(date_column))
        if not title:
            issue.rejected.append(Rejected(tab, row_no, "no_title", "title"))
        elif when is None:
            issue.rejected.append(Rejected(tab, row_no, "bad_date", date_column))
        else:
            yield row_no, row, title, when


def read_events(grid: Grid, tab: str, issue: Issue, cfg: NewsletterConfig, languages: Sequence[str]) -> list[Item]:
    last = issue.period.end + timedelta(days=cfg.events_horizon_days)
    items = [
        Item("event", title, row.texts("summary"), day, time, row.get("link"), row.texts("place"), row=row_no)
        for row_no, row, title, (day, time) in _dated_rows(grid, "events", tab, issue, languages, "start")
        if issue.as_of <= day <= last
    ]
    return sorted(items, key=lambda i: (i.day, i.time, i.row))[: cfg.max_items]


def read_opportunities(
    grid: Grid, tab: str, issue: Issue, cfg: NewsletterConfig, languages: Sequence[str]
) -> list[Item]:
    dated: list[Item] = []
    rolling: list[Item] = []
    for row_no, row in _rows(grid, "opportunities", tab, issue, languages):
        if _skipped(row, "opportunities"):
            continue
        title, raw = row.texts("title"), row.get("deadline")
        when = parse_when(raw) if raw else None
        if not title:
            issue.rejected.append(Rejected(tab, row_no, "no_title", "title"))
        elif raw and when is None:
            issue.rejected.append(Rejected(tab, row_no, "bad_date", "deadline"))
        elif when is None:
            rolling.append(_opportunity(row, row_no, title, None))
        elif when[0] >= issue.as_of:
            dated.append(_opportunity(row, row_no, title, when[0], (when[0] - issue.as_of).days <= 14))
    dated.sort(key=lambda i: (i.day, i.row))
    return _distinct(dated + rolling)[: cfg.max_items]


def _distinct(items: Sequence[Item]) -> list[Item]:
    """A call copied twice in the tab is announced once (same funder and title, ignoring case and width)."""
    seen: set[tuple[str, ...]] = set()
    out: list[Item] = []
    for item in items:
        key = tuple(normalise_header(v) for v in (*item.title.values(), *item.where.values()))
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _opportunity(row: _Row, row_no: int, title: dict[str, str], day: date | None, soon: bool = False) -> Item:
    amount = " ".join(part for part in (row.get("amount"), row.get("currency")) if part)
    return Item(
        "opportunity", title, row.texts("summary"), day, "", row.get("link"), row.texts("funder"), amount, soon, row_no
    )


def read_news(grid: Grid, tab: str, issue: Issue, cfg: NewsletterConfig, languages: Sequence[str]) -> list[Item]:
    items = [
        Item("news", title, row.texts("summary"), day, "", row.get("link"), _by(row), row=row_no)
        for row_no, row, title, (day, _time) in _dated_rows(grid, "news", tab, issue, languages, "date")
        if issue.period.contains(day)
    ]
    return sorted(items, key=lambda i: (i.day, i.row), reverse=True)


def _by(row: _Row) -> dict[str, str]:
    return {"": row.get("by")} if row.get("by") else {}


def feed_items(items: Sequence[FeedItem], period: Period) -> list[Item]:
    inside = [i for i in items if i.published and period.contains(i.published) and i.title]
    return [
        Item("feed", {"": i.title}, {"": i.summary} if i.summary else {}, i.published, "", i.link, {"": i.source})
        for i in sorted(inside, key=lambda i: i.published or period.start, reverse=True)
    ]


# the grant pipeline's own column mapping ([grants.columns]) names the opportunities tab's headers first
_GRANT_FIELDS = {
    "title": "title",
    "funder": "funder",
    "deadline": "deadline",
    "amount": "amount",
    "currency": "currency",
    "link": "link",
    "status": "stage",
}


def opportunity_aliases(config: WeaverConfig) -> dict[str, tuple[str, ...]]:
    grants = getattr(config, "grants", None)
    if grants is None:
        return dict(ALIASES["opportunities"])
    return {
        key: (grants.column(_GRANT_FIELDS[key]), *names) if key in _GRANT_FIELDS else names
        for key, names in ALIASES["opportunities"].items()
    }


def compile_issue(
    sources: Mapping[str, Grid | None], feeds: Sequence[FeedItem], period: Period, as_of: date, config: WeaverConfig
) -> Issue:
    """The whole issue, pure: what a dry run previews and what is archived and sent."""
    cfg, languages = config.newsletter, config.network.languages
    tabs = {"events": config.tabs.events, "opportunities": config.tabs.opportunities, "news": config.tabs.news}
    issue = Issue(period, as_of, {name: [] for name in SECTIONS})
    issue.aliases["opportunities"] = opportunity_aliases(config)
    readers = {"events": read_events, "opportunities": read_opportunities, "news": read_news}
    for name, reader in readers.items():
        grid = sources.get(name)
        if grid is None:
            issue.missing.append((tabs[name], ""))
            continue
        issue.sections[name] = reader(grid, tabs[name], issue, cfg, languages)
    issue.sections["news"] = (issue.sections["news"] + feed_items(feeds, period))[: cfg.max_items]
    return issue


# editions -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Edition:
    period: str
    lang: str
    subject: str
    html: str
    text: str
    counts: Mapping[str, int]

    def to_payload(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "lang": self.lang,
            "subject": self.subject,
            "html": self.html,
            "text": self.text,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Edition:
        return cls(data["period"], data["lang"], data["subject"], data["html"], data["text"], data["counts"])


# keeps the @media rules (the phone layout) in a <style> tag; everything else is inlined for mail clients
_INLINER = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False)


def render_edition(issue: Issue, lang: str, network_name: str, unsubscribe: str, root: Path = TEMPLATES) -> Edition:
    """templates/<lang>/newsletter.{subject,txt,html} with this language's texts; CSS inlined."""
    available = tuple(sorted(p.parent.name for p in root.glob("*/newsletter.subject")))
    if not available:
        raise ConfigError(f"templates: no newsletter template (expected {root}/<lang>/newsletter.subject)")
    template_lang = pick_language(lang, available, "en")
    context = edition_context(issue, lang, network_name, unsubscribe)
    env = environment(str(root))
    subject = " ".join(env.get_template(f"{template_lang}/newsletter.subject").render(context).split())
    text = env.get_template(f"{template_lang}/newsletter.txt").render(context).strip() + "\n"
    html = _INLINER.inline(env.get_template(f"{template_lang}/newsletter.html").render(context))
    return Edition(issue.period.key, lang, subject, html, text, issue.counts())


def edition_context(issue: Issue, lang: str, network_name: str, unsubscribe: str) -> dict[str, Any]:
    sections = {name: [_show(item, lang) for item in items] for name, items in issue.sections.items()}
    return {
        "network_name": network_name,
        "period": issue.period.label(lang),
        "period_key": issue.period.key,
        "lang": lang,
        "unsubscribe": unsubscribe,
        "counts": issue.counts(),
        **sections,
    }


def _show(item: Item, lang: str) -> dict[str, Any]:
    return {
        "title": _in(item.title, lang),
        "summary": _in(item.summary, lang),
        "where": _in(item.where, lang),
        "when": format_day(item.day, item.time, lang),
        "link": _safe_link(item.link),
        "amount": item.amount,
        "soon": item.soon,
    }


def _in(texts: Mapping[str, str], lang: str) -> str:
    """This language's text, else the plain column's, else any other language's."""
    return texts.get(lang) or texts.get("") or next(iter(texts.values()), "")


def _safe_link(link: str) -> str:
    """Only web and mail links reach a newsletter (a cell could hold javascript:...)."""
    return link if link.startswith(("https://", "http://", "mailto:")) else ""


def format_day(day: date | None, time: str, lang: str) -> str:
    if day is None:
        return ""
    text = f"{day.year}年{day.month}月{day.day}日" if lang == "zh" else f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
    return f"{text} {time}" if time else text
