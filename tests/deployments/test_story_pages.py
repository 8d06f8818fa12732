"""The story pages: one vote per member and round, one answer per author; forged, foreign, replayed or uninvited
tokens never vote or consent; stories carry no author's name on the vote page. Checked in headless Chromium."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tasks.stories.plan import consent_key, vote_key
from tasks.stories.stories import FLOW
from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.ledger import Action, Ledger, Outcome
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.stories import consents, save_round, votes

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ROUND = "stories-2026-11-20"
NOMINEES = [
    {"story_id": "s-aaa", "author": "m-author", "text": "我们把老院子改成了邻里共享空间", "source": "survey",
     "title": "年度问卷 Check-in"},
    {"story_id": "s-bbb", "author": "m-en", "text": "Our small-donor income doubled", "source": "harvest",
     "title": "Placemaking"},
]  # fmt: skip


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    rig = link_rig(demo_ws, clock=lambda: NOW)
    people = [("m-author", "张伟", "zh"), ("m-en", "Ana Garcia", "en"), ("m-late", "李娜", "zh")]
    save_members(rig.db, [{"member_id": m, "email": f"{m}@example.org", "fields_hash": m,
                           "fields": {"name": n, "email": f"{m}@example.org", "language": lang}}
                          for m, n, lang in people], [])  # fmt: skip
    save_round(rig.db, ROUND, NOW - timedelta(days=4), NOW + timedelta(days=3), 1, NOMINEES)
    sent = [vote_key(ROUND, m) for m in ("m-author", "m-en")] + [consent_key("s-aaa")]
    Ledger(rig.db, FLOW).apply([Action(k, "email", "sent") for k in sent], lambda b: [Outcome.success() for _ in b])
    yield rig


def test_one_vote_per_member_a_get_votes_nothing_and_a_replay_changes_nothing(rig: LinkRig) -> None:
    path = f"/l/story-vote/{rig.token('story-vote', 'm-en', ROUND)}"
    with TestClient(rig.app) as client:
        shown = client.get(path)
        assert shown.status_code == 200 and "Our small-donor income doubled" in shown.text
        assert "张伟" not in shown.text and "Ana Garcia" not in shown.text  # nobody named before they agree
        assert votes(rig.db) == []
        assert client.post(path, data={"story": "s-zzz"}).status_code == 400  # not a nominee
        assert (
            client.post(
                path, content=b"story=s-aaa&story=s-bbb", headers={"content-type": "application/x-www-form-urlencoded"}
            ).status_code
            == 400
        )  # 1 pick
        first = client.post(path, data={"story": "s-bbb"})
        again = client.post(path, data={"story": "s-aaa"})
    assert first.status_code == 200 and "vote is recorded" in first.text
    assert again.status_code == 409 and 'type="checkbox"' not in again.text
    assert [(v["member_id"], v["picks"]) for v in votes(rig.db)] == [("m-en", ["s-bbb"])]


def test_only_the_author_answers_once_and_only_for_their_own_story(rig: LinkRig) -> None:
    path = f"/l/story-consent/{rig.token('story-consent', 'm-author', f'{ROUND}|s-aaa')}"
    with TestClient(rig.app) as client:
        shown = client.get(path)
        assert shown.status_code == 200 and "我们把老院子改成了邻里共享空间" in shown.text and consents(rig.db) == {}
        first = client.post(path, data={"answer": "name"})
        again = client.post(path, data={"answer": "no"})
    assert first.status_code == 200 and "署名发布" in first.text
    assert again.status_code == 409 and consents(rig.db)["s-aaa"]["answer"] == "name"


def test_forged_foreign_uninvited_and_misused_tokens_never_vote_or_consent(rig: LinkRig) -> None:
    vote = rig.token("story-vote", "m-en", ROUND)
    bad = {
        "forged vote": ("story-vote", vote[:-2] + ("AA" if not vote.endswith("AA") else "BB")),
        "foreign vote": ("story-vote", LinkSigner(b"another network's key").token("story-vote", "m-en", ROUND)),
        "never invited": ("story-vote", rig.token("story-vote", "m-late", ROUND)),
        "no such round": ("story-vote", rig.token("story-vote", "m-en", "stories-1999-01-01")),
        "wrong purpose": ("story-vote", rig.token("harvest", "m-en", ROUND)),
        "not the author": ("story-consent", rig.token("story-consent", "m-en", f"{ROUND}|s-aaa")),
        "never asked": ("story-consent", rig.token("story-consent", "m-en", f"{ROUND}|s-bbb")),
        "foreign consent": (
            "story-consent",
            LinkSigner(b"another network key").token("story-consent", "m-author", f"{ROUND}|s-aaa"),
        ),
        "vote token as consent": ("story-consent", vote),
    }
    with TestClient(rig.app) as client:
        for case, (purpose, token) in bad.items():
            form = {"story": "s-aaa", "answer": "name"}
            for answer in (client.get(f"/l/{purpose}/{token}"), client.post(f"/l/{purpose}/{token}", data=form)):
                assert answer.status_code == 403, case
                assert "链接无效" in answer.text and "老院子" not in answer.text, case
    assert votes(rig.db) == [] and consents(rig.db) == {}


def test_chromium_shows_the_vote_and_the_consent_question(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        vote = dump_dom(f"{base}/l/story-vote/{rig.token('story-vote', 'm-author', ROUND)}")
        ask = dump_dom(f"{base}/l/story-consent/{rig.token('story-consent', 'm-author', f'{ROUND}|s-aaa')}")
    assert 'lang="zh-Hans"' in vote and "您想分享哪些故事" in vote and vote.count('type="checkbox"') == 2
    assert "我们可以发布您的故事吗" in ask and "可以，但请匿名" in ask and ask.count('name="answer"') == 3
