"""The one retry loop: bounded by tries and by time, jittered, and honouring Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.retry import RetryPolicy, parse_retry_after, retry
from weaver.errors import FatalError, RetriableError


class Clock:
    """A fake clock that sleeping advances, so tests wait for nothing."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def policy(clock: Clock, **kw: float) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=lambda: clock.now, rand=lambda: 0.5, **kw)  # type: ignore[arg-type]


def failing(times: int, retry_after: float | None = None) -> tuple[list[int], object]:
    tries: list[int] = []

    def call() -> str:
        tries.append(1)
        if len(tries) <= times:
            raise RetriableError("busy", retry_after)
        return "ok"

    return tries, call


def test_transient_failures_are_retried_with_growing_jittered_waits() -> None:
    clock = Clock()
    tries, call = failing(3)
    assert retry(call, policy(clock)) == "ok"  # type: ignore[arg-type]
    assert len(tries) == 4 and clock.sleeps == [0.5, 1.0, 2.0]  # half of 1, 2, 4 s (rand = 0.5)


def test_retry_after_is_honoured() -> None:
    clock = Clock()
    _tries, call = failing(1, retry_after=7)
    retry(call, policy(clock))  # type: ignore[arg-type]
    assert 7.0 <= clock.sleeps[0] <= 8.0


def test_a_permanent_failure_stops_after_the_allowed_tries() -> None:
    clock = Clock()
    tries, call = failing(100)
    with pytest.raises(RetriableError, match="busy"):
        retry(call, policy(clock, attempts=4))  # type: ignore[arg-type]
    assert len(tries) == 4 and len(clock.sleeps) == 3


def test_the_time_budget_bounds_the_whole_loop() -> None:
    clock = Clock()
    tries, call = failing(100, retry_after=30)
    with pytest.raises(RetriableError):
        retry(call, policy(clock, attempts=10, budget_seconds=90))  # type: ignore[arg-type]
    assert len(tries) == 3 and clock.now <= 90  # a third wait of 30 s would pass the budget


def test_a_retry_after_longer_than_the_budget_gives_up_at_once() -> None:
    clock = Clock()
    tries, call = failing(100, retry_after=3600)
    with pytest.raises(RetriableError):
        retry(call, policy(clock))  # type: ignore[arg-type]
    assert len(tries) == 1 and clock.sleeps == []


def test_fatal_errors_are_never_retried() -> None:
    tries: list[int] = []

    def call() -> None:
        tries.append(1)
        raise FatalError("no access")

    with pytest.raises(FatalError):
        retry(call, policy(Clock()))
    assert tries == [1]


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 24, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Tue, 24 Nov 2026 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("Tue, 24 Nov 2026 07:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
