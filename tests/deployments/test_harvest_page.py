"""The harvest page: one answer per attendee and event; a GET records nothing; forged, foreign, replayed or
unthanked tokens record nothing; after the close it takes no answer. Checked in headless Chromium too."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tasks.harvest.harvest import FLOW, thanks_key
from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.ledger import Action, Ledger, Outcome
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.harvest import answers_for, save_harvest_events

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
EVENT = "placemaking"
ANSWER = {"quote": "见到了做社区地图的伙伴", "tag": "connection", "rating": "5", "consent": "name"}


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    clock = {"now": NOW}
    rig = link_rig(demo_ws, clock=lambda: clock["now"])
    rig.clock = clock  # type: ignore[attr-defined]
    people = [("m-came", "张伟", "zh"), ("m-en", "Ana Garcia", "en"), ("m-away", "李娜", "zh")]
    save_members(rig.db, [{"member_id": m, "email": f"{m}@example.org", "fields_hash": m,
                           "fields": {"name": n, "email": f"{m}@example.org", "language": lang}}
                          for m, n, lang in people], [])  # fmt: skip
    start = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    save_harvest_events(rig.db, [{"event_id": EVENT, "title": "社区营造分享会 · Placemaking", "starts_at": start,
                                  "ends_at": start + timedelta(hours=2), "closes_at": start + timedelta(days=21),
                                  "timezone": "Asia/Shanghai", "opened_at": NOW}])  # fmt: skip
    thanked = [Action(thanks_key(EVENT, m), "email", "thanks") for m in ("m-came", "m-en")]
    Ledger(rig.db, FLOW).apply(thanked, lambda batch: [Outcome.success() for _ in batch])
    yield rig


def url(rig: LinkRig, member: str, event: str = EVENT) -> str:
    return f"/l/harvest/{rig.token('harvest', member, event)}"


def test_one_answer_is_recorded_a_get_records_nothing_and_a_replay_changes_nothing(rig: LinkRig) -> None:
    with TestClient(rig.app) as client:
        shown = client.get(url(rig, "m-came"))
        assert shown.status_code == 200 and 'method="post"' in shown.text and "社区营造分享会" in shown.text
        assert answers_for(rig.db, [EVENT]) == []
        bad = client.post(url(rig, "m-came"), data={**ANSWER, "tag": "gossip"})
        assert bad.status_code == 400 and answers_for(rig.db, [EVENT]) == []
        assert "见到了做社区地图的伙伴" in bad.text  # what they wrote is kept in the form
        first = client.post(url(rig, "m-came"), data=ANSWER)
        again = client.post(url(rig, "m-came"), data={**ANSWER, "quote": "something else"})
        later = client.get(url(rig, "m-came"))
    assert first.status_code == 200 and "回答已记录" in first.text
    assert "之前已经记录" in again.text and "之前已经记录" in later.text and 'method="post"' not in later.text
    [saved] = answers_for(rig.db, [EVENT])
    assert (saved["member_id"], saved["quote"], saved["tag"], saved["rating"], saved["consent"]) == (
        "m-came", "见到了做社区地图的伙伴", "connection", 5, "name")  # fmt: skip


def test_forged_foreign_wrong_purpose_and_unthanked_tokens_record_nothing(rig: LinkRig) -> None:
    good = rig.token("harvest", "m-came", EVENT)
    bad = {
        "forged": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "foreign": LinkSigner(b"another network's own key").token("harvest", "m-came", EVENT),
        "purpose": rig.token("checkin", "m-came", EVENT),
        "never thanked (did not come)": rig.token("harvest", "m-away", EVENT),
        "another event": rig.token("harvest", "m-came", "another-event"),
        "no event": rig.token("harvest", "m-came", ""),
    }
    with TestClient(rig.app) as client:
        for case, token in bad.items():
            for answer in (client.get(f"/l/harvest/{token}"), client.post(f"/l/harvest/{token}", data=ANSWER)):
                assert answer.status_code == 403, case
                assert "链接无效" in answer.text and "社区营造分享会" not in answer.text, case
    assert answers_for(rig.db, [EVENT, "another-event"]) == []


def test_after_the_close_the_page_takes_no_answer(rig: LinkRig) -> None:
    rig.clock["now"] = NOW + timedelta(days=30)  # type: ignore[attr-defined]
    with TestClient(rig.app) as client:
        answer = client.post(url(rig, "m-en"), data=ANSWER)
    assert answer.status_code == 409 and "closed" in answer.text and answers_for(rig.db, [EVENT]) == []


def test_chromium_shows_the_form_in_the_members_language(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        zh = dump_dom(f"{base}{url(rig, 'm-came')}")
        en = dump_dom(f"{base}{url(rig, 'm-en')}")
    assert 'lang="zh-Hans"' in zh and "您有什么收获" in zh and "可以，但请匿名" in zh and "2026年11月22日" in zh
    assert 'lang="en"' in en and "What did you take away?" in en and "Yes, without my name" in en
    assert 'name="quote"' in en and en.count('name="tag"') == 5 and en.count('name="consent"') == 3
