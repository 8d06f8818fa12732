"""The newsletter's feed reader through requests and feedparser, against a feed server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connectors.news_feeds import FeedReader
from connectors.retry import RetryPolicy
from weaver.errors import FatalError

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Funder news 资助动态</title>
<entry><title>Call for proposals: 气候适应</title><link href="https://funder.example.org/calls/7"/>
<id>tag:funder.example.org,2026:7</id><updated>2026-11-10T08:00:00Z</updated>
<summary type="html">&lt;p&gt;Apply by &lt;b&gt;December&lt;/b&gt;.&lt;/p&gt;</summary></entry>
</feed>"""
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Blog</title>
<item><title>Post</title><link>https://blog.example.org/p</link><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>"""


class FeedServer:
    def __init__(self) -> None:
        self.answers: list[tuple[int, str, dict[str, str]]] = []
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                owner.hits += 1
                status, body, headers = owner.answers.pop(0) if len(owner.answers) > 1 else owner.answers[0]
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=lambda: self.server.serve_forever(poll_interval=0.05), daemon=True).start()

    def url(self, path: str = "/feed.xml?token=SECRET") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    server = FeedServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_atom_and_rss_items_with_dates_and_plain_text(feeds: FeedServer) -> None:
    feeds.answers = [(200, ATOM, {})]
    [item] = FeedReader().read(feeds.url())
    assert (item.title, item.link, item.published) == ("Call for proposals: 气候适应", "https://funder.example.org/calls/7",
                                                       date(2026, 11, 10))  # fmt: skip
    assert item.summary == "Apply by December ." and item.source == "Funder news 资助动态"
    feeds.answers = [(200, RSS, {})]
    [post] = FeedReader().read(feeds.url())
    assert post.published == date(2026, 11, 3) and post.source == "Blog"


def test_a_busy_feed_is_tried_again_after_retry_after(feeds: FeedServer) -> None:
    slept: list[float] = []
    feeds.answers = [(503, "busy", {"Retry-After": "2"}), (200, ATOM, {})]
    assert len(FeedReader(policy=RetryPolicy(sleep=slept.append, rand=lambda: 0.0)).read(feeds.url())) == 1
    assert slept == [2.0] and feeds.hits == 2


def test_errors_name_the_host_never_the_url_with_its_token(feeds: FeedServer) -> None:
    feeds.answers = [(404, "nope", {})]
    with pytest.raises(FatalError) as caught:
        FeedReader().read(feeds.url())
    assert str(caught.value) == "feed '127.0.0.1': HTTP 404" and feeds.hits == 1
    feeds.answers = [(200, "<html>not a feed</html>", {})]
    with pytest.raises(FatalError, match="not a readable RSS or Atom feed"):
        FeedReader().read(feeds.url())
