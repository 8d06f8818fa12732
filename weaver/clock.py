"""The network's one clock: "now" and "today" in the network's own time zone, or the moment a run is given.

Every date-driven operation takes an `as_of` parameter and builds its clock here, once, at the start of the
run; nothing below the flow reads the wall clock for a decision. Tests pin `as_of`, so the suite passes on
any date, and a coordinator can replay a run ("what would have gone out on Monday?").

`as_of` is one of:
- empty: now;
- a date, `2026-11-24`: that day at 09:00 in the network's time zone (the start of a working day, outside
  any quiet hours), so a replay of a day gives the same plan whenever it runs;
- a local time, `2026-11-24 18:30` (or `2026-11-24T18:30`), in the network's time zone;
- a moment with its offset, `2026-11-24T10:30:00+00:00`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from weaver.errors import ConfigError

DAY_STARTS = time(9, 0)  # what a bare date means: the start of that working day in the network's time zone


def utcnow() -> datetime:
    """The wall clock, aware, in UTC: for timestamps of records, never for a decision (use `Clock`)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Clock:
    """One run's moment: `now` (aware, UTC) and the network's time zone."""

    now: datetime
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def today(self) -> date:
        """The network's today: deadlines and periods are days in its own time zone, not the server's."""
        return self.now.astimezone(self.zone).date()

    @property
    def local(self) -> datetime:
        return self.now.astimezone(self.zone)


def network_clock(timezone: str, as_of: str | date | datetime | None = "") -> Clock:
    """The clock of a run: now, or `as_of` (see the module's docstring for the accepted forms)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[network] timezone: unknown time zone {timezone!r}") from None
    return Clock(_moment(as_of, zone), timezone)


def _moment(as_of: str | date | datetime | None, zone: ZoneInfo) -> datetime:
    if as_of is None or as_of == "":
        return utcnow()
    if isinstance(as_of, datetime):
        return (as_of if as_of.tzinfo else as_of.replace(tzinfo=zone)).astimezone(UTC)
    if isinstance(as_of, date):
        return datetime.combine(as_of, DAY_STARTS, zone).astimezone(UTC)
    text = str(as_of).strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), DAY_STARTS, zone).astimezone(UTC)
        return _moment(datetime.fromisoformat(text.replace(" ", "T", 1)), zone)
    except ValueError:
        raise ConfigError(
            f"as_of: {text!r} is not a date (2026-11-24), a local time (2026-11-24 18:30) "
            "or a moment with its offset (2026-11-24T10:30+00:00)"
        ) from None
