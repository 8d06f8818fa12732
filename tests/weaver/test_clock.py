"""The network's one clock: today in its own time zone, and the moments a coordinator can give as as_of."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from weaver.clock import network_clock
from weaver.errors import ConfigError


def test_a_bare_date_is_the_start_of_that_working_day_in_the_network_time_zone() -> None:
    clock = network_clock("Asia/Shanghai", "2026-11-24")
    assert clock.now == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert clock.today == date(2026, 11, 24)


def test_a_local_time_and_a_moment_with_its_offset() -> None:
    assert network_clock("Europe/Berlin", "2026-11-24 18:30").now == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    assert network_clock("Europe/Berlin", "2026-11-24T18:30").now == datetime(2026, 11, 24, 17, 30, tzinfo=UTC)
    moment = network_clock("Asia/Shanghai", "2026-11-24T20:00:00+00:00")
    assert moment.now == datetime(2026, 11, 24, 20, 0, tzinfo=UTC) and moment.today == date(2026, 11, 25)


def test_without_as_of_today_is_the_network_s_not_the_server_s() -> None:
    with time_machine.travel(datetime(2026, 11, 23, 17, 0, tzinfo=UTC), tick=False):
        assert network_clock("Asia/Shanghai").today == date(2026, 11, 24)  # already 01:00 on the 24th there
        assert network_clock("America/New_York").today == date(2026, 11, 23)


@pytest.mark.parametrize("bad", ["24/11/2026", "2026-13-01", "next monday"])
def test_a_bad_as_of_names_the_forms_it_accepts(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"as_of: .* is not a date \(2026-11-24\)"):
        network_clock("Asia/Shanghai", bad)


def test_an_unknown_time_zone_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"\[network\] timezone: unknown time zone 'Mars/Olympus'"):
        network_clock("Mars/Olympus")
