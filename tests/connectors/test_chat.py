"""Chat announcements: the log file by default, and apprise (the real library) posting to a loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.chat import AppriseChat, LogChat


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]], list[int]]]:
    """A JSON webhook receiver (what apprise's json:// posts to); `status` sets its next answers."""
    received: list[dict[str, Any]] = []
    status = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(json.loads(body))
            self.send_response(status[0])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()  # quick shutdown
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook", received, status
    finally:
        server.shutdown()
        server.server_close()


def test_the_log_file_collects_announcements_in_utf8(tmp_path: Path) -> None:
    chat = LogChat(tmp_path / "chat.log")
    assert chat.post("新活动：气候圆桌", "2026年12月1日 19:00\nhttps://meet.example.org/c").ok
    chat.post("Changed: Clinic", "Thu 26 Nov")
    text = (tmp_path / "chat.log").read_text(encoding="utf-8")
    assert "新活动：气候圆桌\n2026年12月1日 19:00\nhttps://meet.example.org/c\n" in text
    assert text.count("] ") == 2


def test_apprise_posts_title_and_body(webhook: tuple[str, list[dict[str, Any]], list[int]]) -> None:
    url, received, _status = webhook
    chat = AppriseChat(url)
    assert chat.post("新活动：气候圆桌", "12月1日 19:00").ok
    assert received[0]["title"] == "新活动：气候圆桌" and received[0]["message"] == "12月1日 19:00"
    assert chat.describe() == "apprise json://"  # the URL itself (it holds tokens) is never shown


def test_a_failed_post_is_reported_and_not_retried(webhook: tuple[str, list[dict[str, Any]], list[int]]) -> None:
    url, received, status = webhook
    status[0] = 500
    outcome = AppriseChat(url).post("t", "b")
    assert not outcome.ok and outcome.detail == "1 of 1 chat service(s) failed"
    assert len(received) == 1  # a post is not idempotent: one attempt only


def test_a_url_apprise_cannot_use_is_refused_by_scheme_only() -> None:
    with pytest.raises(ValueError, match=r"scheme nosuch://"):
        AppriseChat("nosuch://secret-token@host")
