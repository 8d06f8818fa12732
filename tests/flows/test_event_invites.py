"""event-invites end to end on the demo workspace, through Prefect, with time frozen at a Shanghai morning."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
import time_machine
from icalendar import Calendar
from openpyxl import load_workbook
from sqlalchemy import select

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from connectors.endpoints import redirect
from connectors.mail import OutboxTransport, Sender
from flows._runtime import build_tables
from flows.event_invites import event_invites
from flows.member_sync import member_sync
from tests.flows.gate import PausedRun, approval_threshold_one
from tests.pages import link_rig
from tests.standins.calendar import CalendarStandIn
from weaver.errors import ConfigError
from weaver.models import parse_consent
from weaver.state import StateDB, inbox, utcnow
from weaver.state.events import event_seats, load_event_versions, load_rsvps, load_seats
from weaver.workspace import Workspace

pytestmark = pytest.mark.usefixtures("prefect_harness")

MORNING = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on the demo's build day


@pytest.fixture
def ws(demo_ws: Path) -> Iterator[Path]:
    """The demo workspace with members synced, at 10:00 Shanghai time (time keeps ticking from there)."""
    with time_machine.travel(MORNING, tick=True):
        member_sync(workspace=str(demo_ws))
        yield demo_ws


def outbox(ws: Path) -> list[EmailMessage]:
    return OutboxTransport(ws / "outbox", Sender("x@example.org", "x")).messages()


def by_kind(messages: list[EmailMessage]) -> Counter[str]:
    return Counter(str(m["X-Weaver-Key"]).split(":")[0] for m in messages)


def calendar_part(message: EmailMessage) -> Calendar:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar" and not p.get_filename()]
    return Calendar.from_ical(part.get_content())


def edit_event(ws: Path, row: int, column: str, value: str) -> None:
    book = load_workbook(ws / "network.xlsx")
    book["Events"][f"{column}{row}"] = value
    book.save(ws / "network.xlsx")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_run_invites_and_reminds_and_a_rerun_sends_nothing_new(ws: Path) -> None:
    first = event_invites(auto_approve=True, workspace=str(ws))
    mails = outbox(ws)
    kinds = by_kind(mails)
    assert kinds["invite"] == first["sent"]["invite"] > 50
    assert kinds["reminder"] == first["sent"]["reminder"] > 0  # the clinic in two days: its 7-day reminder is due
    assert kinds["seat"] == first["sent"]["seat_confirmed"] + first["sent"]["seat_waitlisted"] > 0
    assert first["waitlisted"] == 3 and first["rsvps_unusable"] == 1  # 15 yes for 12 places; one unknown address
    assert first["suppressed"] > 0  # members without consent: planned, never sent
    assert first["calendar_file"] == "written" and first["chat_posts"] == 3
    feed = Calendar.from_ical((ws / "calendar.ics").read_bytes())
    uids = sorted(str(e["UID"]).split("@")[0] for e in feed.events)
    events = [u for u in uids if not u.startswith("deadline-")]
    assert events == ["berlin-commons-meetup", "climate-roundtable", "open-data-clinic"]  # not past or cancelled
    deadlines = [e for e in feed.events if str(e["UID"]).startswith("deadline-")]
    assert deadlines and all(type(e.start) is date for e in deadlines)  # the pipeline's open calls, all day
    ics_before = digest(ws / "calendar.ics")

    second = event_invites(auto_approve=True, workspace=str(ws))
    assert set(second["sent"].values()) == {0} and second["chat_posts"] == 0
    assert len(outbox(ws)) == len(mails)
    assert second["calendar_file"] == "unchanged" and digest(ws / "calendar.ics") == ics_before


def test_an_invitation_is_personal_bilingual_and_carries_the_calendar_invite(ws: Path) -> None:
    event_invites(auto_approve=True, workspace=str(ws))
    invites = [m for m in outbox(ws) if str(m["X-Weaver-Key"]).startswith("invite:climate-roundtable:")]
    languages = Counter(m.get_body(("html",)).get_content().split('lang="')[1][:2] for m in invites)
    assert languages["zh"] > 0 and languages["en"] > 0
    zh = next(m for m in invites if str(m["Subject"]).startswith("活动邀请"))
    to = zh["To"].addresses[0].addr_spec
    cal = calendar_part(zh)
    assert cal["METHOD"] == "REQUEST"
    [vevent] = cal.events
    assert str(vevent["UID"]) == "climate-roundtable@weaving.example.org" and vevent["SEQUENCE"] == 0
    assert [str(a) for a in vevent.attendees] == [f"mailto:{to}"]
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert [p.get_filename() for p in zh.iter_attachments()] == ["invite.ics"]


def test_moving_the_start_sends_exactly_one_update_per_invitee_with_the_next_sequence(ws: Path) -> None:
    event_invites(auto_approve=True, workspace=str(ws))
    invitees = {str(m["X-Weaver-Key"]).split(":")[2] for m in outbox(ws)
                if str(m["X-Weaver-Key"]).startswith("invite:climate-roundtable:")}  # fmt: skip
    edit_event(ws, 2, "C", "2026-12-02 19:30")

    moved = event_invites(auto_approve=True, workspace=str(ws))
    updates = [m for m in outbox(ws) if str(m["X-Weaver-Key"]).startswith("update:")]
    assert moved["changed"] == 1 and moved["sent"]["update"] == len(updates) == len(invitees)
    assert {str(m["X-Weaver-Key"]).split(":")[2] for m in updates} == invitees
    for mail in updates:
        [vevent] = calendar_part(mail).events
        assert vevent["SEQUENCE"] == 1 and str(vevent["UID"]) == "climate-roundtable@weaving.example.org"
        assert vevent.start.strftime("%Y-%m-%d %H:%M") == "2026-12-02 19:30"
    assert moved["sent"]["invite"] == 0 and moved["chat_posts"] == 1

    again = event_invites(auto_approve=True, workspace=str(ws))
    assert again["sent"]["update"] == 0 and len([m for m in outbox(ws) if "update:" in str(m["X-Weaver-Key"])]) == len(
        invitees
    )


def test_cancelling_sends_method_cancel_to_every_invitee(ws: Path) -> None:
    first = event_invites(auto_approve=True, workspace=str(ws))
    invited = first["sent"]["invite"]
    edit_event(ws, 3, "J", "已取消")  # the open data clinic
    result = event_invites(auto_approve=True, workspace=str(ws))
    cancels = [m for m in outbox(ws) if str(m["X-Weaver-Key"]).startswith("cancel:open-data-clinic:")]
    assert result["cancelled"] == 1 and result["sent"]["cancel"] == len(cancels) > 0
    assert invited > len(cancels)  # only the clinic's invitees, not the roundtable's
    cal = calendar_part(cancels[0])
    assert cal["METHOD"] == "CANCEL" and cal.events[0]["STATUS"] == "CANCELLED" and cal.events[0]["SEQUENCE"] == 1
    feed = (ws / "calendar.ics").read_text(encoding="utf-8")
    assert "open-data-clinic@" not in feed


def test_a_decline_from_the_webhook_inbox_gives_the_seat_to_the_first_waiting(ws: Path) -> None:
    event_invites(auto_approve=True, workspace=str(ws))
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    with db.engine.connect() as conn:
        rows = conn.execute(select(event_seats).where(event_seats.c.event_id == "open-data-clinic")).all()
    seats = {r.member_id: r.seat for r in rows}
    confirmed = sorted(m for m, s in seats.items() if s == "confirmed")
    assert len(confirmed) == 12 and list(seats.values()).count("waitlisted") == 3
    decliner = confirmed[0]
    email = next(r["email"] for r in db.member_rows() if r["member_id"] == decliner)
    payload = {"form": "rsvp", "submitted_at": utcnow().isoformat(), "email": email, "name": "x",
               "answers": {"是否参加": "不参加"}, "hidden": {"event_id": "open-data-clinic"}}  # fmt: skip
    with db.begin() as conn:
        conn.execute(inbox.insert().values(id="tally:r1", provider="tally", form="rsvp", kind="rsvp", payload=payload,
                                           received_at=utcnow(), status="received", attempts=0))  # fmt: skip

    result = event_invites(auto_approve=True, workspace=str(ws))
    with db.engine.connect() as conn:
        after = {r.member_id: r.seat for r in conn.execute(select(event_seats))
                 if r.event_id == "open-data-clinic"}  # fmt: skip
        status = conn.execute(select(inbox.c.status).where(inbox.c.id == "tally:r1")).scalar_one()
    moved_up = [m for m, s in after.items() if s == "confirmed" and seats[m] == "waitlisted"]
    assert after[decliner] == "declined" and len(moved_up) == 1 and result["waitlisted"] == 2
    assert status == "processed"
    keys = [str(m["X-Weaver-Key"]) for m in outbox(ws)]
    consents = next(
        parse_consent(r["fields"].get("consent", "")) for r in db.member_rows() if r["member_id"] == moved_up[0]
    )
    told = keys.count(f"seat:open-data-clinic:{moved_up[0]}:confirmed")
    assert told == result["sent"]["seat_confirmed"] == (1 if consents else 0)  # told once, if they may be emailed


def test_dry_run_sends_records_and_writes_nothing(ws: Path) -> None:
    db_before = digest(ws / "weaver.db")
    plan = event_invites(auto_approve=True, workspace=str(ws), dry_run=True)
    assert plan["would_send"]["invite"] > 50 and plan["calendar_file"] == "would write"
    assert outbox(ws) == [] and not (ws / "calendar.ics").exists() and not (ws / "chat.log").exists()
    assert digest(ws / "weaver.db") == db_before
    assert Path(plan["previews"]).is_file()


def test_a_bad_audience_is_reported_by_cell_and_the_other_events_still_go(ws: Path) -> None:
    edit_event(ws, 2, "G", "兴越 包含 气候")
    result = event_invites(auto_approve=True, workspace=str(ws))
    assert result["rejected"] == 1
    [problem] = result["problems"]
    assert problem.startswith("Events!G2 (event climate-roundtable): 邀请对象：未知字段“兴越”（可用：兴趣, 地区, 语言")
    keys = [str(m["X-Weaver-Key"]) for m in outbox(ws)]
    assert not any(":climate-roundtable:" in k for k in keys) and any(":open-data-clinic:" in k for k in keys)


def test_one_event_with_an_audience_parameter(ws: Path) -> None:
    result = event_invites(
        auto_approve=True, workspace=str(ws), event="berlin-commons-meetup", audience="地区 属于 华东 并且 语言 是 中文"
    )
    keys = {str(m["X-Weaver-Key"]).split(":")[1] for m in outbox(ws)}
    assert keys == {"berlin-commons-meetup"} and result["sent"]["invite"] > 0
    with pytest.raises(ConfigError, match=r"parameter .audience. \(event berlin-commons-meetup\): 未知字段“regoin”"):
        event_invites(auto_approve=True, workspace=str(ws), event="berlin-commons-meetup", audience="regoin in Europe")


def _use_google(ws: Path, api: CalendarStandIn, target: bool, source: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEAVER_TEST_GCAL_TOKEN", json.dumps(api.token_info()))
    text = (ws / "weaver.toml").read_text(encoding="utf-8")
    text = text.replace('target = "file"', f'target = "{"google_calendar" if target else "file"}"')
    text = text.replace('source = "table"', f'source = "{"google_calendar" if source else "table"}"')
    text += '\n[calendar.google]\ncalendar_id = "network"\ncredentials = { env = "WEAVER_TEST_GCAL_TOKEN" }\n'
    (ws / "weaver.toml").write_text(text, encoding="utf-8")


def test_google_calendar_target_invites_attendees_and_a_rerun_changes_nothing(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with CalendarStandIn() as standin, redirect(calendar=standin.url):
        _use_google(ws, standin, target=True, source=False, monkeypatch=monkeypatch)
        first = event_invites(auto_approve=True, workspace=str(ws))
        events = standin.events("network")
        assert len(events) == 3 and standin.calls["batch"] == 1
        assert first["sent"]["invite"] == sum(len(e["attendees"]) for e in events.values()) > 50
        assert set(standin.send_updates) == {"all"}
        assert by_kind(outbox(ws))["invite"] == 0  # Google sends the invitations; our mails are reminders and seats
        calls = dict(standin.calls)
        again = event_invites(auto_approve=True, workspace=str(ws))
        assert again["sent"]["invite"] == 0 and dict(standin.calls) == calls


def test_with_a_google_target_the_gate_counts_the_invitations_google_sends(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Google mails the invitations itself: they reach members all the same, so the gate counts them."""
    import re

    from weaver.i18n import t

    with CalendarStandIn() as standin, redirect(calendar=standin.url):
        _use_google(ws, standin, target=True, source=False, monkeypatch=monkeypatch)
        plan = event_invites(workspace=str(ws), dry_run=True)
        waits = re.escape(t("approval.dry-run", "zh", n=999)).replace("999", r"(\d+)")
        match = re.fullmatch(waits, plan["approval"])
        assert match is not None and int(match[1]) > 50  # above [mail] approval_threshold: the real run waits
        assert standin.events("network") == {}  # a dry run puts nothing in the calendar


def test_google_calendar_source_follows_the_sync_token(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with CalendarStandIn() as standin, redirect(calendar=standin.url):
        _use_google(ws, standin, target=False, source=True, monkeypatch=monkeypatch)
        standin.add_event("network", {
            "id": "coordinatorsevent1", "summary": "气候沙龙", "location": "上海",
            "start": {"dateTime": "2026-12-03T19:00:00+08:00", "timeZone": "Asia/Shanghai"},
            "end": {"dateTime": "2026-12-03T21:00:00+08:00", "timeZone": "Asia/Shanghai"},
            "description": "受众：兴趣 包含 气候\n名额：30"})  # fmt: skip
        first = event_invites(auto_approve=True, workspace=str(ws))
        assert first["events"] == 1 and first["sent"]["invite"] > 0
        second = event_invites(auto_approve=True, workspace=str(ws))
        assert second["sent"]["invite"] == 0 and standin.calls["events.list"] == 2  # one full, one incremental
        standin.expire_sync_tokens()
        third = event_invites(
            auto_approve=True, workspace=str(ws)
        )  # 410: a full listing again, still nothing new to send
        assert third["events"] == 1 and third["sent"]["invite"] == 0


def test_reminders_follow_the_clock_and_the_members_nights(ws: Path) -> None:
    """The clinic starts 26 Nov 14:00 Shanghai. Time is frozen (ticking) at each moment; nobody sleeps."""
    event_invites(
        auto_approve=True, workspace=str(ws)
    )  # 24 Nov 10:00 Shanghai: invitations, and 7-day reminders to sign-ups
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    in_shanghai = {r["member_id"] for r in db.member_rows() if r["fields"].get("timezone", "") in ("", "Asia/Shanghai")}

    def shanghai_reminders(at: datetime) -> tuple[int, Counter[str]]:
        """(reminders sent in this run, to anyone; offsets of those sent to members in Shanghai)."""
        before = {str(m["X-Weaver-Key"]) for m in outbox(ws)}
        with time_machine.travel(at, tick=True):
            sent = event_invites(auto_approve=True, workspace=str(ws))["sent"]["reminder"]
        new = [str(m["X-Weaver-Key"]) for m in outbox(ws)] if sent else []
        keys = [k.split(":") for k in new if k not in before and k.startswith("reminder:open-data-clinic:")]
        return sent, Counter(offset for _r, _e, member, offset in keys if member in in_shanghai)

    _, night = shanghai_reminders(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # 23:00: the 1-day reminder is due
    assert night == Counter()  # but not at night in Shanghai (members elsewhere may get theirs)
    _, morning = shanghai_reminders(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))  # 09:00 next morning
    assert morning["1d"] > 0 and set(morning) == {"1d"}
    _, ten = shanghai_reminders(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 10:00: nothing new yet
    assert ten == Counter()
    _, noon = shanghai_reminders(datetime(2026, 11, 26, 4, 30, tzinfo=UTC))  # 12:30: two hours before
    assert noon == Counter({"2h": morning["1d"]})  # the same people, once more
    started, _ = shanghai_reminders(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))  # 15:00: it has begun
    assert started == 0


def test_a_large_send_would_wait_for_approval_unless_auto_approved(ws: Path) -> None:
    """The demo's invitations reach more members than [mail] approval_threshold (50): a dry run says the real
    run would wait for a coordinator's approval; with auto_approve it would not."""
    import re

    from weaver.i18n import t

    def pattern(key: str) -> str:
        return re.escape(t(key, "zh", n=999)).replace("999", r"\d+")

    waits = event_invites(workspace=str(ws), dry_run=True)
    assert re.fullmatch(pattern("approval.dry-run"), waits["approval"])
    free = event_invites(workspace=str(ws), dry_run=True, auto_approve=True)
    assert re.fullmatch(pattern("approval.under-threshold"), free["approval"])


def test_above_the_threshold_the_send_waits_for_approval_and_a_decline_sends_and_records_nothing(demo_ws: Path) -> None:
    """Real time here (a paused run's timeout is the server's): the demo morning comes from `as_of`."""
    ws, morning = approval_threshold_one(demo_ws), "2026-11-24 10:00"
    member_sync(workspace=str(ws))
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    paused = PausedRun("event-invites", lambda: event_invites(workspace=str(ws), as_of=morning))
    assert outbox(ws) == []  # nothing went out while waiting
    declined = paused.answer(approve=False)
    assert declined["held_messages"] > 50 and set(declined["sent"].values()) == {0}
    assert declined["calendar_file"] == "held" and declined["chat_posts"] == 0
    assert outbox(ws) == [] and not (ws / "calendar.ics").exists() and not (ws / "chat.log").exists()
    assert load_event_versions(db) == {} and load_rsvps(db) == [] and load_seats(db) == {}  # nothing recorded
    again = event_invites(workspace=str(ws), as_of=morning, auto_approve=True)  # planned again, all of it
    assert again["sent"]["invite"] > 50 and again["chat_posts"] == 3 and again["calendar_file"] == "written"


def test_a_checkin_link_from_an_invitation_fills_the_attendance_tab_once(ws: Path) -> None:
    event_invites(auto_approve=True, workspace=str(ws))
    invite = next(m for m in outbox(ws) if str(m["X-Weaver-Key"]).startswith("invite:climate-roundtable:"))
    [path] = re.findall(r"/l/checkin/[A-Za-z0-9_.-]+", invite.get_body(("plain",)).get_content())
    with TestClient(link_rig(ws).app) as client:
        assert client.post(path).status_code == 200 and client.post(path).status_code == 200  # a replay: no 2nd
    tables = build_tables(Workspace.open(ws))
    before = tables.read_tab("Attendance")
    second = event_invites(auto_approve=True, workspace=str(ws))
    after = tables.read_tab("Attendance")
    assert second["checkins"] == 1 and len(after) == len(before) + 1 and "climate-roundtable" in after[-1]
    third = event_invites(auto_approve=True, workspace=str(ws))
    assert third["checkins"] == 0 and tables.read_tab("Attendance") == after  # a rerun writes nothing
