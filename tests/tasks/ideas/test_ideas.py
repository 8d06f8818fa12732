"""event ideas without Prefect: the Ideas tab, the dot budget per member, the ranking, the draft events; the
dot-vote page (budget enforced, changeable until the close, forged and foreign tokens refused) in Chromium."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tasks.ideas.ideas import DotError, Idea, allocation, parse_ideas, rank
from tasks.ideas.plan import plan_ideas
from tests.browser import dump_dom
from tests.pages import link_rig, serving
from weaver.config import IdeasConfig, WeaverConfig, parse_config
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.ideas import dots_of, save_idea_round

IDEAS = [Idea(2, "walk", "River walk"), Idea(3, "sprint", "Data sprint"), Idea(4, "story", "Story night")]


def config(**ideas: Any) -> WeaverConfig:
    base = {"round": "r1", "opens": "2026-11-01", "closes": "2026-11-20", "dots": 3, "shortlist": 2}
    return parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"},
                         "network": {"name": "Net", "timezone": "Asia/Shanghai"}, "ideas": base | ideas})  # fmt: skip


def test_the_dot_budget_per_member_is_enforced() -> None:
    ids = ["walk", "sprint", "story"]
    assert allocation({"dots-walk": "2", "dots-sprint": "1", "dots-story": "0"}, ids, 3) == {"walk": 2, "sprint": 1}
    assert allocation({"dots-walk": "3"}, ids, 3) == {"walk": 3}  # stacking is allowed
    for form, code in (({"dots-walk": "2", "dots-sprint": "2"}, "over_budget"), ({"dots-walk": "-1"}, "not_a_number"),
                       ({"dots-walk": "1.5"}, "not_a_number"), ({"dots-elsewhere": "1"}, "unknown_idea")):  # fmt: skip
        with pytest.raises(DotError) as err:
            allocation(form, ids, 3)
        assert err.value.code == code


def test_ideas_rank_by_dots_then_voters_and_an_over_budget_allocation_counts_for_nothing() -> None:
    votes = [{"walk": 3}, {"sprint": 1, "story": 2}, {"sprint": 2}, {"story": 9}]
    ranked = rank(IDEAS, votes, 3)
    assert [(r.idea.idea_id, r.dots, r.voters) for r in ranked] == [("sprint", 3, 2), ("walk", 3, 1), ("story", 2, 1)]


def test_the_shortlist_becomes_draft_events_after_the_close_and_invitations_go_while_open() -> None:
    members = [{"member_id": f"m{i}", "email": f"m{i}@example.org", "fields": {"name": f"M{i}", "language": "en"}}
               for i in range(4)]  # fmt: skip
    votes = [{"member_id": "m0", "dots": {"walk": 3}}, {"member_id": "m1", "dots": {"story": 1, "sprint": 2}},
             {"member_id": "stranger", "dots": {"story": 3}}]  # fmt: skip
    ideas = parse_ideas([["idea_id", "title", "description", "proposed_by", "feasibility"],
                         ["walk", "River walk", "Walk and test", "Ana", "needs kits"], ["sprint", "Data sprint"],
                         ["story", "Story night"], ["bad id!", "x"], ["", "no id"]], IdeasConfig())  # fmt: skip
    assert ideas.problems == [(5, "bad_id"), (6, "no_id")]
    signer = LinkSigner(b"k" * 32)
    open_ = plan_ideas(ideas, members, votes, signer, config(), date(2026, 11, 10))
    assert open_.status == "open" and len(open_.messages) == 4 and "/l/dots/" in open_.messages[0].text
    assert open_.drafts == [] and open_.snapshot["dots"] == 3
    closed = plan_ideas(ideas, members, votes, signer, config(), date(2026, 11, 21))
    assert closed.messages == [] and closed.voted == 2
    drafts = [d.payload["values"] for d in closed.drafts]
    assert [(v["event_id"], v["status"]) for v in drafts] == [("idea-walk", "draft"), ("idea-sprint", "draft")]
    assert "needs kits" in drafts[0]["description"] and drafts[0]["start"] == "2026-12-20 19:00"


@pytest.fixture
def dots_rig(demo_ws: Path):  # type: ignore[no-untyped-def]
    during = datetime(2026, 11, 10, 4, tzinfo=UTC)
    rig = link_rig(demo_ws, clock=lambda: during)
    save_members(rig.db, [{"member_id": "m-zh", "email": "zh@example.org", "fields_hash": "x",
                           "fields": {"name": "张伟", "language": "zh"}}], [])  # fmt: skip
    snapshot = {"ideas": [{"id": i.idea_id, "title": i.title, "description": ""} for i in IDEAS], "dots": 3,
                "closes": "2026-11-20", "closes_at": "2026-11-21T00:00:00+08:00"}  # fmt: skip
    save_idea_round(rig.db, "r1", snapshot, during)
    return rig


def test_the_page_keeps_one_allocation_per_member_within_budget_and_refuses_strangers(dots_rig) -> None:  # type: ignore[no-untyped-def]
    rig = dots_rig
    token = rig.token("dots", "m-zh", "r1")
    with TestClient(rig.app) as client:
        assert client.post(f"/l/dots/{token}", data={"dots-walk": "2", "dots-story": "1"}).status_code == 200
        assert client.post(f"/l/dots/{token}", data={"dots-walk": "3", "dots-story": "1"}).status_code == 400
        assert client.post(f"/l/dots/{token}", data={"dots-sprint": "3"}).status_code == 200  # changed
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
        foreign = LinkSigner(b"another network's own key!").token("dots", "m-zh", "r1")
        for bad in (forged, foreign):
            assert client.post(f"/l/dots/{bad}", data={"dots-walk": "3"}).status_code == 403
    [row] = dots_of(rig.db, "r1")
    assert row["member_id"] == "m-zh" and row["dots"] == {"sprint": 3}
    with serving(rig.app) as base:
        dom = dump_dom(f"{base}/l/dots/{token}")
    assert 'lang="zh-Hans"' in dom and "River walk" in dom and 'type="number"' in dom and "您有 3 个点" in dom
