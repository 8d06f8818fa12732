"""News for the newsletter from RSS and Atom feeds: fetched with requests, parsed with feedparser.

We fetch the bytes ourselves (explicit timeout, the project's bounded retry loop for this idempotent GET,
honouring `Retry-After`, a size limit) and give feedparser a `BytesIO`: given a string, feedparser would first try to
open it as a path or URL. A feed is named by its host in messages, never by its URL (private feed URLs
carry tokens).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlsplit

import feedparser
import requests

from connectors.retry import RetryPolicy, parse_retry_after, retry
from weaver.errors import FatalError, RetriableError

MAX_FEED_BYTES = 5_000_000
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class FeedItem:
    title: str
    link: str
    published: date | None
    summary: str
    source: str  # the feed's own title, else its host


class NewsFeeds(Protocol):
    calls: Counter[str]

    def read(self, url: str) -> list[FeedItem]:
        """The feed's items; RetriableError / FatalError naming the feed's host when it cannot be read."""
        ...


def feed_name(url: str) -> str:
    return urlsplit(url).hostname or "feed"


class FeedReader:
    def __init__(
        self, *, timeout: float = 20.0, policy: RetryPolicy | None = None, session: requests.Session | None = None
    ) -> None:
        self.timeout = timeout
        self.policy = policy or RetryPolicy(attempts=3, budget_seconds=60.0)
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": "network-weaver/0.1 (newsletter)"})
        self.calls: Counter[str] = Counter()

    def read(self, url: str) -> list[FeedItem]:
        name = feed_name(url)
        body, content_type = retry(lambda: self._get(url, name), self.policy)  # a GET: safe to repeat
        parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-type": content_type})
        if (parsed.get("bozo") or not parsed.get("version")) and not parsed.get("entries"):
            problem = type(parsed.get("bozo_exception")).__name__ if parsed.get("bozo") else "no feed format"
            raise FatalError(f"feed {name!r}: not a readable RSS or Atom feed ({problem})")
        source = _text(parsed.get("feed", {}).get("title")) or name
        return [_item(entry, source) for entry in parsed.get("entries", [])]

    def _get(self, url: str, name: str) -> tuple[bytes, str]:
        self.calls["read"] += 1
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise RetriableError(f"feed {name!r}: no answer ({type(exc).__name__})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetriableError(
                f"feed {name!r}: HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
            )
        if not response.ok:
            raise FatalError(f"feed {name!r}: HTTP {status}")
        if len(response.content) > MAX_FEED_BYTES:
            raise FatalError(f"feed {name!r}: larger than {MAX_FEED_BYTES // 1_000_000} MB")
        return response.content, response.headers.get("Content-Type", "")


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _item(raw: Any, source: str) -> FeedItem:
    when = raw.get("published_parsed") or raw.get("updated_parsed")
    published = date(when.tm_year, when.tm_mon, when.tm_mday) if when else None
    summary = _text(_TAG.sub(" ", str(raw.get("summary") or "")))[:400]  # shown as text; the template escapes
    return FeedItem(_text(raw.get("title")), _text(raw.get("link")), published, summary, source)
