"""One bounded retry loop for every connector: jittered backoff that honours `Retry-After`.

A connector wraps each idempotent call in `retry(...)` and is then that call's only retry owner (no
Prefect task retries on top, and no retrying client such as gspread's `BackOffHTTPClient` underneath).
A call that is not idempotent (an append, an email) is made once: `retry` is simply not used for it.
The loop stops at `attempts` tries or when the next wait would pass `budget_seconds`, so a permanent
429 ends with the last `RetriableError` in bounded time.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests

from weaver.errors import FatalError, RetriableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    base_seconds: float = 1.0  # first backoff; doubles each time (full jitter)
    max_seconds: float = 32.0  # one wait is never longer
    budget_seconds: float = 90.0  # waits and calls together never pass this
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def wait(self, failure: int, retry_after: float | None) -> float:
        """Seconds to wait after the `failure`-th failed try (1-based)."""
        if retry_after is not None:
            # the server said when: wait that long, plus a little jitter so clients do not return together
            return min(retry_after + self.rand() * min(1.0, 0.1 * max(retry_after, self.base_seconds)), 3600.0)
        return self.rand() * min(self.max_seconds, self.base_seconds * 2 ** (failure - 1))


def retry(call: Callable[[], T], policy: RetryPolicy, on_retry: Callable[[RetriableError], None] | None = None) -> T:
    """Run `call`; on `RetriableError` wait and try again within the policy's bounds, then re-raise."""
    started = policy.clock()
    failure = 0
    while True:
        try:
            return call()
        except RetriableError as exc:
            failure += 1
            pause = policy.wait(failure, exc.retry_after)
            spent = policy.clock() - started
            if failure >= policy.attempts or spent + pause > policy.budget_seconds:
                raise
            if on_retry:
                on_retry(exc)
            policy.sleep(pause)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


retry_after_seconds = parse_retry_after  # the name the requests-based connectors use

# Statuses worth trying again: the server is busy, rate-limiting or briefly failing.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def request_with_retry(
    session: requests.Session,
    method: str,
    url: str,
    *,
    what: str,
    timeout: float,
    policy: RetryPolicy,
    calls: Counter[str] | None = None,
    **kwargs: Any,
) -> requests.Response:
    """An idempotent HTTP request through `requests`, retried by `retry`; a 2xx/3xx response or an error.

    Messages name the call (`what`) and the status, never the body (it can carry personal data) or the URL
    (a feed URL can carry a token).
    """
    attempt = 0

    def once() -> requests.Response:
        nonlocal attempt
        attempt += 1
        if calls is not None:
            calls[what] += 1
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise RetriableError(f"{what}: {type(exc).__name__} (after {attempt} attempt(s))") from None
        except requests.RequestException as exc:  # a bad URL, too many redirects: trying again will not help
            raise FatalError(f"{what}: {type(exc).__name__}") from None
        status = response.status_code
        if status < 400:
            return response
        if status not in RETRY_STATUSES:
            raise FatalError(f"{what}: HTTP {status}")
        after = parse_retry_after(response.headers.get("Retry-After"))
        raise RetriableError(f"{what}: HTTP {status} (after {attempt} attempt(s))", after)

    return retry(once, policy)
