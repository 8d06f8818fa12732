"""Event attendance, pure: the attendance tab as typed records, and the event to mix.

The tab is a simple stand-in for an events system (one row per person and event), in any order:

    event_id | date | email (or member_id) | status | role
    evt-42   | 2026-12-01 | ana@example.org | registered | facilitator

Headers may be English or Chinese (活动编号, 日期, 邮箱, 成员编号, 状态, 角色). Status: registered (报名,
已报名), attended (出席, 已出席, 签到), no-show (缺席), cancelled (取消). Role: facilitator (主持, 主持人,
引导员) or blank. A row naming no known member, or with a date or status we cannot read, is reported with
its row number, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.text import normalise_email, normalise_text
from weaver.errors import SourceError
from weaver.i18n import t

HEADERS = {
    "event_id": ("event_id", "event", "活动编号", "活动"),
    "date": ("date", "日期"),
    "email": ("email", "邮箱"),
    "member_id": ("member_id", "member id", "成员编号"),
    "status": ("status", "状态"),
    "role": ("role", "角色"),
}
STATUSES = {
    "registered": "registered", "rsvp": "registered", "报名": "registered", "已报名": "registered",
    "attended": "attended", "出席": "attended", "已出席": "attended", "签到": "attended", "参加": "attended",
    "no-show": "no-show", "noshow": "no-show", "缺席": "no-show",
    "cancelled": "cancelled", "canceled": "cancelled", "取消": "cancelled", "已取消": "cancelled",
}  # fmt: skip
FACILITATOR_ROLES = frozenset({"facilitator", "host", "主持", "主持人", "引导员", "引导师"})


@dataclass(frozen=True)
class Attendance:
    row: int
    event_id: str
    day: date
    member_id: str
    status: str  # registered | attended | no-show | cancelled
    facilitator: bool


@dataclass(frozen=True)
class RejectedRow:
    row: int
    reason: str


def _columns(header: Sequence[str], tab: str) -> dict[str, int]:
    columns = Columns(header, tab)
    found = {name: -1 if (col := columns.first(aliases)) is None else col for name, aliases in HEADERS.items()}
    for required in ("event_id", "date", "status"):
        if found[required] < 0:
            chinese = next(a for a in HEADERS[required] if not a.isascii())
            raise SourceError(f"tab {tab!r} has no column {required!r} (or {chinese!r})")
    if found["email"] < 0 and found["member_id"] < 0:
        raise SourceError(f"tab {tab!r} needs an 'email' or a 'member_id' column")
    return found


def parse_attendance(grid: Grid, tab: str, member_by_email: Mapping[str, str], member_ids: set[str],
                     lang: str) -> tuple[list[Attendance], list[RejectedRow]]:  # fmt: skip
    """Typed attendance rows and the rows we could not use (with their row number and why)."""
    if not grid:
        return [], []
    cols = _columns(grid[0], tab)
    records: list[Attendance] = []
    rejected: list[RejectedRow] = []
    for offset, raw in enumerate(grid[1:]):
        row_no = offset + 2

        def cell(name: str, raw: list[str] = raw) -> str:
            col = cols[name]
            return normalise_text(raw[col]) if 0 <= col < len(raw) and raw[col] else ""

        if not any(cell(n) for n in HEADERS):
            continue
        problem, record = _record(row_no, cell, member_by_email, member_ids, lang)
        if problem:
            rejected.append(RejectedRow(row_no, problem))
        elif record:
            records.append(record)
    return records, rejected


def _record(row_no: int, cell, member_by_email: Mapping[str, str], member_ids: set[str],  # type: ignore[no-untyped-def]
            lang: str) -> tuple[str, Attendance | None]:  # fmt: skip
    event_id, day = cell("event_id"), parse_date(cell("date"))
    if not event_id:
        return t("attendance.no_event", lang), None
    if day is None:
        return t("attendance.bad_date", lang), None
    status = STATUSES.get(cell("status").casefold())
    if status is None:
        return t("attendance.bad_status", lang), None
    member = cell("member_id") if cell("member_id") in member_ids else ""
    member = member or member_by_email.get(normalise_email(cell("email")), "")
    if not member:
        return t("attendance.not_member", lang), None
    role = cell("role").casefold() in FACILITATOR_ROLES
    return "", Attendance(row_no, event_id, date.fromisoformat(day), member, status, role)


@dataclass(frozen=True)
class Event:
    event_id: str
    day: date
    attendees: tuple[str, ...]  # registered or attended, in member id order
    facilitators: frozenset[str]


def events(records: Sequence[Attendance]) -> dict[str, Event]:
    """Each event with the members registered for or attending it (a later row for a person wins)."""
    latest: dict[tuple[str, str], Attendance] = {}
    days: dict[str, date] = {}
    for rec in records:
        latest[(rec.event_id, rec.member_id)] = rec
        days.setdefault(rec.event_id, rec.day)
    out: dict[str, Event] = {}
    for event_id, day in days.items():
        rows = [r for (e, _), r in latest.items() if e == event_id and r.status in ("registered", "attended")]
        coming = tuple(sorted(r.member_id for r in rows))
        out[event_id] = Event(event_id, day, coming, frozenset(r.member_id for r in rows if r.facilitator))
    return out


def next_event(all_events: Mapping[str, Event], today: date) -> Event | None:
    """The first event on or after today with anyone coming; else the latest one."""
    upcoming = sorted((e for e in all_events.values() if e.day >= today and e.attendees), key=lambda e: e.day)
    if upcoming:
        return upcoming[0]
    past = sorted(all_events.values(), key=lambda e: e.day)
    return past[-1] if past else None


def attended(records: Sequence[Attendance], before: date) -> dict[str, Event]:
    """Events before `before`, with only those who attended (what became co-attendance ties)."""
    past = events([r for r in records if r.status == "attended" and r.day < before])
    return {k: v for k, v in past.items() if v.attendees}


def event_titles(grid: Grid, columns: Mapping[str, str]) -> dict[str, str]:
    """Event id -> title from the events tab, by its own headers (`[events.columns]`); empty without one.

    People read an event by its title; an attendance row only names the event's id.
    """
    if not grid:
        return {}
    header = Columns(grid[0], "events")
    id_col, title_col = (header.find(columns.get(k, k)) for k in ("event_id", "title"))
    if id_col is None or title_col is None:
        return {}
    rows = [r for r in grid[1:] if len(r) > max(id_col, title_col)]
    titles = {str(r[id_col]).strip(): " ".join(str(r[title_col]).split()) for r in rows}
    return {event: title for event, title in titles.items() if event and title}  # rows without both are skipped
