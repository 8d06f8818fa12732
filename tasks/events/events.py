"""Events, pure: parse the events tab, decide each event's version, and plan who gets which message.

No I/O here. Rules a coordinator can rely on:

* An event is one row with an id (kept for ever: it makes the calendar UID), a title, a start and an
  audience filter. A bad cell rejects that event only, with the cell named (Events!G5) and the reason.
* Each event has a SEQUENCE. It starts at 0 and goes up by one when the start, end or place changes, or
  when it is cancelled or un-cancelled; a title or description change is not announced again.
* Every member the audience selects gets one invitation (`invite:<event>:<member>:seq<N>`); a change sends
  every invitee exactly one update keyed by the new sequence; a cancellation sends each one a cancellation.
  Someone who declined is not invited, and never reminded.
* Reminders: see tasks.reminders. A reminder goes to invitees and confirmed attendees, not to someone who
  declined or is on the waiting list, and not when their invitation went out after the reminder was due.
* With a capacity, yes-answers get seats in the order they came; a decline frees a seat for the next on
  the waiting list. Each seat (confirmed / waiting) is told once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.tables import Grid, cell_name
from tasks.common.audience import Audience, AudienceError, parse_audience
from tasks.common.columns import Columns
from tasks.common.text import normalise_text
from tasks.events.reminders import Offset, QuietHours, current_reminder, zone_or
from weaver.config import EventsConfig
from weaver.errors import SourceError
from weaver.i18n import t

SCHEDULED, CANCELLED, DRAFT = "scheduled", "cancelled", "draft"
_STATUS = {
    "": SCHEDULED, "scheduled": SCHEDULED, "confirmed": SCHEDULED, "open": SCHEDULED, "确认": SCHEDULED,
    "已确认": SCHEDULED, "计划": SCHEDULED, "报名中": SCHEDULED, "正常": SCHEDULED,
    "cancelled": CANCELLED, "canceled": CANCELLED, "取消": CANCELLED, "已取消": CANCELLED,
    "draft": DRAFT, "草稿": DRAFT, "待定": DRAFT, "hidden": DRAFT,
}  # fmt: skip
_EVENT_LANGUAGES = {"": "", "zh": "zh", "中文": "zh", "汉语": "zh", "普通话": "zh", "chinese": "zh", "en": "en",
                    "英文": "en", "英语": "en", "english": "en", "双语": "", "bilingual": "", "zh, en": "",
                    "zh,en": "", "en, zh": "", "中英": "", "中英文": "", "中英双语": ""}  # fmt: skip
_ZONE_ALIASES = {"北京时间": "Asia/Shanghai", "china": "Asia/Shanghai", "cst": "Asia/Shanghai", "utc": "UTC",
                 "gmt": "UTC", "柏林": "Europe/Berlin", "berlin": "Europe/Berlin"}  # fmt: skip
_UNLIMITED = {"", "unlimited", "none", "不限", "无限", "无", "-"}
_WHEN = re.compile(
    r"^(?:(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?)?"
    r"(?:[ T]*(\d{1,2})\s*[:：时]\s*(\d{2})(?:\s*[:：]\s*(\d{2})(?:\.\d+)?)?\s*分?)?$"
)
_ID = re.compile(r"^[^\s:]{1,100}$")
REQUIRED_COLUMNS = ("event_id", "title", "start", "audience")


@dataclass(frozen=True)
class Event:
    row: int
    event_id: str
    title: str
    start: datetime  # aware, in the event's zone
    end: datetime
    timezone: str
    place: str
    audience: Audience
    capacity: int | None
    language: str  # zh | en | "" (both)
    status: str  # scheduled | cancelled | draft
    description: str = ""
    google_id: str = ""  # its id in Google Calendar when read from there

    @property
    def online(self) -> bool:
        return self.place.startswith(("http://", "https://"))

    @property
    def fingerprint(self) -> str:
        """What invitees must hear about again when it changes: when and where."""
        text = f"{self.start.astimezone(UTC).isoformat()}|{self.end.astimezone(UTC).isoformat()}|{self.place}"
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class EventProblem:
    row: int
    event_id: str
    cell: str  # Events!G5, or "" for the whole row
    reason: str  # in the network's language; names the cell and event, never member data

    def message(self) -> str:
        where = f"{self.cell} " if self.cell else ""
        event = f"(event {self.event_id})" if self.event_id else f"(row {self.row})"
        return f"{where}{event}: {self.reason}"


# parsing ------------------------------------------------------------------------------------------------
def locate_event_columns(header: Sequence[str], cfg: EventsConfig, tab: str, source: str) -> dict[str, int]:
    columns = Columns(header, tab, source)
    for name, wanted in cfg.columns.items():
        if name in REQUIRED_COLUMNS:
            columns.require(wanted, f"mapped from [events.columns] {name}")
    found = {name: columns.find(wanted) for name, wanted in cfg.columns.items()}
    return {name: col for name, col in found.items() if col is not None}


def parse_when(text: str, zone: ZoneInfo, day: date | None = None) -> datetime | None:
    """'2026-12-01 19:00', '2026/12/1 19:00', '2026年12月1日 19:00'; a time alone takes `day`."""
    match = _WHEN.match(normalise_text(text))
    if match is None or match[4] is None:
        return None
    try:
        on = date(int(match[1]), int(match[2]), int(match[3])) if match[1] else day
        if on is None:
            return None
        return datetime(on.year, on.month, on.day, int(match[4]), int(match[5]), tzinfo=zone)
    except ValueError:
        return None


def parse_zone(text: str, default: str) -> ZoneInfo | None:
    name = _ZONE_ALIASES.get(text.strip().casefold(), text.strip()) or default
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


class _RowError(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def parse_events(
    grid: Grid, cfg: EventsConfig, tab: str, network_tz: str, lang: str, source: str
) -> tuple[list[Event], list[EventProblem]]:
    """Every non-blank row becomes an event or a problem naming its cell; nothing is dropped."""
    if not grid:
        raise SourceError(f"{source}: tab {tab!r} is empty (it needs a header row)")
    cols = locate_event_columns(grid[0], cfg, tab, source)
    events: list[Event] = []
    problems: list[EventProblem] = []
    first_row: dict[str, int] = {}
    for offset, raw in enumerate(grid[1:]):
        row_no = offset + 2
        cells = {name: _cell_text(name, raw[col]) if col < len(raw) and raw[col] else "" for name, col in cols.items()}
        if not any(cells.values()):
            continue
        event_id = cells.get("event_id", "")
        try:
            event = _event_from_cells(row_no, cells, network_tz, cfg, lang)
            if event.event_id in first_row:
                raise _RowError("event_id", t("event.id_reused", lang, row=first_row[event.event_id]))
            first_row[event.event_id] = row_no
            events.append(event)
        except _RowError as err:
            col = cols.get(err.field)
            cell = cell_name(tab, row_no, col + 1) if col is not None else ""
            problems.append(EventProblem(row_no, event_id, cell, err.reason))
    return events, problems


_FREE_TEXT = ("title", "place", "description")


def _cell_text(name: str, value: str) -> str:
    """Titles, places and descriptions keep their characters (，stays ，); the rest is NFKC-normalised."""
    if name == "description":
        return "\n".join(" ".join(line.split()) for line in value.strip().splitlines())
    return " ".join(value.split()) if name in _FREE_TEXT else normalise_text(value)


def _event_from_cells(row: int, cells: dict[str, str], network_tz: str, cfg: EventsConfig, lang: str) -> Event:
    event_id = cells.get("event_id", "")
    if not event_id:
        raise _RowError("event_id", t("event.no_id", lang))
    if not _ID.match(event_id):
        raise _RowError("event_id", t("event.bad_id", lang))
    if not cells.get("title"):
        raise _RowError("title", t("event.no_title", lang))
    zone = parse_zone(cells.get("timezone", ""), network_tz)
    if zone is None:
        raise _RowError("timezone", t("event.bad_zone", lang, value=cells["timezone"]))
    start = parse_when(cells.get("start", ""), zone)
    if start is None:
        raise _RowError("start", t("event.bad_start", lang))
    end = _end(cells.get("end", ""), start, zone, cfg.default_duration_minutes, lang)
    try:
        audience = parse_audience(cells.get("audience", ""), lang)
    except AudienceError as err:
        raise _RowError("audience", t("event.bad_audience", lang, problem=str(err))) from None
    return Event(row, event_id, cells["title"], start, end, str(zone.key), cells.get("place", ""), audience,
                 _capacity(cells.get("capacity", ""), lang), _language(cells.get("language", ""), lang),
                 _status(cells.get("status", ""), lang), cells.get("description", ""))  # fmt: skip


def _end(text: str, start: datetime, zone: ZoneInfo, minutes: int, lang: str) -> datetime:
    if not text:
        return start + timedelta(minutes=minutes)
    end = parse_when(text, zone, day=start.date())
    if end is None:
        raise _RowError("end", t("event.bad_end", lang))
    if end <= start:
        raise _RowError("end", t("event.end_before_start", lang))
    return end


def _capacity(text: str, lang: str) -> int | None:
    if text.casefold() in _UNLIMITED:
        return None
    try:
        value = int(float(text.replace(",", "")))
    except ValueError:
        raise _RowError("capacity", t("event.bad_capacity", lang)) from None
    if value < 1:
        raise _RowError("capacity", t("event.bad_capacity", lang))
    return value


def _language(text: str, lang: str) -> str:
    code = _EVENT_LANGUAGES.get(text.casefold())
    if code is None:
        raise _RowError("language", t("event.bad_language", lang, value=text))
    return code


def _status(text: str, lang: str) -> str:
    status = _STATUS.get(text.casefold())
    if status is None:
        raise _RowError("status", t("event.bad_status", lang, value=text))
    return status


# versions -----------------------------------------------------------------------------------------------
NEW, CHANGED, UNCHANGED, CANCELLED_NOW, CANCELLED_BEFORE, PAST, SKIPPED = (
    "new", "changed", "unchanged", "cancelled", "cancelled earlier", "past", "draft",
)  # fmt: skip


# every `change` a Decision can have: the report says invites.change.<change>
CHANGES = ("new", "changed", "unchanged", "cancelled", "cancelled earlier", "past", "draft")


@dataclass(frozen=True)
class Decision:
    event: Event
    change: str  # one of CHANGES
    sequence: int
    version: dict[str, object] | None  # the row to save in event_versions after applying, if any

    @property
    def upcoming(self) -> bool:
        return self.change not in (PAST, SKIPPED)

    @property
    def live(self) -> bool:
        """Upcoming and not cancelled: invitations and reminders may go."""
        return self.change in (NEW, CHANGED, UNCHANGED)


def decide(event: Event, previous: Mapping[str, object] | None, now: datetime) -> Decision:
    """The event's sequence and what changed since the version invitees last heard about."""
    if event.status == DRAFT:
        return Decision(event, SKIPPED, int(previous["sequence"]) if previous else 0, None)  # type: ignore[call-overload]
    if event.start.astimezone(UTC) <= now:
        return Decision(event, PAST, int(previous["sequence"]) if previous else 0, None)  # type: ignore[call-overload]
    cancelled = event.status == CANCELLED
    status = CANCELLED if cancelled else SCHEDULED
    if previous is None:
        change, seq = (CANCELLED_BEFORE if cancelled else NEW), 0
    else:
        prev_seq = int(previous["sequence"])  # type: ignore[call-overload]
        was_cancelled = previous["status"] == CANCELLED
        if cancelled:
            change, seq = (CANCELLED_BEFORE, prev_seq) if was_cancelled else (CANCELLED_NOW, prev_seq + 1)
        elif was_cancelled or previous["fingerprint"] != event.fingerprint:
            change, seq = CHANGED, prev_seq + 1
        else:
            change, seq = UNCHANGED, prev_seq
    same = previous is not None and previous["sequence"] == seq and previous["status"] == status
    changed_at = previous["changed_at"] if same and previous else now
    version = {"event_id": event.event_id, "sequence": seq, "fingerprint": event.fingerprint, "status": status,
               "changed_at": changed_at}  # fmt: skip
    return Decision(event, change, seq, version)


# planning -----------------------------------------------------------------------------------------------
INVITE, UPDATE, CANCEL, REMINDER, SEAT_CONFIRMED, SEAT_WAITLISTED = (
    "invite", "update", "cancel", "reminder", "seat_confirmed", "seat_waitlisted",
)  # fmt: skip
CALENDAR_PURPOSES = (INVITE, UPDATE, CANCEL)


@dataclass(frozen=True)
class Intent:
    """One message to one member about one event; its key is the ledger key of the message."""

    purpose: str
    event_id: str
    member_id: str
    sequence: int
    offset: str = ""  # reminders: 7d, 1d, 2h

    @property
    def key(self) -> str:
        if self.purpose == REMINDER:
            return f"reminder:{self.event_id}:{self.member_id}:{self.offset}"
        if self.purpose in (SEAT_CONFIRMED, SEAT_WAITLISTED):
            return f"seat:{self.event_id}:{self.member_id}:{self.purpose.removeprefix('seat_')}"
        return f"{self.purpose}:{self.event_id}:{self.member_id}:seq{self.sequence}"


def key_prefixes(event_ids: Sequence[str]) -> list[str]:
    """Ledger key prefixes of every message about these events (to read what was sent, in one query)."""
    kinds = ("invite", "update", "cancel", "reminder", "seat", "announce")
    return [f"{kind}:{event_id}:" for event_id in event_ids for kind in kinds]


@dataclass
class Sent:
    """What the ledger says was sent about one event, per member."""

    last_seq: dict[str, int] = field(default_factory=dict)  # invite/update/cancel, highest sequence
    invited_at: dict[str, datetime] = field(default_factory=dict)  # latest invite/update
    invitees: set[str] = field(default_factory=set)  # got an invite or update
    keys: set[str] = field(default_factory=set)


def read_sent(done: Sequence[tuple[str, datetime]]) -> dict[str, Sent]:
    """event id -> Sent, from done ledger keys like invite:<event>:<member>:seq<N>."""
    out: dict[str, Sent] = {}
    for key, when in done:
        kind, event_id, member_id, rest = (key.split(":", 3) + ["", "", ""])[:4]
        sent = out.setdefault(event_id, Sent())
        sent.keys.add(key)
        if kind not in ("invite", "update", "cancel") or not rest.startswith("seq"):
            continue
        seq = int(rest[3:])
        sent.last_seq[member_id] = max(seq, sent.last_seq.get(member_id, -1))
        if kind in ("invite", "update"):
            sent.invitees.add(member_id)
            if when > sent.invited_at.get(member_id, when - timedelta(seconds=1)):
                sent.invited_at[member_id] = when
    return out


@dataclass(frozen=True)
class PlanInputs:
    now: datetime
    network_tz: str
    offsets: tuple[Offset, ...]
    quiet: QuietHours | None
    members: Mapping[str, Mapping[str, str]]  # member_id -> fields (active members)
    sent: Mapping[str, Sent]  # event id -> what was sent
    responses: Mapping[tuple[str, str], str]  # (event, member) -> yes | no | maybe (the latest answer)
    seats: Mapping[tuple[str, str], str]  # (event, member) -> confirmed | waitlisted | declined (after this run)


def plan_event(decision: Decision, inputs: PlanInputs) -> list[Intent]:
    """Every message this run owes about one event, not counting those already sent."""
    if not decision.upcoming:
        return []
    event, seq = decision.event, decision.sequence
    sent = inputs.sent.get(event.event_id, Sent())
    if not decision.live:
        return _new_only(
            [Intent(CANCEL, event.event_id, m, seq) for m in sorted(sent.invitees) if sent.last_seq[m] < seq], sent
        )
    intents = _invitations(event, seq, sent, inputs)
    intents += _seat_notices(event, seq, inputs)
    fresh = {i.member_id for i in intents if i.purpose in (INVITE, UPDATE)}
    intents += _reminders(event, seq, sent, inputs, fresh)
    return _new_only(intents, sent)


def _new_only(intents: list[Intent], sent: Sent) -> list[Intent]:
    return [i for i in intents if i.key not in sent.keys]


def _declined(inputs: PlanInputs, event_id: str, member_id: str) -> bool:
    return inputs.responses.get((event_id, member_id)) == "no"


def _invitations(event: Event, seq: int, sent: Sent, inputs: PlanInputs) -> list[Intent]:
    updates = [Intent(UPDATE, event.event_id, m, seq) for m in sorted(sent.invitees) if sent.last_seq[m] < seq]
    today = inputs.now.astimezone(ZoneInfo(inputs.network_tz)).date()
    audience = [
        m
        for m, fields in inputs.members.items()
        if m not in sent.invitees and not _declined(inputs, event.event_id, m) and event.audience.matches(fields, today)
    ]
    return updates + [Intent(INVITE, event.event_id, m, seq) for m in sorted(audience)]


def _seat_notices(event: Event, seq: int, inputs: PlanInputs) -> list[Intent]:
    if event.capacity is None:
        return []
    out = []
    for (event_id, member_id), seat in sorted(inputs.seats.items()):
        if event_id == event.event_id and seat in ("confirmed", "waitlisted"):
            out.append(Intent(f"seat_{seat}", event_id, member_id, seq))
    return out


def _reminders(event: Event, seq: int, sent: Sent, inputs: PlanInputs, fresh: set[str]) -> list[Intent]:
    confirmed = {m for (e, m), seat in inputs.seats.items() if e == event.event_id and seat == "confirmed"}
    out = []
    for member_id in sorted(sent.invitees | confirmed):
        fields = inputs.members.get(member_id)
        seat = inputs.seats.get((event.event_id, member_id))
        if fields is None or member_id in fresh or seat in ("waitlisted", "declined"):
            continue
        if _declined(inputs, event.event_id, member_id):
            continue
        zone = zone_or(fields.get("timezone", ""), inputs.network_tz)
        due = current_reminder(event.start, inputs.offsets, zone, inputs.quiet, inputs.now)
        invited = sent.invited_at.get(member_id)
        if due is None or (invited is not None and invited >= due.due):
            continue  # none due yet, or the invitation itself came after this reminder was due
        out.append(Intent(REMINDER, event.event_id, member_id, seq, due.offset.label))
    return out


# Google Calendar as the source ----------------------------------------------------------------------------
_META = re.compile(
    r"^\s*(audience|受众|邀请对象|对象|capacity|名额|人数上限|language|语言|event_id|活动编号)\s*[:：]\s*(.*?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_META_FIELDS = {"audience": "audience", "受众": "audience", "邀请对象": "audience", "对象": "audience",
                "capacity": "capacity", "名额": "capacity", "人数上限": "capacity", "language": "language",
                "语言": "language", "event_id": "event_id", "活动编号": "event_id"}  # fmt: skip


def _google_when(value: Mapping[str, str] | None, zone: ZoneInfo) -> str:
    if not value:
        return ""
    if "dateTime" in value:
        moment = datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00")).astimezone(zone)
        return moment.strftime("%Y-%m-%d %H:%M")
    return value.get("date", "")  # an all-day event: rejected (an invitation needs a time)


def google_cells(item: Mapping[str, object], network_tz: str) -> dict[str, str]:
    """A Calendar v3 event as the cells of an events-tab row; audience etc. come from description lines."""
    start = item.get("start") or {}
    zone_name = str(start.get("timeZone") or network_tz) if isinstance(start, dict) else network_tz
    zone = parse_zone(zone_name, network_tz) or ZoneInfo(network_tz)
    description = str(item.get("description") or "")
    cells = {"event_id": str(item.get("id", "")), "title": str(item.get("summary") or ""), "timezone": zone.key,
             "start": _google_when(item.get("start"), zone), "end": _google_when(item.get("end"), zone),  # type: ignore[arg-type]
             "place": str(item.get("location") or item.get("hangoutLink") or ""),
             "status": CANCELLED if item.get("status") == "cancelled" else ""}  # fmt: skip
    for match in _META.finditer(description):
        cells[_META_FIELDS[match[1].casefold()]] = match[2]
    cells["description"] = _META.sub("", description).strip()
    return cells


def events_from_google(items: Sequence[Mapping[str, object]], cfg: EventsConfig, network_tz: str,
                       lang: str) -> tuple[list[Event], list[EventProblem]]:  # fmt: skip
    """Events of a Google calendar (as listed); one without an 'audience:' line is reported, never sent."""
    events: list[Event] = []
    problems: list[EventProblem] = []
    for row, item in enumerate(sorted(items, key=lambda i: str(i.get("id", ""))), start=1):
        cells = google_cells(item, network_tz)
        try:
            if "audience" not in cells:
                raise _RowError("audience", t("event.no_audience_line", lang))
            event = _event_from_cells(row, cells, network_tz, cfg, lang)
            events.append(replace(event, google_id=str(item.get("id", ""))))
        except _RowError as err:
            problems.append(EventProblem(row, cells["event_id"], f"Google Calendar {err.field}", err.reason))
    return events, problems
