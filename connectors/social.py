"""The social-posts role: each channel publishes a post's text (and image link) once.

`FolderPosts` is the embedded default: each post becomes a text file in the workspace's `posts/` folder (what
would have gone out, for the coordinator to copy or for a site to show). `ApprisePosts` posts through apprise to
the one service its URL names (mastodon://, bsky://, tgram://, dingtalk://, wecombot://, slack://, discord://,
matrix://, x:// ...); the URL carries a token, so it is a secret and never shown (the scheme only).

A post is not idempotent: the ledger records it once, and only a refusal that certainly posted nothing is
tried again here: HTTP 429 (the service's rate limit), up to `attempts` tries with growing waits. A 5xx or a
dropped connection may have posted: that outcome is unknown and never repeated without a coordinator's word.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from weaver.ledger import Outcome

_SCHEME = re.compile(r"^([a-z0-9+]+)://", re.IGNORECASE)
_STATUS = re.compile(r"error=(\d{3})")


class PostChannel(Protocol):
    def describe(self) -> str: ...

    def post(self, post_id: str, text: str, image: str) -> Outcome: ...


class FolderPosts:
    """Posts as UTF-8 text files, `<folder>/<post id>.<channel>.txt` (the image link on the last line)."""

    def __init__(self, folder: Path, channel: str) -> None:
        self.folder, self.channel = Path(folder), channel

    def describe(self) -> str:
        return f"folder {self.folder.name}/ ({self.channel})"

    def post(self, post_id: str, text: str, image: str) -> Outcome:
        self.folder.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.-]+", "-", post_id)
        path = self.folder / f"{safe}.{self.channel}.txt"
        path.write_text(text.rstrip() + "\n" + (f"\n{image}\n" if image else ""), encoding="utf-8")
        return Outcome.success(f"written to {self.folder.name}/{path.name}")


class ApprisePosts:
    """One apprise service; a 429 is retried boundedly, everything else is reported once."""

    def __init__(self, url: str, attempts: int = 3, backoff_seconds: float = 2.0, timeout_seconds: float = 15.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        import apprise

        self._apprise = apprise.Apprise()
        scheme = _SCHEME.match(url)
        self.scheme = scheme[1].lower() if scheme else "?"
        if not self._apprise.add(url):
            raise ValueError(f"not a usable apprise URL (scheme {self.scheme}://)")
        for server in self._apprise:  # apprise's read timeout (rto); connecting keeps its own (cto)
            server.socket_read_timeout = timeout_seconds
        self.attempts, self.backoff, self._sleep = max(1, attempts), backoff_seconds, sleep
        self.tries = 0  # requests made by the last post (tests read it)

    def describe(self) -> str:
        return f"apprise {self.scheme}://"

    def post(self, post_id: str, text: str, image: str) -> Outcome:
        import logging

        from apprise import LogCapture

        self.tries = 0
        for attempt in range(1, self.attempts + 1):
            self.tries = attempt
            with LogCapture(level=logging.DEBUG) as log:
                ok = self._apprise.notify(body=text, attach=image or None)
            if ok:
                return Outcome.success(f"posted ({attempt} tr{'y' if attempt == 1 else 'ies'})")
            codes = [int(c) for c in _STATUS.findall(log.getvalue())]
            if 429 in codes and attempt < self.attempts:
                self._sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if 429 in codes:
                return Outcome.failure(f"{self.describe()}: rate limited (429) {attempt} times", retry=True)
            if codes and all(400 <= c < 500 for c in codes):
                return Outcome.failure(f"{self.describe()}: refused (HTTP {codes[-1]})")
            return Outcome.unknown(f"{self.describe()}: no clear answer (HTTP {codes[-1] if codes else 'none'})")
        return Outcome.failure(f"{self.describe()}: not posted", retry=True)
