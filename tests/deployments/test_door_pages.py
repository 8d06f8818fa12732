"""The door page (a QR code of the event's walk-in page) and walk-ins matched by email: a member checks in
once, a stranger's address checks nobody in, nothing outside the event's hours, and forged, foreign or personal
tokens do nothing. The door page and the walk-in form are checked in headless Chromium."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import segno

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from deployments.pages.door import qr_svg
from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.checkins import checkin_of, checkins_for, save_checkin_events

START = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai
EVENT = "climate-roundtable"


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    clock = {"now": START + timedelta(minutes=10)}
    rig = link_rig(demo_ws, clock=lambda: clock["now"])
    rig.clock = clock  # type: ignore[attr-defined]
    people = [("m-ana", "Ana Garcia", "ana.garcia@example.org", "en"), ("m-wei", "张伟", "zhang.wei@example.org", "zh")]
    save_members(rig.db, [{"member_id": m, "email": e, "fields_hash": m, "fields": {"name": n, "email": e,
                           "language": lang}} for m, n, e, lang in people], [])  # fmt: skip
    save_checkin_events(rig.db, [{"event_id": EVENT, "title": "气候行动圆桌 · Climate Action Roundtable",
                                  "starts_at": START, "ends_at": START + timedelta(hours=2),
                                  "timezone": "Asia/Shanghai", "status": "scheduled"},
                                 {"event_id": "called-off", "title": "Called off", "starts_at": START,
                                  "ends_at": START + timedelta(hours=2), "timezone": "Asia/Shanghai",
                                  "status": "cancelled"}])  # fmt: skip
    yield rig


def door(rig: LinkRig, event: str = EVENT) -> str:
    return f"/l/door/{rig.token('door', 'door', event)}"


def walkin_path(page: str) -> str:
    return re.search(r"/l/walkin/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", page)[0]  # type: ignore[index]


def test_the_door_shows_the_qr_code_of_the_walk_in_page(rig: LinkRig) -> None:
    with TestClient(rig.app) as client:
        page = client.get(door(rig)).text
    url = re.search(r"https?://\S+/l/walkin/[A-Za-z0-9_.-]+", page)[0]  # type: ignore[index]
    assert "<svg" in page and qr_svg(url).split(">", 1)[1][:400] in page  # the code of exactly that address
    assert segno.make(url, error="m").designator.endswith("-M")


def test_a_walk_in_member_checks_in_once_by_email_and_a_stranger_checks_in_nobody(rig: LinkRig) -> None:
    with TestClient(rig.app) as client:
        path = walkin_path(client.get(door(rig)).text)
        assert client.get(path).status_code == 200 and checkins_for(rig.db, [EVENT]) == []
        stranger = client.post(path, data={"email": "someone@else.org"}, params={"lang": "en"})
        assert stranger.status_code == 200 and checkins_for(rig.db, [EVENT]) == []
        first = client.post(path, data={"email": "  Ana.Garcia@Example.org "}, params={"lang": "en"})
        again = client.post(path, data={"email": "ana.garcia@example.org"}, params={"lang": "en"})
    # one answer for all: the page never tells who is a member, nor shows a member's name to whoever typed it
    assert first.text == again.text == stranger.text and "Ana" not in first.text and "if this is a member" in first.text
    assert [c["member_id"] for c in checkins_for(rig.db, [EVENT])] == ["m-ana"]
    assert checkin_of(rig.db, EVENT, "m-ana")["written_at"] is None  # event-invites writes it to the tab next


def test_no_walk_in_outside_the_events_hours(rig: LinkRig) -> None:
    with TestClient(rig.app) as client:
        path = walkin_path(client.get(door(rig)).text)
        rig.clock["now"] = START + timedelta(hours=5)  # type: ignore[attr-defined]
        late = client.post(path, data={"email": "ana.garcia@example.org"})
    assert late.status_code == 409 and checkins_for(rig.db, [EVENT]) == []


def test_forged_foreign_personal_and_cancelled_tokens_check_nobody_in(rig: LinkRig) -> None:
    good = rig.token("walkin", "door", EVENT)
    bad = {
        "forged": ("walkin", good[:-2] + ("AA" if not good.endswith("AA") else "BB")),
        "foreign": ("walkin", LinkSigner(b"another network's own key").token("walkin", "door", EVENT)),
        "a member's, not the door's": ("walkin", rig.token("walkin", "m-ana", EVENT)),
        "cancelled": ("walkin", rig.token("walkin", "door", "called-off")),
        "unknown event": ("walkin", rig.token("walkin", "door", "no-such-event")),
        "a check-in token": ("walkin", rig.token("checkin", "m-ana", EVENT)),
        "door of a cancelled event": ("door", rig.token("door", "door", "called-off")),
    }
    with TestClient(rig.app) as client:
        for case, (purpose, token) in bad.items():
            for answer in (client.get(f"/l/{purpose}/{token}"),
                           client.post(f"/l/{purpose}/{token}", data={"email": "ana.garcia@example.org"})):  # fmt: skip
                assert answer.status_code == 403, case
    assert checkins_for(rig.db, [EVENT, "called-off"]) == []


def test_chromium_shows_the_door_and_the_walk_in_form(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        page = dump_dom(f"{base}{door(rig)}")
        form = dump_dom(f"{base}{walkin_path(page)}")
    assert 'lang="zh-Hans"' in page and "扫描二维码" in page and "<svg" in page and "qrline" in page
    assert 'name="email"' in form and "用您的邮箱签到" not in form and "仅限成员" in form


def test_weaver_door_link_prints_the_door_page_of_an_invited_event(rig: LinkRig) -> None:
    from typer.testing import CliRunner

    from deployments.cli import app

    runner = CliRunner()
    printed = runner.invoke(app, ["door-link", EVENT, "-c", str(rig.ws.root)])
    assert printed.exit_code == 0, printed.output
    token = printed.output.strip().rsplit("/l/door/", 1)[1]
    with TestClient(rig.app) as client:
        assert "<svg" in client.get(f"/l/door/{token}").text
    refused = runner.invoke(app, ["door-link", "called-off", "-c", str(rig.ws.root)])
    assert refused.exit_code != 0 and "called-off" in refused.output
