"""Newsletter compile and render: pure, no Prefect, no files but the templates."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from connectors.feeds import Feed, FeedEntry
from tasks.newsletter.compile import FeedItem, compile_issue, parse_when, render_edition, resolve_period
from tasks.newsletter.read import read_feeds
from weaver.config import WeaverConfig, parse_config
from weaver.errors import FatalError, WeaverError

TODAY = date(2026, 11, 24)
NOVEMBER = resolve_period("2026-11", TODAY, "monthly")


def config(**newsletter: object) -> WeaverConfig:
    return parse_config({"network": {"languages": ["zh", "en"]}, "tables": {"backend": "workbook", "path": "x"},
                         "newsletter": newsletter})  # fmt: skip


def compile_(events=None, opportunities=None, news=None, feeds=(), **kw: object):  # type: ignore[no-untyped-def]
    sources = {"events": events, "opportunities": opportunities, "news": news}
    return compile_issue(sources, list(feeds), NOVEMBER, TODAY, config(**kw))


# events as issue 5 lays them out, and a coordinator's Chinese headers
EVENTS = [
    ["event_id", "title", "start", "end", "timezone", "place", "audience", "capacity", "language", "status"],
    ["e1", "Climate café", "2026-12-03 18:30", "", "Asia/Shanghai", "Online", "all", "", "en", "scheduled"],
    ["e2", "Past meetup", "2026-11-02", "", "", "Berlin", "", "", "", ""],
    ["e3", "Cancelled walk", "2026-12-05", "", "", "", "", "", "", "cancelled"],
    ["e4", "Far away", "2027-03-01", "", "", "", "", "", "", ""],
    ["e5", "", "2026-12-06", "", "", "", "", "", "", ""],
    ["e6", "Someday", "soon", "", "", "", "", "", "", ""],
    ["e0", "Tomorrow's call", "2026-11-25T09:00:00+08:00", "", "", "Zoom", "", "", "", ""],
]
EVENTS_ZH = [
    ["活动名称（中文）", "活动名称（英文）", "开始时间", "地点"],
    ["气候沙龙", "Climate salon", "2026年12月3日 14:00", "成都"],
]
# opportunities as issue 7 lays them out
OPPORTUNITIES = [
    ["funder", "title", "amount", "currency", "deadline", "link", "stage"],
    ["Open Fund", "Small grants", "5,000", "USD", "2026-12-01", "https://fund.example.org", "research"],
    ["Big Fdn", "Core support", "", "", "12/20/2026", "", "writing"],
    ["Old Fdn", "Expired", "", "", "2026-10-01", "", ""],
    ["Done Fdn", "Submitted already", "", "", "2026-12-30", "", "submitted"],
    ["Rolling Fdn", "Anytime", "", "", "", "javascript:alert(1)", ""],
    ["Typo Fdn", "Bad date", "", "", "31/31/2026", "", ""],
    ["Open Fund ", "small grants", "5000", "USD", "2026-12-01", "", "research"],  # copied twice
]
NEWS = [
    ["date", "title_en", "title_zh", "summary_en", "summary_zh", "link", "by", "status"],
    [
        "2026-11-20",
        "River clean-up",
        "河道清洁",
        "120 volunteers",
        "120 名志愿者",
        "https://x.example.org/a",
        "Org A",
        "",
    ],
    ["2026-11-21", "", "只有中文", "", "", "", "", ""],
    ["2026-10-30", "Last month", "", "", "", "", "", ""],
    ["2026-11-22", "Hidden", "", "", "", "", "", "draft"],
]


def test_sections_read_other_developers_layouts_and_leave_out_what_does_not_belong() -> None:
    issue = compile_(EVENTS, OPPORTUNITIES, NEWS)
    assert [i.title[""] for i in issue.sections["events"]] == ["Tomorrow's call", "Climate café"]
    assert issue.sections["events"][1].time == "18:30" and issue.sections["events"][1].where == {"": "Online"}
    opportunities = issue.sections["opportunities"]
    assert [i.title[""] for i in opportunities] == ["Small grants", "Core support", "Anytime"]
    assert opportunities[0].soon and not opportunities[1].soon and opportunities[2].day is None
    assert opportunities[0].amount == "5,000 USD"
    assert [(r.tab, r.row, r.reason) for r in issue.rejected] == [
        ("Events", 6, "no_title"), ("Events", 7, "bad_date"), ("Opportunities", 7, "bad_date"),
    ]  # fmt: skip
    news = issue.sections["news"]
    assert [i.title for i in news] == [{"zh": "只有中文"}, {"en": "River clean-up", "zh": "河道清洁"}]


def test_bilingual_columns_are_matched_in_chinese_headers_too() -> None:
    issue = compile_(EVENTS_ZH)
    [event] = issue.sections["events"]
    assert event.title == {"zh": "气候沙龙", "en": "Climate salon"} and event.time == "14:00"


def test_missing_tabs_and_columns_leave_a_section_empty_and_are_noted() -> None:
    issue = compile_(None, [["funder", "amount"], ["X", "1"]], [])
    assert issue.counts() == {"events": 0, "opportunities": 0, "news": 0}
    assert issue.missing == [("Events", ""), ("Opportunities", "title"), ("News", "")]


def test_feed_items_of_the_period_join_the_news() -> None:
    feeds = [FeedItem("Funding call", "https://f.example.org/1", date(2026, 11, 10), "Apply now", "Funder Feed"),
             FeedItem("Old", "https://f.example.org/0", date(2026, 9, 1), "", "Funder Feed")]  # fmt: skip
    issue = compile_(news=NEWS, feeds=feeds)
    assert [i.kind for i in issue.sections["news"]] == ["news", "news", "feed"]


def test_each_edition_is_in_its_language_with_inlined_css_and_a_text_part() -> None:
    issue = compile_(EVENTS, OPPORTUNITIES, NEWS)
    zh = render_edition(issue, "zh", "示范网络", "mailto:hi@example.org?subject=unsubscribe")
    en = render_edition(issue, "en", "Demo network", "*|UNSUB|*")
    assert zh.subject == "示范网络 通讯 · 2026年11月" and en.subject == "Demo network newsletter · November 2026"
    assert "河道清洁" in zh.html and "River clean-up" in en.html and "只有中文" in en.html  # falls back
    assert 'style="' in en.html and "@media (max-width: 480px)" in en.html  # inlined, phone rules kept
    assert "javascript:" not in en.html and "*|UNSUB|*" in en.html
    assert "截止 2026年12月1日（即将截止）" in zh.text
    assert "- Climate café · 3 Dec 2026 18:30 · Online\n" in en.text
    assert en.counts == {"events": 2, "opportunities": 3, "news": 2}


def test_text_from_the_sheet_is_escaped_in_html() -> None:
    issue = compile_(news=[["date", "title"], ["2026-11-02", "<script>alert(1)</script>"]])
    edition = render_edition(issue, "en", "N", "*|UNSUB|*")
    assert "<script>alert" not in edition.html and "&lt;script&gt;" in edition.html


@pytest.mark.parametrize(
    ("text", "key", "start", "end"),
    [
        ("2026-11", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-2", "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-q4", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31)),
        ("", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
    ],
)
def test_periods(text: str, key: str, start: date, end: date) -> None:
    period = resolve_period(text, TODAY, "monthly")
    assert (period.key, period.start, period.end) == (key, start, end)


def test_a_bad_period_names_itself() -> None:
    with pytest.raises(WeaverError, match="period '2026-13' is not a month"):
        resolve_period("2026-13", TODAY, "monthly")
    assert resolve_period("", TODAY, "quarterly").key == "2026-Q4"


def test_dates_in_the_forms_sheets_hold() -> None:
    assert parse_when("2026年12月3日 14:00") == (date(2026, 12, 3), "14:00")
    assert parse_when("12/20/2026") == (date(2026, 12, 20), "")
    assert parse_when("2026/12/3") == (date(2026, 12, 3), "")
    assert parse_when("next week") is None


class Feeds:
    """The feed-source Protocol over fixed feeds (our own interface; the reader has its own tests)."""

    def __init__(self, feeds: dict[str, Feed | Exception]) -> None:
        self.feeds = feeds
        self.calls: Counter[str] = Counter()

    def read(self, name: str, url: str) -> Feed:
        self.calls["read"] += 1
        found = self.feeds[url]
        if isinstance(found, Exception):
            raise found
        return found

    def close(self) -> None:
        pass


def test_feed_items_become_plain_text_and_a_broken_feed_is_reported_by_host() -> None:
    entry = FeedEntry(
        "7", "Call: 气候适应", "https://f.example.org/7", date(2026, 11, 10), "<p>Apply by <b>Dec</b></p>"
    )
    source = Feeds({"https://f.example.org/feed?token=SECRET": Feed("", [entry]),
                    "https://down.example.org/rss": FatalError("feed 'down.example.org': HTTP 404")})  # fmt: skip
    items, problems = read_feeds(source, list(source.feeds))
    assert items == [FeedItem("Call: 气候适应", "https://f.example.org/7", date(2026, 11, 10), "Apply by Dec",
                              "f.example.org")]  # fmt: skip
    assert problems == ["feed 'down.example.org': HTTP 404"] and "SECRET" not in " ".join(problems)
