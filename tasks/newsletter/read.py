"""newsletter, read: the events, opportunities and news tabs, the news feeds, and the period's archived editions."""

from __future__ import annotations

import re
from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.feeds import FeedSource
from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.newsletter.apply import archived_editions
from tasks.newsletter.compile import FeedItem, feed_name
from weaver.config import WeaverConfig
from weaver.errors import WeaverError

_TAG = re.compile(r"<[^>]+>")  # feeds send HTML; we show text


def read_sources(tables: TableBackend, config: WeaverConfig) -> dict[str, Grid | None]:
    """The events, opportunities and news tabs, each in one read; a tab that does not exist is None."""
    names = set(tables.tab_names())
    tabs = {"events": config.tabs.events, "opportunities": config.tabs.opportunities, "news": config.tabs.news}
    return {section: tables.read_tab(tab) if tab in names else None for section, tab in tabs.items()}


def read_feeds(reader: FeedSource | None, urls: Sequence[str]) -> tuple[list[FeedItem], list[str]]:
    """Every configured feed's items; a feed that cannot be read is reported (by host) and skipped."""
    items: list[FeedItem] = []
    problems: list[str] = []
    for url in urls if reader is not None else ():
        name = feed_name(url)
        try:
            feed = reader.read(name, url)  # type: ignore[union-attr]
        except WeaverError as exc:
            problems.append(str(exc))
            continue
        for entry in feed.entries:
            summary = " ".join(_TAG.sub(" ", entry.summary).split())[:400]  # feeds send HTML; we show text
            items.append(FeedItem(entry.title, entry.link, entry.published, summary, feed.title or name))
    return items, problems


read_sources_task = task(name="read-newsletter-sources", cache_policy=NO_CACHE)(read_sources)
read_feeds_task = task(name="read-news-feeds", cache_policy=NO_CACHE)(read_feeds)
read_archived_task = task(name="read-newsletter-archive", cache_policy=NO_CACHE)(archived_editions)
