"""stories, pure: candidates (consented harvest quotes, survey story answers), a round, the tally, the consent ask
to the most voted stories' authors, and publishing only what an author agreed to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tasks.stories.plan import consent_key, plan_stories, vote_key
from tasks.stories.read import StoriesRead
from tasks.stories.stories import candidates, tally
from weaver.config import WeaverConfig, load_config
from weaver.links import LinkSigner

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SIGNER = LinkSigner(b"a test key of the network")
PEOPLE = {"m-1": ("张伟", "zh"), "m-2": ("Ana Garcia", "en"), "m-3": ("李娜", "zh"), "m-4": ("Omar Haddad", "en")}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> WeaverConfig:
    from demo.build import create_workspace

    ws = create_workspace(tmp_path_factory.mktemp("stories") / "ws", today=date(2026, 11, 24))
    return load_config(ws / "weaver.toml")


def members() -> dict[str, dict]:
    return {m: {"member_id": m, "email": f"{m}@example.org", "fields": {"name": n, "language": lang}}
            for m, (n, lang) in PEOPLE.items()}  # fmt: skip


HARVEST = [
    {"event_id": "e1", "member_id": "m-1", "quote": "认识了做社区地图的伙伴，我们约好一起走街", "consent": "name",
     "answered_at": NOW - timedelta(days=3)},
    {"event_id": "e1", "member_id": "m-2", "quote": "Not for anyone else to read, thanks", "consent": "no",
     "answered_at": NOW - timedelta(days=3)},
    {"event_id": "e1", "member_id": "m-3", "quote": "太短", "consent": "name", "answered_at": NOW - timedelta(days=3)},
]  # fmt: skip
RESPONSES = [
    {"survey_id": "s1", "member_id": "m-4", "submitted_at": NOW - timedelta(days=2),
     "answers": {"一个值得分享的故事 A story worth sharing": "A grant we wrote together after an online talk",
                 "How connected do you feel?": "4"}},
    {"survey_id": "s1", "member_id": None, "submitted_at": NOW - timedelta(days=2),
     "answers": {"一个值得分享的故事 A story worth sharing": "Anonymous: nobody to ask, never nominated"}},
]  # fmt: skip


def found() -> list:
    return candidates(HARVEST, {"e1": "社区营造分享会"}, RESPONSES, {"s1": "Check-in"}, ("story", "故事"), 15)


def test_candidates_are_consented_quotes_and_member_story_answers() -> None:
    assert [(c.author, c.source, c.title) for c in found()] == [("m-1", "harvest", "社区营造分享会"),
                                                                ("m-4", "survey", "Check-in")]  # fmt: skip
    assert tally([{"story_id": "a"}, {"story_id": "b"}], [{"picks": ["b"]}, {"picks": ["b", "a", "zz"]}]) == [
        ("b", 2), ("a", 1)]  # fmt: skip


def test_a_round_opens_with_the_waiting_candidates_and_every_member_gets_one_vote_link(config: WeaverConfig) -> None:
    plan = plan_stories(StoriesRead(found(), [], [], {}, members()), config, NOW, SIGNER)
    assert plan.new_round is not None and plan.new_round["round_id"] == "stories-2026-11-24"
    assert {n["author"] for n in plan.new_round["nominees"]} == {"m-1", "m-4"}
    assert sorted(m.key for m in plan.messages) == [vote_key("stories-2026-11-24", m) for m in sorted(PEOPLE)]
    zh = next(m for m in plan.messages if m.member_id == "m-1")
    assert (
        zh.subject.startswith("网络里的故事") and "/l/story-vote/" in zh.text and "张伟" not in zh.text.split("：")[2]
    )
    round_ = {**plan.new_round}
    sent = {vote_key(round_["round_id"], m) for m in PEOPLE}
    again = plan_stories(StoriesRead(found(), [round_], [], {}, members(), sent), config, NOW + timedelta(days=1),
                         SIGNER)  # fmt: skip
    assert again.new_round is None and again.messages == []  # one round at a time; links go out once


def test_at_the_close_the_most_voted_authors_are_asked_and_only_a_yes_publishes(config: WeaverConfig) -> None:
    first = plan_stories(StoriesRead(found(), [], [], {}, members()), config, NOW, SIGNER)
    round_ = first.new_round
    assert round_ is not None
    ids = {n["author"]: n["story_id"] for n in round_["nominees"]}
    votes = [{"round_id": round_["round_id"], "member_id": m, "picks": [ids["m-4"]]} for m in ("m-1", "m-2")]
    votes.append({"round_id": round_["round_id"], "member_id": "m-3", "picks": [ids["m-1"]]})
    after = NOW + timedelta(days=config.stories.round_days, hours=1)
    closed = plan_stories(StoriesRead([], [round_], votes, {}, members()), config, after, SIGNER)
    view = closed.rounds[0]
    assert view.status == "closed" and view.tally == [(ids["m-4"], 2), (ids["m-1"], 1)]
    asks = {m.key: m for m in closed.messages}
    assert sorted(asks) == sorted(consent_key(ids[a]) for a in ("m-1", "m-4"))
    assert "A grant we wrote together" in asks[consent_key(ids["m-4"])].text
    assert asks[consent_key(ids["m-4"])].member_id == "m-4" and closed.published == [] and closed.news == []
    given = {ids["m-4"]: {"member_id": "m-4", "answer": "anonymous", "answered_at": after},
             ids["m-1"]: {"member_id": "m-1", "answer": "no", "answered_at": after}}  # fmt: skip
    sent = set(asks)
    done = plan_stories(StoriesRead([], [round_], votes, given, members(), sent), config, after, SIGNER)
    assert done.messages == [] and [p["text"] for p in done.published] == [
        "A grant we wrote together after an online talk"]  # fmt: skip
    [news] = done.news
    assert news.key == f"story-news:{ids['m-4']}" and news.payload["values"]["by"] == "一位成员"  # anonymous
    assert news.payload["values"]["status"] == "publish"
    forged = {ids["m-4"]: {**given[ids["m-4"]], "member_id": "m-2"}}  # not the author's own answer
    assert plan_stories(StoriesRead([], [round_], votes, forged, members(), sent), config, after,
                        SIGNER).published == []  # fmt: skip
