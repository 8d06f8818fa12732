"""When a reminder is due, pure: offsets before an event, each member's time zone, the network's quiet hours.

* An offset in days keeps the wall-clock time in the event's zone: "1d" before 10:00 on the Sunday DST
  starts in Berlin is 10:00 on Saturday (23 real hours). Hours and minutes are real elapsed time.
* Quiet hours (e.g. 21:00-08:00) apply in the member's own zone. A reminder that falls inside them waits
  for their end; if that would be after the start, it goes before they begin instead (the evening before).
* Only the most urgent due offset counts: a run that finds both "7d" and "1d" due sends "1d" only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^\s*(\d+)\s*(d|h|m|天|日|小时|時|分钟|分)\s*$", re.IGNORECASE)
_UNITS = {"d": "d", "天": "d", "日": "d", "h": "h", "小时": "h", "時": "h", "m": "m", "分钟": "m", "分": "m"}
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class Offset:
    minutes: int  # for ordering: bigger is earlier
    amount: int
    unit: str  # d | h | m

    @property
    def label(self) -> str:
        return f"{self.amount}{self.unit}"

    def due(self, start: datetime) -> datetime:
        """When this reminder is due for an event starting at `start` (aware, in the event's zone), in UTC."""
        if self.unit == "d":
            return (start - timedelta(days=self.amount)).astimezone(UTC)  # aware arithmetic: wall clock
        return start.astimezone(UTC) - timedelta(minutes=self.minutes)


def parse_offset(text: str) -> Offset:
    match = _OFFSET.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an offset like '7d', '1d', '2h' or '30m'")
    amount, unit = int(match[1]), _UNITS[match[2].lower()]
    minutes = amount * {"d": 1440, "h": 60, "m": 1}[unit]
    return Offset(minutes, amount, unit)


def parse_offsets(texts: tuple[str, ...]) -> tuple[Offset, ...]:
    """Largest first (7d, 1d, 2h), repeats dropped."""
    return tuple(sorted({parse_offset(t) for t in texts}, reverse=True))


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # wraps past midnight

    def shift(self, due: datetime, zone: ZoneInfo, event_start: datetime) -> datetime:
        """`due` moved out of the quiet hours in `zone` (UTC in, UTC out)."""
        local = due.astimezone(zone)
        if not self.contains(local.time()):
            return due
        day = local.date() if local.time() < self.end else local.date() + timedelta(days=1)
        after = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
        if after < event_start:
            return after
        day = local.date() if local.time() >= self.start else local.date() - timedelta(days=1)
        return (datetime.combine(day, self.start, tzinfo=zone) - timedelta(minutes=1)).astimezone(UTC)


def parse_quiet_hours(text: str) -> QuietHours | None:
    if not text.strip():
        return None
    match = _QUIET.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a range like '21:00-08:00'")
    return QuietHours(time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4])))


@lru_cache(maxsize=512)
def zone_or(name: str, fallback: str) -> ZoneInfo:
    """A member's zone, or the network's when theirs is blank or not a real zone name."""
    try:
        return ZoneInfo(name.strip()) if name and name.strip() else ZoneInfo(fallback)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(fallback)


def due_at(start: datetime, offset: Offset, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    due = offset.due(start)
    return quiet.shift(due, zone, start.astimezone(UTC)) if quiet else due


@dataclass(frozen=True)
class DueReminder:
    offset: Offset
    due: datetime  # UTC


def current_reminder(
    start: datetime, offsets: tuple[Offset, ...], zone: ZoneInfo, quiet: QuietHours | None, now: datetime
) -> DueReminder | None:
    """The most urgent reminder due at `now` for a member in `zone`, or None (none due, too late, quiet)."""
    if now >= start.astimezone(UTC):
        return None
    if quiet and quiet.contains(now.astimezone(zone).time()):
        return None
    current: DueReminder | None = None
    for offset in offsets:  # largest first, so the last due one is the most urgent
        due = due_at(start, offset, zone, quiet)
        if due <= now:
            current = DueReminder(offset, due)
    return current
