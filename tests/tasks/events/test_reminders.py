"""When reminders are due: offsets across a DST change, each member's own zone, the network's quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tasks.events.reminders import current_reminder, due_at, parse_offset, parse_offsets, parse_quiet_hours

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")
QUIET = parse_quiet_hours("21:00-08:00")
OFFSETS = parse_offsets(("7d", "1d", "2h"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_offsets_in_english_and_chinese_largest_first() -> None:
    assert [o.label for o in parse_offsets(("2h", "7d", "1天", "30分钟", "1d"))] == ["7d", "1d", "2h", "30m"]
    with pytest.raises(ValueError):
        parse_offset("soon")


def test_a_day_before_keeps_the_clock_time_across_the_berlin_dst_change() -> None:
    # Sunday 29 March 2026, 10:00 CEST (08:00 UTC); clocks went forward at 02:00 that night
    start = datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN)
    due = parse_offset("1d").due(start)
    assert due == utc(2026, 3, 28, 9, 0)  # Saturday 10:00 CET: 23 real hours before
    assert due.astimezone(BERLIN).hour == 10
    assert parse_offset("2h").due(start) == utc(2026, 3, 29, 6, 0)  # 2 real hours: 08:00 CEST


def test_a_week_before_across_the_autumn_change() -> None:
    start = datetime(2026, 10, 27, 19, 0, tzinfo=BERLIN)  # Tuesday after clocks went back (CET, UTC+1)
    assert parse_offset("7d").due(start).astimezone(BERLIN).hour == 19  # Tuesday before, 19:00 CEST


def test_shanghai_has_no_dst_and_a_day_is_24_hours() -> None:
    start = datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)
    assert parse_offset("1d").due(start) == utc(2026, 11, 30, 11, 0)


def test_a_reminder_due_in_the_members_night_waits_for_the_morning() -> None:
    # an event at 16:00 Shanghai (09:00 Berlin); the 2h reminder is due 14:00 Shanghai = 07:00 Berlin
    start = datetime(2026, 12, 1, 16, 0, tzinfo=SHANGHAI)
    assert due_at(start, parse_offset("2h"), SHANGHAI, QUIET) == utc(2026, 12, 1, 6, 0)
    assert due_at(start, parse_offset("2h"), BERLIN, QUIET) == utc(2026, 12, 1, 7, 0)  # 08:00 Berlin, still before


def test_when_the_morning_is_too_late_it_goes_the_evening_before() -> None:
    # 07:30 Berlin event: the 2h reminder (05:30) cannot wait until 08:00, so it goes at 20:59 the day before
    start = datetime(2026, 12, 1, 7, 30, tzinfo=BERLIN)
    due = due_at(start, parse_offset("2h"), BERLIN, QUIET)
    assert due.astimezone(BERLIN) == datetime(2026, 11, 30, 20, 59, tzinfo=BERLIN)


def test_only_the_most_urgent_due_reminder_counts() -> None:
    start = datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI)  # in two days
    now = utc(2026, 11, 24, 2, 0)  # 10:00 Shanghai
    assert current_reminder(start, OFFSETS, SHANGHAI, QUIET, now).offset.label == "7d"  # type: ignore[union-attr]
    assert current_reminder(start, OFFSETS, SHANGHAI, QUIET, utc(2026, 11, 25, 6, 0)).offset.label == "1d"  # type: ignore[union-attr]
    assert current_reminder(start, OFFSETS, SHANGHAI, QUIET, utc(2026, 11, 26, 4, 30)).offset.label == "2h"  # type: ignore[union-attr]
    assert current_reminder(start, OFFSETS, SHANGHAI, QUIET, utc(2026, 11, 26, 6, 0)) is None  # started


def test_nothing_is_due_while_it_is_night_for_the_member() -> None:
    start = datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI)
    night_in_shanghai = utc(2026, 11, 24, 16, 0)  # 00:00 in Shanghai, 17:00 in Berlin
    assert current_reminder(start, OFFSETS, SHANGHAI, QUIET, night_in_shanghai) is None
    assert current_reminder(start, OFFSETS, BERLIN, QUIET, night_in_shanghai) is not None


def test_no_quiet_hours_when_the_setting_is_empty() -> None:
    start = datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI)
    assert parse_quiet_hours("") is None
    assert current_reminder(start, OFFSETS, SHANGHAI, None, utc(2026, 11, 24, 16, 0)) is not None
