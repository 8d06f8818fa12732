"""iCalendar output parsed back with icalendar: UIDs, attendees, zones across DST, and the subscribable feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from tasks.common.audience import parse_audience
from tasks.events.calendar import (
    Deadline,
    Person,
    Published,
    calendar_feed,
    event_uid,
    invitation_ics,
    parse_deadlines,
    same_calendar,
)
from tasks.events.events import Event

BERLIN, SHANGHAI = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Shanghai")
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ORGANIZER = Person("hello@weaving.example.org", "示范网络")
ZHANG = Person("zhang.wei@example.cn", "张伟")


def event(event_id: str, start: datetime, place: str = "线上 https://meet.example.org/x") -> Event:
    return Event(2, event_id, "气候圆桌 Climate Roundtable", start, start + timedelta(hours=2), str(start.tzinfo),
                 place, parse_audience(""), None, "", "scheduled", "带上问题，一起讨论。")  # fmt: skip


def parsed(text: str) -> Calendar:
    return Calendar.from_ical(text)


def test_an_invitation_keeps_uid_attendee_and_time_zone() -> None:
    ev = event("climate", datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI))
    uid = event_uid("climate", "weaving.example.org")
    cal = parsed(invitation_ics(ev, "REQUEST", 0, uid, ORGANIZER, ZHANG, STAMP))
    assert cal["METHOD"] == "REQUEST"
    [vevent] = cal.events
    assert str(vevent["UID"]) == "climate@weaving.example.org"
    assert vevent["SEQUENCE"] == 0
    assert vevent.start == datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    [attendee] = vevent.attendees  # only the member it is sent to, never the other invitees
    assert str(attendee) == "mailto:zhang.wei@example.cn" and attendee.params["CN"] == "张伟"
    assert attendee.params["RSVP"] == "TRUE" and str(vevent["ORGANIZER"]) == "mailto:hello@weaving.example.org"
    assert str(vevent["DESCRIPTION"]) == "带上问题，一起讨论。"


def test_berlin_times_survive_the_dst_change() -> None:
    before = event("winter", datetime(2026, 3, 28, 10, 0, tzinfo=BERLIN))  # CET, UTC+1
    after = event("summer", datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN))  # CEST, UTC+2
    for ev, offset in ((before, 1), (after, 2)):
        cal = parsed(invitation_ics(ev, "REQUEST", 3, event_uid(ev.event_id, "x.org"), ORGANIZER, ZHANG, STAMP))
        start = cal.events[0].start
        assert start.tzinfo is not None and start.utcoffset() == timedelta(hours=offset)
        assert start.astimezone(UTC) == ev.start.astimezone(UTC)
        zone = cal.walk("VTIMEZONE")[0]
        assert zone["TZID"] == "Europe/Berlin"
        assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}  # the rules a client needs


def test_a_cancellation_uses_method_cancel_and_the_higher_sequence() -> None:
    ev = event("climate", datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI))
    uid = event_uid("climate", "weaving.example.org")
    cal = parsed(invitation_ics(ev, "CANCEL", 2, uid, ORGANIZER, ZHANG, STAMP))
    assert cal["METHOD"] == "CANCEL"
    assert (cal.events[0]["STATUS"], cal.events[0]["SEQUENCE"], str(cal.events[0]["UID"])) == ("CANCELLED", 2, uid)


def test_a_chinese_event_id_still_gives_an_ascii_uid_that_never_changes() -> None:
    assert event_uid("气候圆桌", "x.org") == event_uid("气候圆桌", "x.org")
    assert event_uid("气候圆桌", "x.org").isascii()


def test_the_feed_is_a_subscribable_calendar_without_personal_data() -> None:
    items = [Published(event("climate", datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)), 1, STAMP),
             Published(event("berlin", datetime(2026, 12, 14, 18, 30, tzinfo=BERLIN), "Berlin"), 0, STAMP)]  # fmt: skip
    deadline = Deadline(2, "社区基金 Community Fund", "Green Foundation", date(2026, 12, 20), "https://f.example.org")
    text = calendar_feed(items, [deadline], "示范网络 Demo", "Asia/Shanghai", "weaving.example.org", STAMP, "截止")
    cal = parsed(text)
    assert (cal["METHOD"], cal["X-WR-CALNAME"], cal["VERSION"]) == ("PUBLISH", "示范网络 Demo", "2.0")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT6H" in text
    assert sorted(tz["TZID"] for tz in cal.walk("VTIMEZONE")) == ["Asia/Shanghai", "Europe/Berlin"]
    summaries = [str(e["SUMMARY"]) for e in cal.events]
    assert summaries == ["气候圆桌 Climate Roundtable", "气候圆桌 Climate Roundtable",
                         "截止: 社区基金 Community Fund (Green Foundation)"]  # fmt: skip
    assert all("UID" in e and "DTSTAMP" in e for e in cal.events)
    assert cal.events[2].start == date(2026, 12, 20)  # all day
    assert "ATTENDEE" not in text and "ORGANIZER" not in text


def test_a_row_repeated_on_a_tab_or_across_tabs_is_one_vevent() -> None:
    climate = Published(event("climate", datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)), 1, STAMP)
    fund = Deadline(2, "社区基金 Community Fund", "Green Foundation", date(2026, 12, 20), "https://f.example.org")
    again = Deadline(7, "社区基金  community fund", "GREEN FOUNDATION", date(2026, 12, 20), "")  # a near-duplicate
    other = Deadline(9, "社区基金 Community Fund", "Green Foundation", date(2027, 1, 20), "")  # another round
    cal = parsed(calendar_feed([climate, climate], [fund, again, fund, other], "N", "Asia/Shanghai", "x.org", STAMP,
                               "截止"))  # fmt: skip
    uids = [str(e["UID"]) for e in cal.events]
    assert len(uids) == len(set(uids)) == 3
    assert [e.start for e in cal.events if "deadline" in str(e["UID"])] == [date(2026, 12, 20), date(2027, 1, 20)]


def test_an_unchanged_feed_is_recognised_despite_a_new_stamp() -> None:
    items = [Published(event("climate", datetime(2026, 12, 1, 19, 0, tzinfo=SHANGHAI)), 0, STAMP)]
    one = calendar_feed(items, [], "N", "Asia/Shanghai", "x.org", STAMP, "截止").encode()
    two = calendar_feed(items, [], "N", "Asia/Shanghai", "x.org", STAMP + timedelta(days=1), "截止").encode()
    moved = [Published(event("climate", datetime(2026, 12, 2, 19, 0, tzinfo=SHANGHAI)), 1, STAMP)]
    three = calendar_feed(moved, [], "N", "Asia/Shanghai", "x.org", STAMP, "截止").encode()
    assert same_calendar(one, two) and not same_calendar(one, three)


def test_deadlines_of_open_opportunities_come_from_the_grant_pipelines_columns() -> None:
    grid = [["资助方", "项目名称", "阶段", "截止日期", "链接"],
            ["Green Fund", "社区基金", "撰写中", "2026年12月20日", ""],
            ["Old Fund", "Past call", "", "2026-01-01", ""],
            ["Blue Fund", "Already sent", "submitted", "2026-12-21", ""],
            ["", "No date", "", "", ""]]  # fmt: skip
    columns = {"funder": "资助方", "title": "项目名称", "stage": "阶段", "deadline": "截止日期", "link": "链接"}
    found = parse_deadlines(grid, date(2026, 11, 24), columns)
    assert [(d.title, d.funder, d.day) for d in found] == [("社区基金", "Green Fund", date(2026, 12, 20))]
    english = [["funder", "title", "deadline"], ["F", "Call", "2026-12-01"]]
    assert [d.title for d in parse_deadlines(english, date(2026, 11, 24))] == ["Call"]
