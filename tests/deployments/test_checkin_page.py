"""The check-in page: one click checks an invitee in once; forged, foreign, replayed or misused tokens never do."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.ledger import Action, Ledger, Outcome
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.checkins import event_checkins, pending_checkins, save_checkin_events

NOW = datetime(2026, 12, 8, 2, 15, tzinfo=UTC)  # 10:15 in Shanghai, during the event
START, END = datetime(2026, 12, 8, 1, 0, tzinfo=UTC), datetime(2026, 12, 8, 4, 0, tzinfo=UTC)


def events_row(event_id: str, title: str, status: str = "scheduled") -> dict:
    return {"event_id": event_id, "title": title, "starts_at": START, "ends_at": END, "timezone": "Asia/Shanghai",
            "status": status}  # fmt: skip


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    rig = link_rig(demo_ws, clock=lambda: NOW)
    people = [("m-zh", "张伟", "zh"), ("m-en", "Ana Garcia", "en"), ("m-other", "李娜", "zh")]
    save_members(rig.db, [{"member_id": m, "email": f"{m}@example.org", "fields_hash": m,
                           "fields": {"name": n, "email": f"{m}@example.org", "language": lang}}
                          for m, n, lang in people], [])  # fmt: skip
    save_checkin_events(rig.db, [events_row("ev-a", "气候行动工作坊"), events_row("ev-b", "Other event"),
                                 events_row("ev-x", "Called off", "cancelled")])  # fmt: skip
    invited = [("ev-a", "m-zh"), ("ev-a", "m-en"), ("ev-b", "m-other"), ("ev-x", "m-zh")]
    actions = [Action(f"invite:{e}:{m}:seq0", "email", "invite") for e, m in invited]
    Ledger(rig.db, "event-invites").apply(actions, lambda batch: [Outcome.success() for _ in batch])
    yield rig


def checkins(rig: LinkRig) -> list[tuple[str, str]]:
    with rig.db.engine.connect() as conn:
        return sorted((r.event_id, r.member_id) for r in conn.execute(event_checkins.select()))


def test_one_click_checks_in_once_and_a_replay_says_already_checked_in(rig: LinkRig) -> None:
    url = f"/l/checkin/{rig.token('checkin', 'm-zh', 'ev-a')}"
    with TestClient(rig.app) as client:
        shown = client.get(url)
        assert shown.status_code == 200 and "气候行动工作坊" in shown.text and 'method="post"' in shown.text
        assert checkins(rig) == []  # opening the link (or a mail scanner doing so) checks nobody in
        first = client.post(url)
        again = client.post(url)
        later = client.get(url)
    assert first.status_code == 200 and "您已签到「气候行动工作坊」" in first.text
    assert checkins(rig) == [("ev-a", "m-zh")]
    assert [p["checked_in_at"] for p in pending_checkins(rig.db)] == [NOW]  # recorded at once, in state
    assert "已经签到过" in again.text and "已经签到过" in later.text and 'method="post"' not in later.text


def test_forged_foreign_wrong_purpose_and_misused_tokens_never_check_anyone_in(rig: LinkRig) -> None:
    good = rig.token("checkin", "m-zh", "ev-a")
    bad = {
        "forged": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "foreign": LinkSigner(b"another network's own key").token("checkin", "m-zh", "ev-a"),
        "purpose": rig.token("met", "m-zh", "ev-a"),
        "another event (not invited to it)": rig.token("checkin", "m-zh", "ev-b"),
        "not invited": rig.token("checkin", "m-other", "ev-a"),
        "cancelled event": rig.token("checkin", "m-zh", "ev-x"),
        "unknown event": rig.token("checkin", "m-zh", "ev-nope"),
        "no event": rig.token("checkin", "m-zh", ""),
    }
    with TestClient(rig.app) as client:
        for case, token in bad.items():
            for answer in (client.get(f"/l/checkin/{token}"), client.post(f"/l/checkin/{token}")):
                assert answer.status_code == 403, case
                assert "链接无效" in answer.text and "气候行动工作坊" not in answer.text, case
    assert checkins(rig) == []


def test_chromium_shows_the_event_and_the_button_in_the_members_language(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        chinese = dump_dom(f"{base}/l/checkin/{rig.token('checkin', 'm-zh', 'ev-a')}")
        english = dump_dom(f"{base}/l/checkin/{rig.token('checkin', 'm-en', 'ev-a')}")
    assert 'lang="zh-Hans"' in chinese and "签到：气候行动工作坊" in chinese and "我要签到" in chinese
    assert 'lang="en"' in english and "Check in: 气候行动工作坊" in english and "Check me in" in english
    assert checkins(rig) == []
