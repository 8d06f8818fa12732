"""The chat role: short announcements to the network's chat (Slack, Telegram, Discord, DingTalk, WeCom ...).

`LogChat`, the embedded default, appends each announcement to a log file in the workspace; `AppriseChat`
posts through apprise to every URL the coordinator configured (one secret: the URLs carry tokens).
A post is not idempotent (a second post is a second message), so it is never retried here: the ledger
records it once and a failure is reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from weaver.ledger import Outcome
from weaver.state import utcnow


class ChatChannel(Protocol):
    def describe(self) -> str: ...

    def post(self, title: str, body: str) -> Outcome: ...


class LogChat:
    """Announcements appended to a UTF-8 text file, one block per post."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"log file {self.path.name}"

    def post(self, title: str, body: str) -> Outcome:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(f"[{stamp}] {title}\n{body.rstrip()}\n\n")
        return Outcome.success("logged")


_SCHEME = re.compile(r"^([a-z0-9+]+)://", re.IGNORECASE)


class AppriseChat:
    """Any apprise service; `urls` is whitespace- or comma-separated (e.g. 'tgram://... dingtalk://...')."""

    def __init__(self, urls: str, timeout_seconds: float = 10.0) -> None:
        import apprise

        self._apprise = apprise.Apprise()
        self._schemes: list[str] = []
        for url in (u for u in re.split(r"[\s,]+", urls) if u):
            if not self._apprise.add(url):
                scheme = _SCHEME.match(url)
                raise ValueError(f"not a usable apprise URL (scheme {scheme[1] if scheme else '?'}://)")
            self._schemes.append(_SCHEME.match(url)[1] if _SCHEME.match(url) else "?")  # type: ignore[index]
        self.timeout = timeout_seconds

    def describe(self) -> str:
        return "apprise " + ", ".join(f"{s}://" for s in self._schemes)  # schemes only: URLs hold tokens

    def post(self, title: str, body: str) -> Outcome:
        result = self._apprise.notify(body=body, title=title, timeout=self.timeout)
        if result.failed_count == 0 and result.success_count > 0:
            return Outcome.success(f"posted to {result.success_count} service(s)")
        return Outcome.failure(f"{result.failed_count} of {len(self._schemes)} chat service(s) failed")
