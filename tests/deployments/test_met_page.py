"""The "did you meet?" page: a yes makes a confirmed meeting tie once; forged, foreign or replayed tokens do nothing."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tasks.common.ties import load_ties, met_scope, reoffers, save_ties, tie
from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.links import uses_of

NOW = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)  # 01:30 on 9 December in Shanghai, the demo network's zone
REF = "intro:m-new:m-vet"


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    rig = link_rig(demo_ws, clock=lambda: NOW)
    people = [("m-new", "张伟", "zh"), ("m-vet", "Ana Garcia", "en"), ("m-other", "李娜", "zh")]
    save_members(rig.db, [{"member_id": m, "email": f"{m}@example.org", "fields_hash": m,
                           "fields": {"name": n, "email": f"{m}@example.org", "language": lang}}
                          for m, n, lang in people], [])  # fmt: skip
    save_ties(rig.db, [tie("m-new", "m-vet", "introduction", REF, date(2026, 11, 20))])
    yield rig


def meetings(rig: LinkRig) -> list:
    return [x for x in load_ties(rig.db) if x.source == "meeting"]


def test_a_yes_records_a_confirmed_meeting_once_and_a_replay_changes_nothing(rig: LinkRig) -> None:
    url = f"/l/met/{rig.token('met', 'm-new', met_scope('yes', REF))}"
    with TestClient(rig.app) as client:
        shown = client.get(url)
        assert shown.status_code == 200 and "Ana Garcia" in shown.text and 'method="post"' in shown.text
        assert meetings(rig) == []  # opening the link (or a mail scanner doing so) records nothing
        first = client.post(url)
        again = client.post(url)
        later = client.get(url)
    assert first.status_code == 200 and "我们已记下您和Ana Garcia见过面" in first.text
    assert [(x.a, x.b, x.source, x.ref, x.met_on) for x in meetings(rig)] == [
        ("m-new", "m-vet", "meeting", REF, date(2026, 12, 9))  # the day of the answer in the network's zone
    ]
    assert "之前已经记录" in again.text and "之前已经记录" in later.text and 'method="post"' not in later.text
    assert len(meetings(rig)) == 1 and len(uses_of(rig.db, "met")) == 1


def test_forged_foreign_wrong_purpose_and_misused_tokens_never_confirm_a_meeting(rig: LinkRig) -> None:
    good = rig.token("met", "m-new", met_scope("yes", REF))
    bad = {
        "forged": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "foreign": LinkSigner(b"another network's own key").token("met", "m-new", met_scope("yes", REF)),
        "purpose": rig.token("unsubscribe", "m-new", met_scope("yes", REF)),
        "not one of the pair": rig.token("met", "m-other", met_scope("yes", REF)),
        "no such introduction": rig.token("met", "m-new", met_scope("yes", "intro:m-new:m-other")),
        "not an answer": rig.token("met", "m-new", f"maybe|{REF}"),
    }
    with TestClient(rig.app) as client:
        for case, token in bad.items():
            for answer in (client.get(f"/l/met/{token}"), client.post(f"/l/met/{token}")):
                assert answer.status_code == 403, case
                assert "链接无效" in answer.text and "Ana Garcia" not in answer.text, case
    assert meetings(rig) == [] and uses_of(rig.db, "met") == []


def test_not_yet_is_offered_once_more_until_a_meeting_is_confirmed(rig: LinkRig) -> None:
    with TestClient(rig.app) as client:
        answer = client.post(f"/l/met/{rig.token('met', 'm-new', met_scope('not-yet', REF))}")
        assert answer.status_code == 200 and "再为您和Ana Garcia牵线一次" in answer.text
        assert [x.ref for x in reoffers(uses_of(rig.db, "met"), load_ties(rig.db))] == [REF]
        assert meetings(rig) == []
        client.post(f"/l/met/{rig.token('met', 'm-new', met_scope('yes', REF))}")
    assert reoffers(uses_of(rig.db, "met"), load_ties(rig.db)) == []  # they met after all: nothing to offer


def test_chromium_shows_the_question_in_the_members_language(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        page = dump_dom(f"{base}/l/met/{rig.token('met', 'm-new', met_scope('yes', REF))}")
        english = dump_dom(f"{base}/l/met/{rig.token('met', 'm-vet', met_scope('not-yet', REF))}")
    assert 'lang="zh-Hans"' in page and "您和Ana Garcia见面了吗" in page and "是的，我们见过面了" in page
    assert 'lang="en"' in english and "Did you meet 张伟?" in english and "Not yet" in english
