"""iCalendar text, pure (icalendar): personal invitations and the network's subscribable calendar.

* An invitation is `METHOD:REQUEST` with one VEVENT whose UID is stable per event (`<event id>@<domain>`),
  whose SEQUENCE is the event's sequence, and whose only ATTENDEE is the member it is sent to (members
  never see each other's addresses). A cancellation is `METHOD:CANCEL` + `STATUS:CANCELLED`, sequence up.
* Times carry their zone (`DTSTART;TZID=Europe/Berlin`) with the VTIMEZONE it needs, so Outlook, Apple
  and Google calendars place it right across daylight-saving changes.
* `calendar.ics` (METHOD:PUBLISH) holds the upcoming network events and opportunity deadlines (all-day),
  with a calendar name and refresh interval, and no personal data: safe to share as a subscription link.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar, Timezone, vCalAddress, vText
from icalendar import Event as VEvent

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.text import normalise_text
from tasks.events.events import Event
from tasks.grants.pipeline import OPEN_STAGES, parse_stage

PRODID = "-//Network Weaver//event-invites//EN"
_STAMP_LINE = re.compile(rb"^DTSTAMP[:;].*\r\n", re.MULTILINE)


def event_uid(event_id: str, domain: str) -> str:
    """Stable for the life of the event; ASCII (some clients mangle other UIDs)."""
    local = event_id if event_id.isascii() else "evt-" + hashlib.sha1(event_id.encode()).hexdigest()[:16]
    return f"{local}@{domain or 'network-weaver.invalid'}"


def _calendar(method: str | None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def _vevent(event: Event, sequence: int, uid: str, stamp: datetime) -> VEvent:
    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("sequence", sequence)
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("summary", event.title)
    if event.place:
        vevent.add("location", event.place)
        if event.online:
            vevent.add("url", event.place)
    if event.description:
        vevent.add("description", event.description)
    return vevent


@lru_cache(maxsize=128)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    """A VTIMEZONE for whole years (building one scans the zone's transitions: slow, so cached)."""
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def _with_zones(cal: Calendar, days: Sequence[date]) -> Calendar:
    """Add the VTIMEZONEs the events use, covering the years of their dates (not 1970-2038)."""
    if not days:
        return cal
    first, last = min(days).year, max(days).year
    zones = [_vtimezone(tzid, first, last) for tzid in sorted(cal.get_missing_tzids())]
    cal.subcomponents[0:0] = zones  # before the events that refer to them
    return cal


@dataclass(frozen=True)
class Person:
    email: str
    name: str


_MARK = "X-WEAVER-ATTENDEE:here\r\n"


def invitation_ics(event: Event, method: str, sequence: int, uid: str, organizer: Person, attendee: Person,
                   stamp: datetime) -> str:  # fmt: skip
    """One member's invitation (REQUEST) or cancellation (CANCEL) for one event.

    Everything but the attendee is the same for every invitee of one event version, so that part is built
    once and the member's ATTENDEE line is put in its place (serialising with icalendar is the slow part).
    """
    return _invitation_template(event, method, sequence, uid, organizer, stamp).replace(_MARK, _attendee(attendee))


@lru_cache(maxsize=64)
def _invitation_template(event: Event, method: str, sequence: int, uid: str, organizer: Person,
                         stamp: datetime) -> str:  # fmt: skip
    cal = _calendar(method)
    vevent = _vevent(event, sequence, uid, stamp)
    org = vCalAddress(f"mailto:{organizer.email}")
    org.params["CN"] = vText(organizer.name)
    vevent.add("organizer", org)
    vevent.add("x-weaver-attendee", "here")
    vevent.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    cal.add_component(vevent)
    return _with_zones(cal, [event.start.date()]).to_ical().decode("utf-8")


def _attendee(person: Person) -> str:
    """The ATTENDEE content line (folded, escaped) for one member."""
    who = vCalAddress(f"mailto:{person.email}")
    who.params.update({"CN": vText(person.name or person.email), "ROLE": "REQ-PARTICIPANT",
                       "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"})  # fmt: skip
    holder = VEvent()
    holder.add("attendee", who)
    lines = holder.to_ical().decode("utf-8").split("\r\n")  # BEGIN:VEVENT, the line (folded), END:VEVENT, ""
    return "\r\n".join(lines[1:-2]) + "\r\n"


# the internal calendar ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """An opportunity's deadline from the opportunities tab: an all-day entry in the calendar."""

    row: int
    title: str
    funder: str
    day: date
    link: str = ""


_DEADLINE_FIELDS = ("title", "funder", "deadline", "link", "stage")


def parse_deadlines(grid: Grid, today: date, columns: Mapping[str, str] | None = None) -> list[Deadline]:
    """Upcoming deadlines (today or later) of opportunities still open for applying.

    `columns` is the grant pipeline's mapping ([grants.columns]: our field -> the tab's header); unmapped
    fields use their English names. Rows without a title or a date, or in a closed stage (submitted,
    awarded, declined), are not calendar entries; checking them is the grant pipeline's work.
    """
    if not grid:
        return []
    header, mapping = Columns(grid[0], "opportunities"), columns or {}
    cols = {f: header.find(mapping.get(f, f)) for f in _DEADLINE_FIELDS}
    if cols["title"] is None or cols["deadline"] is None:
        return []
    out = []
    for offset, raw in enumerate(grid[1:]):
        cells = {f: normalise_text(raw[c]) if c is not None and c < len(raw) else "" for f, c in cols.items()}
        iso = parse_date(cells["deadline"])
        stage = parse_stage(cells["stage"]) if cells["stage"] else None
        if cells["title"] and iso and date.fromisoformat(iso) >= today and stage in (None, *OPEN_STAGES):
            out.append(Deadline(offset + 2, cells["title"], cells["funder"], date.fromisoformat(iso), cells["link"]))
    return out


@dataclass(frozen=True)
class Published:
    event: Event
    sequence: int
    stamp: datetime  # when this version was first published


def calendar_feed(items: Sequence[Published], deadlines: Sequence[Deadline], name: str, timezone: str, domain: str,
                  now: datetime, deadline_label: str) -> str:  # fmt: skip
    """The subscribable calendar: METHOD:PUBLISH, events with their zones, deadlines as all-day entries."""
    cal = _calendar("PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("x-wr-timezone", timezone)
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT6H")
    uids: set[str] = set()  # one VEVENT per UID: a row repeated on a tab (or across tabs) is one entry
    for item in sorted(items, key=lambda i: (i.event.start, i.event.event_id)):
        uid = event_uid(item.event.event_id, domain)
        if uid in uids:
            continue
        uids.add(uid)
        vevent = _vevent(item.event, item.sequence, uid, item.stamp)
        vevent.add("status", "CONFIRMED")
        cal.add_component(vevent)
    for d in sorted(deadlines, key=lambda d: (d.day, d.row)):
        same = f"{normalise_text(d.title).casefold()}|{normalise_text(d.funder).casefold()}|{d.day}"
        if same in uids:  # a near-duplicate row (case, spaces, full-width): the first row's entry stands
            continue
        uids.add(same)
        cal.add_component(_deadline_vevent(d, domain, now, deadline_label))
    return _with_zones(cal, [i.event.start.date() for i in items]).to_ical().decode("utf-8")


def _deadline_vevent(d: Deadline, domain: str, now: datetime, label: str) -> VEvent:
    vevent = VEvent()
    digest = hashlib.sha1(f"{d.title}|{d.funder}|{d.day}".encode()).hexdigest()[:16]
    vevent.add("uid", f"deadline-{digest}@{domain or 'network-weaver.invalid'}")
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("dtstart", d.day)
    vevent.add("dtend", d.day + timedelta(days=1))
    vevent.add("summary", f"{label}: {d.title}" + (f" ({d.funder})" if d.funder else ""))
    vevent.add("transp", "TRANSPARENT")
    vevent.add("categories", ["deadline"])
    if d.link.startswith(("http://", "https://")):
        vevent.add("url", d.link)
    return vevent


def same_calendar(old: bytes, new: bytes) -> bool:
    """Equal but for DTSTAMP lines (the time of writing), so an unchanged calendar is not rewritten."""
    return _STAMP_LINE.sub(b"", old) == _STAMP_LINE.sub(b"", new)
