"""The feed reader through real requests and feedparser against the stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from connectors.feeds import FeedReader
from connectors.retry import RetryPolicy
from tests.standins.grants import Fault, GrantsGovStandin, rss
from weaver.errors import FatalError

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>基金会 资助公告</title>
<entry><id>tag:funder.example.cn,2026:call-7</id><title>2027 年社区气候韧性资助</title>
<link href="https://funder.example.cn/calls/7"/><updated>2026-11-02T08:00:00Z</updated></entry>
</feed>""".encode()


@pytest.fixture
def standin() -> Iterator[GrantsGovStandin]:
    with GrantsGovStandin() as server:
        yield server


def reader(**kw: object) -> FeedReader:
    return FeedReader(timeout=5, policy=RetryPolicy(attempts=2, sleep=lambda s: None), **kw)  # type: ignore[arg-type]


def test_rss_items_become_entries(standin: GrantsGovStandin) -> None:
    standin.feeds["calls"] = ("application/rss+xml", rss("Open Futures Fund", [
        ("call-1", "Small grants for data commons", "https://funder.example.org/calls/1"),
        ("call-2", "Climate storytelling fellowships", "https://funder.example.org/calls/2"),
    ]))  # fmt: skip
    feed = reader().read("calls", standin.feed_url("calls"))
    assert feed.title == "Open Futures Fund"
    assert [(e.id, e.title) for e in feed.entries] == [
        ("call-1", "Small grants for data commons"),
        ("call-2", "Climate storytelling fellowships"),
    ]
    assert feed.entries[0].published == date(2026, 11, 2)


def test_atom_in_chinese_is_read_as_utf8(standin: GrantsGovStandin) -> None:
    standin.feeds["zh"] = ("application/atom+xml; charset=utf-8", ATOM)
    feed = reader().read("zh", standin.feed_url("zh"))
    assert feed.title == "基金会 资助公告"
    [entry] = feed.entries
    assert entry.title == "2027 年社区气候韧性资助" and entry.link == "https://funder.example.cn/calls/7"


def test_a_page_that_is_not_a_feed_is_an_error_naming_the_feed_not_its_url(standin: GrantsGovStandin) -> None:
    standin.feeds["oops"] = ("text/plain", b"\x00\x01 not xml at all <<<")
    with pytest.raises(FatalError, match="feed 'oops': not a readable RSS or Atom feed") as caught:
        reader().read("oops", standin.feed_url("oops") + "?token=s3cret")
    assert "s3cret" not in str(caught.value)


def test_a_busy_feed_is_retried_once(standin: GrantsGovStandin) -> None:
    standin.feeds["calls"] = ("application/rss+xml", rss("F", [("a", "A", "https://x.example.org/a")]))
    standin.faults.append(Fault(503, endpoint="feeds"))
    assert len(reader().read("calls", standin.feed_url("calls")).entries) == 1
    assert standin.calls["feeds"] == 2


def test_an_oversized_feed_is_refused(standin: GrantsGovStandin) -> None:
    standin.feeds["big"] = ("application/rss+xml", rss("F", [(str(i), "A" * 100, "") for i in range(200)]))
    with pytest.raises(FatalError, match="larger than"):
        reader(max_bytes=1000).read("big", standin.feed_url("big"))


def test_feed_body_is_never_opened_as_a_path(standin: GrantsGovStandin, tmp_path: Path) -> None:
    """feedparser opens raw bytes as a file path first; a body that names a local file must stay a body."""
    local = tmp_path / "local.xml"
    local.write_bytes(rss("Local file", [("x", "read from disk", "https://x.example.org/")]))
    standin.feeds["path"] = ("application/rss+xml", str(local).encode())
    with pytest.raises(FatalError, match="not a readable"):
        reader().read("path", standin.feed_url("path"))
