"""RSVPs, pure: answers from the RSVP tab and the webhook inbox, the latest answer, and seats with a waitlist.

* An answer is yes, no or maybe, in English or Chinese (是 / 参加 / 否 / 不参加 / 待定 ...).
* Each source keeps its own latest answer; a member's answer to an event is the most recent of them. A tab
  row without a time counts from when we first saw it, so re-reading the tab never outvotes a newer answer.
* Seats: a confirmed seat is kept until its holder says no; free seats go to yes-answers in the order they
  came; the rest wait. A decline frees a seat, and the first one waiting moves up.
* A tab row or inbox submission we cannot use (unknown event or member, unclear answer) is reported with
  its row or submission id and the reason, never dropped; used inbox rows are marked processed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.text import normalise_email, normalise_text
from tasks.events.events import parse_when
from weaver.config import EventsConfig
from weaver.i18n import t

YES, NO, MAYBE = "yes", "no", "maybe"
_ANSWERS = {
    YES: {"yes", "y", "true", "1", "accept", "accepted", "going", "attending", "attend", "i'll come", "✓", "是", "参加",
          "参与", "接受", "会参加", "报名", "出席", "去", "好"},
    NO: {"no", "n", "false", "0", "decline", "declined", "not going", "can't come", "cannot attend", "否", "不参加",
         "不去", "拒绝", "不能参加", "无法参加", "取消报名", "缺席"},
    MAYBE: {"maybe", "tentative", "perhaps", "可能", "待定", "也许", "不确定"},
}  # fmt: skip


def parse_response(value: Any) -> str | None:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    text = normalise_text(str(value or "")).casefold()
    return next((kind for kind, words in _ANSWERS.items() if text in words), None)


@dataclass(frozen=True)
class Answer:
    event_id: str
    member_id: str
    source: str  # tab | inbox | calendar
    response: str
    submitted_at: datetime  # UTC

    def row(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "member_id": self.member_id, "source": self.source,
                "response": self.response, "submitted_at": self.submitted_at}  # fmt: skip


@dataclass(frozen=True)
class Unusable:
    where: str  # "RSVPs row 5" or "inbox tally:abc123"
    reason: str
    inbox_id: str = ""


@dataclass
class Collected:
    answers: list[Answer]
    unusable: list[Unusable]
    processed: list[str]  # inbox ids consumed


@dataclass(frozen=True)
class Directory:
    """Who is who, for matching an answer to a member, and which events exist."""

    by_email: Mapping[str, str]  # email -> member_id
    member_ids: frozenset[str]
    event_ids: frozenset[str]

    def member(self, email: str, member_id: str) -> str | None:
        if member_id and member_id in self.member_ids:
            return member_id
        return self.by_email.get(normalise_email(email)) if email else None


Stored = Mapping[tuple[str, str, str], Answer]


def tab_answers(grid: Grid, cfg: EventsConfig, tab: str, people: Directory, stored: Stored, zone: ZoneInfo,
                now: datetime, lang: str) -> Collected:  # fmt: skip
    """Answers typed or imported into the RSVP tab (one read); the header names come from [events.rsvp_columns]."""
    out = Collected([], [], [])
    if not grid:
        return out
    header = Columns(grid[0], "rsvps")
    found = {name: header.find(h) for name, h in cfg.rsvp_columns.items()}
    cols = {name: col for name, col in found.items() if col is not None}
    for offset, raw in enumerate(grid[1:]):
        row_no = offset + 2
        cells = {n: normalise_text(raw[c]) if c < len(raw) and raw[c] else "" for n, c in cols.items()}
        if not any(cells.values()):
            continue
        where = t("rsvp.tab_row", lang, tab=tab, row=row_no)
        answer = _answer(cells.get("event_id", ""), cells.get("email", ""), cells.get("member_id", ""),
                         cells.get("response", ""), people, lang)  # fmt: skip
        if isinstance(answer, str):
            out.unusable.append(Unusable(where, answer))
            continue
        event_id, member_id, response = answer
        when = parse_when(cells.get("submitted_at", ""), zone)
        if when is None:  # first seen now (in row order), or when this same answer was first seen
            known = stored.get((event_id, member_id, "tab"))
            same = known is not None and known.response == response
            when = known.submitted_at if same and known else now + timedelta(microseconds=row_no)
        out.answers.append(Answer(event_id, member_id, "tab", response, when.astimezone(UTC)))
    return out


def inbox_answers(rows: Iterable[Mapping[str, Any]], cfg: EventsConfig, people: Directory, lang: str) -> Collected:
    """Webhook RSVPs (kind 'rsvp'): payload {form, submitted_at, email, name, answers{...}, hidden{...}}."""
    out = Collected([], [], [])
    for row in rows:
        payload = row["payload"] or {}
        answers, hidden = payload.get("answers") or {}, payload.get("hidden") or {}
        event_id = str(_first(cfg.rsvp_event_keys, hidden, answers) or "")
        response = _first(cfg.rsvp_answer_keys, answers, hidden)
        member_id = str(hidden.get("member_id") or "")
        answer = _answer(event_id, str(payload.get("email") or ""), member_id, response, people, lang)
        if isinstance(answer, str):
            out.unusable.append(Unusable(t("rsvp.inbox_row", lang, id=row["id"]), answer, row["id"]))
            continue
        when = _timestamp(payload.get("submitted_at")) or _aware(row["received_at"])
        out.answers.append(Answer(*answer[:2], "inbox", answer[2], when.astimezone(UTC)))  # type: ignore[call-arg]
        out.processed.append(row["id"])
    return out


GOOGLE_RESPONSES = {"accepted": YES, "declined": NO, "tentative": MAYBE}  # needsAction: no answer yet


def calendar_answers(items: Iterable[Mapping[str, Any]], event_of: Mapping[str, str], people: Directory,
                     stored: Stored, now: datetime) -> Collected:  # fmt: skip
    """Attendees' Accept / Decline / Maybe in Google Calendar (`responseStatus`), as RSVPs from the source
    `calendar`. `items` are the calendar's events as the sync token keeps them; `event_of` maps a Google event id to
    ours. The time of an answer is the event's `updated` when the answer changed, else when it was first seen
    (an unchanged answer never outvotes a newer one from the tab or a form). Guests who are not members, the
    organiser and rooms are no RSVP of ours."""
    out = Collected([], [], [])
    for item in items:
        event_id = event_of.get(str(item.get("id", "")))
        if not event_id:
            continue
        for guest in item.get("attendees") or []:
            if guest.get("organizer") or guest.get("self") or guest.get("resource"):
                continue
            response = GOOGLE_RESPONSES.get(str(guest.get("responseStatus", "")))
            member_id = people.member(str(guest.get("email", "")), "")
            if response is None or member_id is None:
                continue
            known = stored.get((event_id, member_id, "calendar"))
            if known is not None and known.response == response:
                when = known.submitted_at
            else:
                when = _timestamp(item.get("updated")) or now
            out.answers.append(Answer(event_id, member_id, "calendar", response, when.astimezone(UTC)))
    return out


def _first(keys: Sequence[str], *sources: Mapping[str, Any]) -> Any:
    for source in sources:
        folded = {str(k).casefold(): v for k, v in source.items()}
        for key in keys:
            if folded.get(key.casefold()) not in (None, ""):
                return folded[key.casefold()]
    return None


def _answer(event_id: str, email: str, member_id: str, response: Any, people: Directory,
            lang: str) -> tuple[str, str, str] | str:  # fmt: skip
    """(event, member, response), or the reason it cannot be used."""
    if event_id not in people.event_ids:
        return t("rsvp.unknown_event", lang, event=event_id or "-")
    who = people.member(email, member_id)
    if who is None:
        return t("rsvp.unknown_member", lang)
    parsed = parse_response(response)
    if parsed is None:
        return t("rsvp.unclear", lang)
    return event_id, who, parsed


def _aware(value: datetime) -> datetime:
    """The state database gives naive datetimes back from SQLite: they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return _aware(when)


# merging and seats --------------------------------------------------------------------------------------
def merge(stored: Iterable[Answer], new: Iterable[Answer]) -> dict[tuple[str, str, str], Answer]:
    """(event, member, source) -> the latest answer of that source."""
    merged = {(a.event_id, a.member_id, a.source): a for a in stored}
    for answer in new:
        key = (answer.event_id, answer.member_id, answer.source)
        known = merged.get(key)
        if known is None or answer.source == "tab" or answer.submitted_at >= known.submitted_at:
            merged[key] = answer  # the tab is re-read whole: its current row is that source's answer
    return merged


def latest(answers: Iterable[Answer]) -> dict[tuple[str, str], Answer]:
    """(event, member) -> the most recent answer from any source."""
    out: dict[tuple[str, str], Answer] = {}
    for answer in answers:
        key = (answer.event_id, answer.member_id)
        if key not in out or answer.submitted_at > out[key].submitted_at:
            out[key] = answer
    return out


def assign_seats(capacity: int | None, answers: Mapping[str, Answer], previous: Mapping[str, str]) -> dict[str, str]:
    """member -> confirmed | waitlisted | declined | "" (a maybe holds no seat), for one event."""
    seats = {m: ("declined" if a.response == NO else "") for m, a in answers.items() if a.response != YES}
    yes = [a for a in answers.values() if a.response == YES]
    kept = [a.member_id for a in yes if previous.get(a.member_id) == "confirmed"]
    seats.update({m: "confirmed" for m in kept})
    free = None if capacity is None else max(capacity - len(kept), 0)
    for answer in sorted((a for a in yes if a.member_id not in kept), key=lambda a: (a.submitted_at, a.member_id)):
        if free is None or free > 0:
            seats[answer.member_id] = "confirmed"
            free = None if free is None else free - 1
        else:
            seats[answer.member_id] = "waitlisted"
    return seats
