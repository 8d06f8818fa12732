"""Google Calendar v3 through the real google-api-python-client, against the loopback stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from connectors.calendar import GoogleCalendar, SyncTokenExpired, google_event_id, user_credentials
from connectors.retry import RetryPolicy
from tests.standins.calendar import CalendarStandIn
from weaver.config import parse_config
from weaver.errors import ConfigError, FatalError

CAL = "network@group.calendar.google.com"


@pytest.fixture
def standin() -> Iterator[CalendarStandIn]:
    with CalendarStandIn() as api:
        yield api


@pytest.fixture
def calendar(standin: CalendarStandIn) -> GoogleCalendar:
    return connect(standin)


def connect(standin: CalendarStandIn, sleeps: list[float] | None = None, attempts: int = 4) -> GoogleCalendar:
    creds = user_credentials(json.dumps(standin.token_info()), "test")
    pause = sleeps.append if sleeps is not None else (lambda _s: None)
    policy = RetryPolicy(attempts=attempts, sleep=pause, rand=lambda: 0.0)
    return GoogleCalendar(creds, CAL, base_url=standin.url, policy=policy)


def body(event_id: str, place: str = "线上", **extra: object) -> dict[str, object]:
    return {"id": google_event_id(event_id), "summary": "气候圆桌", "location": place,
            "start": {"dateTime": "2026-12-01T19:00:00+08:00", "timeZone": "Asia/Shanghai"},
            "end": {"dateTime": "2026-12-01T21:00:00+08:00", "timeZone": "Asia/Shanghai"},
            "attendees": [{"email": "zhang.wei@example.cn"}], **extra}  # fmt: skip


def test_event_ids_are_base32hex_and_stable() -> None:
    gid = google_event_id("climate-roundtable")
    assert gid == google_event_id("climate-roundtable") != google_event_id("other")
    assert 5 <= len(gid) <= 1024 and set(gid) <= set("0123456789abcdefghijklmnopqrstuv")


def test_events_go_in_one_batch_with_send_updates_and_a_repeat_is_done(calendar: GoogleCalendar,
                                                                        standin: CalendarStandIn) -> None:  # fmt: skip
    first = calendar.put_events([body("a"), body("b")], "all")
    assert [o.detail for o in first] == ["created", "created"]
    assert standin.calls["batch"] == 1 and standin.calls["events.insert"] == 2  # two calls in one request
    assert standin.calls["oauth.token"] == 1  # a real OAuth refresh, once
    again = calendar.put_events([body("a"), body("b")], "all")  # a retry after a crash: 409, then a patch
    assert all(o.ok for o in again) and [o.detail for o in again] == ["updated", "updated"]
    assert len(standin.events(CAL)) == 2
    assert set(standin.send_updates) == {"all"}


def test_a_changed_place_is_patched_onto_the_same_event(calendar: GoogleCalendar, standin: CalendarStandIn) -> None:
    calendar.put_events([body("a")], "all")
    calendar.put_events([body("a", place="北京")], "all")
    stored = standin.events(CAL)[google_event_id("a")]
    assert stored["location"] == "北京" and stored["sequence"] == 1


def test_a_429_on_the_batch_is_retried_after_retry_after_without_real_sleeping(standin: CalendarStandIn) -> None:
    sleeps: list[float] = []
    calendar = connect(standin, sleeps)
    standin.fail("batch", 429, retry_after="7")
    assert [o.ok for o in calendar.put_events([body("a")], "none")] == [True]
    assert sleeps == [7.0] and standin.calls["batch"] == 2


def test_only_the_parts_that_got_429_go_again(standin: CalendarStandIn) -> None:
    sleeps: list[float] = []
    calendar = connect(standin, sleeps)
    standin.fail("events.insert", 429, retry_after="3")  # the first part of the batch
    outcomes = calendar.put_events([body("a"), body("b"), body("c")], "all")
    assert [o.detail for o in outcomes] == ["created"] * 3
    assert sleeps == [3.0] and standin.calls["batch"] == 2 and standin.calls["events.insert"] == 4


def test_retries_are_bounded(standin: CalendarStandIn) -> None:
    sleeps: list[float] = []
    calendar = connect(standin, sleeps, attempts=4)
    standin.fail("batch", 503, times=None)
    [outcome] = calendar.put_events([body("a")], "all")
    assert not outcome.ok and outcome.retry and "503" in outcome.detail
    assert len(sleeps) == 3 and standin.calls["batch"] == 4


def test_listing_pages_then_follows_the_sync_token(calendar: GoogleCalendar, standin: CalendarStandIn) -> None:
    for name in ("a", "b", "c"):
        standin.add_event(CAL, body(name))
    full = calendar.list_events(page_size=2)
    assert len(full.items) == 3 and full.sync_token and standin.calls["events.list"] == 2
    calendar.put_events([body("b", place="北京")], "none")
    changes = calendar.list_events(full.sync_token)
    assert [i["location"] for i in changes.items] == ["北京"]


def test_a_stale_sync_token_asks_for_a_full_listing(calendar: GoogleCalendar, standin: CalendarStandIn) -> None:
    standin.add_event(CAL, body("a"))
    token = calendar.list_events().sync_token
    standin.expire_sync_tokens()
    with pytest.raises(SyncTokenExpired):
        calendar.list_events(token)


def test_a_refused_request_is_fatal_with_no_body_in_the_message(calendar: GoogleCalendar) -> None:
    bad = body("a")
    bad["id"] = "NOT_BASE32"  # 400 from the server
    [outcome] = calendar.put_events([bad], "all")
    assert not outcome.ok and not outcome.retry and outcome.detail == "Google Calendar answered 400 (invalid)"
    assert "zhang.wei" not in outcome.detail


def test_a_service_account_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigError, match="domain-wide delegation"):
        user_credentials(json.dumps({"type": "service_account", "client_email": "x@y.iam"}), "weaver.toml")
    with pytest.raises(ConfigError, match=r"\[calendar.google\] key 'auth': a service account cannot invite"):
        parse_config({"tables": {"path": "x.xlsx"}, "calendar": {"target": "google_calendar", "google": {
            "auth": "service_account", "credentials": {"env": "TOKEN"}}}})  # fmt: skip


def test_a_token_that_is_not_a_user_token_names_what_is_missing() -> None:
    with pytest.raises(ConfigError, match="not an OAuth user token: it lacks 'client_secret', 'refresh_token'"):
        user_credentials(json.dumps({"type": "authorized_user", "client_id": "x"}), "weaver.toml")


def test_a_revoked_token_is_fatal(standin: CalendarStandIn) -> None:
    revoked = {**standin.token_info(), "refresh_token": "1//revoked"}
    calendar = GoogleCalendar(user_credentials(json.dumps(revoked), "test"), "primary", base_url=standin.url)
    with pytest.raises(FatalError, match="OAuth token was refused"):
        calendar.list_events()
