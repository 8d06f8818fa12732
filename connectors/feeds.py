"""Funders' calls for proposals from RSS and Atom feeds: fetched with requests, parsed with feedparser.

We fetch the bytes ourselves (explicit timeout, bounded retries, a size limit) and hand feedparser a
`BytesIO`: given raw bytes or a string, feedparser first tries to open it as a file path or URL. The feed is
named by its short config name in every message, never by its URL (private feed URLs carry tokens).
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import feedparser
import requests

from connectors.retry import RetryPolicy, request_with_retry
from weaver.errors import FatalError

MAX_FEED_BYTES = 5_000_000


@dataclass(frozen=True)
class FeedEntry:
    id: str  # the entry's guid/id, else its link, else a hash of its title
    title: str
    link: str
    published: date | None
    summary: str = ""


@dataclass
class Feed:
    title: str
    entries: list[FeedEntry] = field(default_factory=list)


class FeedSource(Protocol):
    calls: Counter[str]

    def read(self, name: str, url: str) -> Feed: ...

    def close(self) -> None: ...


class FeedReader:
    def __init__(
        self,
        *,
        timeout: float = 20.0,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        max_bytes: int = MAX_FEED_BYTES,
    ) -> None:
        self.timeout, self.max_bytes = timeout, max_bytes
        self.policy = policy or RetryPolicy(attempts=3)
        self.session = session or requests.Session()
        self.session.headers.update({"User-Agent": "network-weaver/0.1 (+feed reader)"})
        self.calls: Counter[str] = Counter()

    def close(self) -> None:
        self.session.close()

    def read(self, name: str, url: str) -> Feed:
        """The feed's entries; FatalError when the answer is not a feed we can read."""
        what = f"feed {name!r}"
        response = request_with_retry(
            self.session, "GET", url, what=what, timeout=self.timeout, policy=self.policy, calls=self.calls
        )
        body = response.content
        if len(body) > self.max_bytes:
            raise FatalError(f"{what}: larger than {self.max_bytes // 1_000_000} MB")
        # No content-location: feedparser would resolve a plain guid ("call-7") against the feed URL, making
        # ids depend on a URL that may carry a rotating token. Funders' feeds use absolute links anyway.
        headers = {"content-type": response.headers.get("Content-Type", "")}
        parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
        if parsed.get("bozo") and not parsed.get("entries"):
            problem = type(parsed.get("bozo_exception")).__name__
            raise FatalError(f"{what}: not a readable RSS or Atom feed ({problem})")
        title = _text(parsed.get("feed", {}).get("title"))
        return Feed(title, [_entry(e) for e in parsed.get("entries", [])])


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())


def _entry(raw: Any) -> FeedEntry:
    title, link = _text(raw.get("title")), _text(raw.get("link"))
    ident = _text(raw.get("id")) or link or "sha1-" + hashlib.sha1(title.encode()).hexdigest()[:16]
    when = raw.get("published_parsed") or raw.get("updated_parsed")
    published = date(when.tm_year, when.tm_mon, when.tm_mday) if when else None
    return FeedEntry(ident, title, link, published, _text(raw.get("summary"))[:500])
