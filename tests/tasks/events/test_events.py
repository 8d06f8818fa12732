"""Events, pure: the tab parsed with row-numbered problems, sequences, and who is owed which message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.tables import Grid
from tasks.common.audience import parse_audience
from tasks.events.events import (
    CANCELLED,
    Event,
    PlanInputs,
    decide,
    events_from_google,
    parse_events,
    plan_event,
    read_sent,
)
from tasks.events.reminders import parse_offsets, parse_quiet_hours
from weaver.config import EventsConfig

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
HEADER = ["event_id", "title", "start", "end", "timezone", "place", "audience", "capacity", "language", "status"]


def parse(*rows: list[object], lang: str = "en") -> tuple[list[Event], list]:  # type: ignore[type-arg]
    grid: Grid = [HEADER, *[[str(c) for c in r] for r in rows]]
    return parse_events(grid, EventsConfig(), "Events", "Asia/Shanghai", lang, "network.xlsx")


def event(start: datetime | None = None, **kw: object) -> Event:
    start = start or datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)
    base = Event(2, "climate", "气候圆桌", start, start + timedelta(hours=2), "Asia/Shanghai", "线上",
                 parse_audience("兴趣 包含 气候"), None, "", "scheduled")  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


MEMBERS = {
    "m-1": {"interests": "气候", "timezone": "Asia/Shanghai"},
    "m-2": {"interests": "气候, 教育", "timezone": "Europe/Berlin"},
    "m-3": {"interests": "艺术"},
}


def inputs(sent: list[tuple[str, datetime]] | None = None, responses: dict | None = None,  # type: ignore[type-arg]
           seats: dict | None = None, now: datetime = NOW) -> PlanInputs:  # type: ignore[type-arg]  # fmt: skip
    return PlanInputs(now, "Asia/Shanghai", parse_offsets(("7d", "1d", "2h")), parse_quiet_hours("21:00-08:00"),
                      MEMBERS, read_sent(sent or []), responses or {}, seats or {})  # fmt: skip


def keys(intents: list) -> list[str]:  # type: ignore[type-arg]
    return [i.key for i in intents]


# parsing ------------------------------------------------------------------------------------------------
def test_a_row_becomes_an_event_in_its_zone() -> None:
    [ev], problems = parse(["climate", "气候圆桌", "2026/12/1 19:00", "21:00", "", "https://meet.example.org/c",
                            "兴趣 包含 气候", "30", "双语", "已确认"])  # fmt: skip
    assert problems == []
    assert ev.start == datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)
    assert ev.end == datetime(2026, 12, 1, 21, 0, tzinfo=SHANGHAI)
    assert (ev.capacity, ev.language, ev.status, ev.online) == (30, "", "scheduled", True)


def test_chinese_dates_status_and_a_default_length() -> None:
    [ev], _ = parse(["x", "分享会", "2026年12月1日 19:00", "", "Europe/Berlin", "Berlin", "", "", "中文", "取消"])
    assert ev.start.tzinfo == ZoneInfo("Europe/Berlin") and ev.end - ev.start == timedelta(hours=2)
    assert (ev.language, ev.status, ev.audience.everyone) == ("zh", CANCELLED, True)


def test_titles_keep_their_chinese_punctuation() -> None:
    [ev], _ = parse(["x", "气候，行动（圆桌）", "2026-12-01 19:00", "", "", "上海，静安", "", "", "", ""])
    assert (ev.title, ev.place) == ("气候，行动（圆桌）", "上海，静安")


def test_every_bad_row_is_reported_with_its_cell_and_nothing_is_dropped() -> None:
    rows = [
        ["", "no id", "2026-12-01 19:00", "", "", "", "", "", "", ""],
        ["a", "bad start", "next Tuesday", "", "", "", "", "", "", ""],
        ["b", "end first", "2026-12-01 19:00", "18:00", "", "", "", "", "", ""],
        ["c", "bad zone", "2026-12-01 19:00", "", "Mars/Olympus", "", "", "", "", ""],
        ["d", "bad capacity", "2026-12-01 19:00", "", "", "", "", "lots", "", ""],
        ["e", "bad status", "2026-12-01 19:00", "", "", "", "", "", "", "maybe"],
        ["f", "fine", "2026-12-01 19:00", "", "", "", "", "", "", ""],
        ["f", "same id", "2026-12-02 19:00", "", "", "", "", "", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],  # blank: skipped, not a problem
    ]
    events, problems = parse(*rows)
    assert [e.event_id for e in events] == ["f"]
    assert [(p.row, p.cell) for p in problems] == [
        (2, "Events!A2"), (3, "Events!C3"), (4, "Events!D4"), (5, "Events!E5"), (6, "Events!H6"), (7, "Events!J7"),
        (9, "Events!A9"),
    ]  # fmt: skip
    assert problems[-1].reason == "event id already used by row 8"


def test_a_missing_required_column_names_the_tab_and_the_mapping() -> None:
    from weaver.errors import SourceError

    with pytest.raises(SourceError, match=r"tab 'Events' has no column 'audience' \(mapped from \[events.columns\]"):
        parse_events([HEADER[:6]], EventsConfig(), "Events", "Asia/Shanghai", "en", "network.xlsx")


# versions -----------------------------------------------------------------------------------------------
def test_sequence_starts_at_zero_and_goes_up_once_per_change_of_time_or_place() -> None:
    first = decide(event(), None, NOW)
    assert (first.change, first.sequence) == ("new", 0)
    same = decide(replace(event(), title="新标题"), first.version, NOW)
    assert (same.change, same.sequence) == ("unchanged", 0)  # a title change is not announced again
    moved = decide(event(start=datetime(2026, 12, 2, 19, 0, tzinfo=SHANGHAI)), first.version, NOW)
    assert (moved.change, moved.sequence) == ("changed", 1)
    again = decide(event(start=datetime(2026, 12, 2, 19, 0, tzinfo=SHANGHAI)), moved.version, NOW)
    assert (again.change, again.sequence) == ("unchanged", 1)
    elsewhere = decide(replace(event(start=datetime(2026, 12, 2, 19, 0, tzinfo=SHANGHAI)), place="北京"),
                       again.version, NOW)  # fmt: skip
    assert (elsewhere.change, elsewhere.sequence) == ("changed", 2)


def test_cancelling_bumps_the_sequence_and_past_or_draft_events_are_left_alone() -> None:
    first = decide(event(), None, NOW)
    cancelled = decide(replace(event(), status=CANCELLED), first.version, NOW)
    assert (cancelled.change, cancelled.sequence, cancelled.live) == ("cancelled", 1, False)
    assert decide(replace(event(), status=CANCELLED), cancelled.version, NOW).change == "cancelled earlier"
    assert decide(event(), None, datetime(2026, 12, 2, tzinfo=UTC)).change == "past"
    assert decide(replace(event(), status="draft"), None, NOW).version is None


# planning -----------------------------------------------------------------------------------------------
def test_the_audience_is_invited_once() -> None:
    d = decide(event(), None, NOW)
    assert keys(plan_event(d, inputs())) == ["invite:climate:m-1:seq0", "invite:climate:m-2:seq0"]
    sent = [("invite:climate:m-1:seq0", NOW), ("invite:climate:m-2:seq0", NOW)]
    assert plan_event(d, inputs(sent)) == []


def test_a_change_sends_every_invitee_one_update_with_the_new_sequence() -> None:
    first = decide(event(), None, NOW)
    moved = decide(event(start=datetime(2026, 12, 2, 19, 0, tzinfo=SHANGHAI)), first.version, NOW)
    sent = [("invite:climate:m-1:seq0", NOW), ("invite:climate:m-2:seq0", NOW)]
    assert keys(plan_event(moved, inputs(sent))) == ["update:climate:m-1:seq1", "update:climate:m-2:seq1"]
    sent += [("update:climate:m-1:seq1", NOW), ("update:climate:m-2:seq1", NOW)]
    assert plan_event(moved, inputs(sent)) == []


def test_a_cancellation_goes_to_invitees_only() -> None:
    first = decide(event(), None, NOW)
    cancelled = decide(replace(event(), status=CANCELLED), first.version, NOW)
    assert keys(plan_event(cancelled, inputs([("invite:climate:m-1:seq0", NOW)]))) == ["cancel:climate:m-1:seq1"]


def test_someone_who_declined_is_not_invited_or_reminded() -> None:
    soon = event(start=datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI))
    d = decide(soon, None, NOW)
    sent = [("invite:climate:m-1:seq0", NOW - timedelta(days=10))]
    plan = plan_event(d, inputs(sent, responses={("climate", "m-1"): "no", ("climate", "m-2"): "no"}))
    assert plan == []


def test_reminders_go_to_earlier_invitees_when_due_but_not_with_a_fresh_invitation() -> None:
    soon = event(start=datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI))  # in two days
    d = decide(soon, None, NOW)
    sent = [("invite:climate:m-1:seq0", NOW - timedelta(days=10))]  # m-1 invited ten days ago
    assert keys(plan_event(d, inputs(sent))) == ["invite:climate:m-2:seq0", "reminder:climate:m-1:7d"]


def test_an_invitation_sent_after_the_reminder_was_due_makes_it_redundant() -> None:
    soon = event(start=datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI))
    sent = [("invite:climate:m-1:seq0", NOW - timedelta(hours=1)), ("invite:climate:m-2:seq0", NOW)]
    assert plan_event(decide(soon, None, NOW), inputs(sent)) == []


def test_confirmed_attendees_are_reminded_and_the_waitlist_is_not() -> None:
    soon = event(start=datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI), capacity=1)
    d = decide(soon, None, NOW)
    sent = [(f"invite:climate:{m}:seq0", NOW - timedelta(days=10)) for m in ("m-1", "m-2")]
    seats = {("climate", "m-1"): "confirmed", ("climate", "m-2"): "waitlisted", ("climate", "m-3"): "confirmed"}
    assert keys(plan_event(d, inputs(sent, seats=seats))) == [
        "seat:climate:m-1:confirmed", "seat:climate:m-2:waitlisted", "seat:climate:m-3:confirmed",
        "reminder:climate:m-1:7d", "reminder:climate:m-3:7d",
    ]  # fmt: skip


def test_reminders_wait_for_each_members_morning() -> None:
    soon = event(start=datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI))
    d = decide(soon, None, NOW)
    sent = [(f"invite:climate:{m}:seq0", NOW - timedelta(days=10)) for m in ("m-1", "m-2")]
    midnight_in_shanghai = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 17:00 in Berlin
    assert keys(plan_event(d, inputs(sent, now=midnight_in_shanghai))) == ["reminder:climate:m-2:7d"]


def test_a_reminder_already_sent_is_not_planned_again() -> None:
    soon = event(start=datetime(2026, 11, 26, 14, 0, tzinfo=SHANGHAI))
    sent = [("invite:climate:m-1:seq0", NOW - timedelta(days=10)), ("invite:climate:m-2:seq0", NOW - timedelta(days=9)),
            ("reminder:climate:m-1:7d", NOW), ("reminder:climate:m-2:7d", NOW)]  # fmt: skip
    assert plan_event(decide(soon, None, NOW), inputs(sent)) == []


# Google Calendar as the source --------------------------------------------------------------------------
def test_google_events_read_audience_and_capacity_from_the_description() -> None:
    items = [
        {"id": "abc12345", "summary": "Commons meetup", "location": "Berlin", "status": "confirmed",
         "start": {"dateTime": "2026-12-14T18:30:00+01:00", "timeZone": "Europe/Berlin"},
         "end": {"dateTime": "2026-12-14T20:30:00+01:00", "timeZone": "Europe/Berlin"},
         "description": "受众：地区 属于 Europe\n名额：25\nBring a friend."},
        {"id": "def67890", "summary": "Staff lunch", "start": {"dateTime": "2026-12-15T12:00:00+08:00"},
         "end": {"dateTime": "2026-12-15T13:00:00+08:00"}},
    ]  # fmt: skip
    events, problems = events_from_google(items, EventsConfig(), "Asia/Shanghai", "en")
    [ev] = events
    assert (ev.event_id, ev.google_id, ev.capacity, ev.description) == ("abc12345", "abc12345", 25, "Bring a friend.")
    assert ev.start == datetime(2026, 12, 14, 18, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert [(p.event_id, p.cell) for p in problems] == [("def67890", "Google Calendar audience")]
