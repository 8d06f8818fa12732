"""RSVPs from Google Calendar (issue 18, part 4): with the calendar as the events' source, attendees'
Accept/Decline (`responseStatus`) come in through the sync token as RSVPs, seats follow the waitlist rules, and
an unchanged answer never counts twice. Against the calendar stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from connectors.endpoints import redirect
from flows.event_invites import event_invites
from flows.member_sync import member_sync
from tasks.events.rsvps import Directory, calendar_answers
from tests.standins.calendar import CalendarStandIn
from weaver.state import StateDB
from weaver.state.events import load_rsvps, load_seats

pytestmark = pytest.mark.usefixtures("prefect_harness")
MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SALON = "coordinatorsevent2"


def test_calendar_answers_are_member_rsvps_and_an_unchanged_one_keeps_its_time() -> None:
    people = Directory({"ana@example.org": "m-ana", "wei@example.org": "m-wei"}, frozenset({"m-ana", "m-wei"}),
                       frozenset({"salon"}))  # fmt: skip
    item = {"id": "g1", "updated": "2026-11-24T03:00:00Z", "attendees": [
        {"email": "Ana@Example.org", "responseStatus": "accepted"},
        {"email": "wei@example.org", "responseStatus": "needsAction"},
        {"email": "guest@else.net", "responseStatus": "accepted"},
        {"email": "org@example.org", "responseStatus": "accepted", "organizer": True}]}  # fmt: skip
    found = calendar_answers([item], {"g1": "salon"}, people, {}, MORNING)
    assert [(a.event_id, a.member_id, a.source, a.response) for a in found.answers] == [
        ("salon", "m-ana", "calendar", "yes")]  # fmt: skip
    later = {**item, "updated": "2026-11-25T03:00:00Z"}  # someone else's change moved `updated`
    again = calendar_answers([later], {"g1": "salon"}, people, {("salon", "m-ana", "calendar"): found.answers[0]},
                             MORNING)  # fmt: skip
    assert again.answers[0].submitted_at == found.answers[0].submitted_at  # unchanged: never a newer answer


@pytest.fixture
def ws(demo_ws: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, CalendarStandIn]]:
    with CalendarStandIn() as standin, redirect(calendar=standin.url), time_machine.travel(MORNING, tick=True):
        monkeypatch.setenv("WEAVER_TEST_GCAL_TOKEN", json.dumps(standin.token_info()))
        text = (demo_ws / "weaver.toml").read_text(encoding="utf-8").replace('source = "table"',
                                                                             'source = "google_calendar"')  # fmt: skip
        text += '\n[calendar.google]\ncalendar_id = "network"\ncredentials = { env = "WEAVER_TEST_GCAL_TOKEN" }\n'
        (demo_ws / "weaver.toml").write_text(text, encoding="utf-8")
        member_sync(workspace=str(demo_ws))
        yield demo_ws, standin


def answer(standin: CalendarStandIn, guests: list[tuple[str, str]], updated: str) -> None:
    """Guests answer in their calendars: Google updates the event (and its place in the sync listing)."""
    event = standin.events("network")[SALON]
    event["attendees"] = [{"email": e, "responseStatus": r} for e, r in guests]
    event["updated"] = updated
    standin._touch("network", SALON)


def test_accept_and_decline_in_the_calendar_are_rsvps_with_the_waitlist(ws: tuple[Path, CalendarStandIn]) -> None:
    root, standin = ws
    standin.add_event("network", {
        "id": SALON, "summary": "气候沙龙", "location": "上海",
        "start": {"dateTime": "2026-12-03T19:00:00+08:00", "timeZone": "Asia/Shanghai"},
        "end": {"dateTime": "2026-12-03T21:00:00+08:00", "timeZone": "Asia/Shanghai"},
        "description": "受众：兴趣 包含 气候\n名额：1"})  # fmt: skip
    first = event_invites(auto_approve=True, workspace=str(root))
    assert first["events"] == 1 and first["sent"]["invite"] > 1
    db = StateDB(f"sqlite:///{root / 'weaver.db'}")
    invited = sorted({r["email"] for r in db.member_rows()} & {m for m in _invited(root)})[:2]
    ana, ben = invited
    answer(standin, [(ana, "accepted"), (ben, "needsAction")], "2026-11-24T03:00:00Z")
    event_invites(auto_approve=True, workspace=str(root))
    answer(standin, [(ana, "accepted"), (ben, "accepted")], "2026-11-24T04:00:00Z")
    full = event_invites(auto_approve=True, workspace=str(root))
    ids = {r["email"]: r["member_id"] for r in db.member_rows()}
    seats = {m: s for (e, m), s in load_seats(db).items() if e == SALON}
    assert seats == {ids[ana]: "confirmed", ids[ben]: "waitlisted"} and full["waitlisted"] == 1
    assert {(r["member_id"], r["source"], r["response"]) for r in load_rsvps(db) if r["event_id"] == SALON} == {
        (ids[ana], "calendar", "yes"), (ids[ben], "calendar", "yes")}  # fmt: skip
    answer(standin, [(ana, "declined"), (ben, "accepted")], "2026-11-24T05:00:00Z")
    event_invites(auto_approve=True, workspace=str(root))
    seats = {m: s for (e, m), s in load_seats(db).items() if e == SALON}
    assert seats == {ids[ana]: "declined", ids[ben]: "confirmed"}  # the first one waiting moves up
    calls, before, rsvps = standin.calls["events.list"], load_seats(db), load_rsvps(db)
    again = event_invites(auto_approve=True, workspace=str(root))  # nothing changed in the calendar
    assert standin.calls["events.list"] == calls + 1 and load_seats(db) == before and load_rsvps(db) == rsvps
    assert again["sent"]["invite"] == 0 and again["waitlisted"] == 0
    db.close()


def _invited(root: Path) -> list[str]:
    from connectors.mail import OutboxTransport

    out = []
    for mail in OutboxTransport(root / "outbox", None).messages():  # type: ignore[arg-type]
        if str(mail["X-Weaver-Key"]).startswith(f"invite:{SALON}:"):
            out.append(str(mail["To"]).rsplit("<", 1)[-1].rstrip(">").strip().lower())
    return out
