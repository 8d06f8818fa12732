"""One bounded retry loop for connectors that speak HTTP through `requests`.

Used only for idempotent calls (reads and searches). It is the one retry owner for a call: the session's
own adapters keep their default of no retries, and no Prefect task retries sit on top. A 429 or 5xx waits
for `Retry-After` when the server sends it (seconds or an HTTP date), otherwise an exponential back-off with
jitter; a wait longer than `max_wait` is not slept through, the RetriableError carries it instead.
Messages name the call and the status, never the body (it can carry personal data) or the URL (a feed URL
can carry a token).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from weaver.errors import FatalError, RetriableError

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After: 120` or `Retry-After: Wed, 21 Oct 2026 07:28:00 GMT` as seconds from now."""
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


class RetryPolicy:
    """Attempts, back-off and the sleep function (tests pass one that records instead of sleeping)."""

    def __init__(
        self,
        attempts: int = 4,
        base_delay: float = 1.0,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.attempts = max(1, attempts)
        self.base_delay, self.max_wait = base_delay, max_wait
        self.sleep, self.jitter = sleep, jitter

    def backoff(self, attempt: int) -> float:
        return self.base_delay * 2 ** (attempt - 1) * (0.5 + self.jitter())


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
    """Send an idempotent request; return a 2xx/3xx response or raise RetriableError / FatalError."""
    for attempt in range(1, policy.attempts + 1):
        if calls is not None:
            calls[what] += 1
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            error = RetriableError(f"{what}: {type(exc).__name__} (after {attempt} attempt(s))")
            wait = policy.backoff(attempt)
        except requests.RequestException as exc:  # a bad URL, too many redirects: trying again will not help
            raise FatalError(f"{what}: {type(exc).__name__}") from None
        else:
            status = response.status_code
            if status < 400:
                return response
            if status not in RETRY_STATUSES:
                raise FatalError(f"{what}: HTTP {status}")
            after = retry_after_seconds(response.headers.get("Retry-After"))
            error = RetriableError(f"{what}: HTTP {status} (after {attempt} attempt(s))", after)
            wait = after if after is not None else policy.backoff(attempt)
        if attempt == policy.attempts or wait > policy.max_wait:
            raise error
        policy.sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")
