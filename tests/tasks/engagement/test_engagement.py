"""Engagement: the documented score, the flags, check-ins matched to weavers, suggested activities."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tasks.engagement.score import (
    DRIFTING,
    ENGAGED,
    NEWCOMER,
    QUIET,
    Activity,
    Score,
    assign_checkins,
    event_activities,
    flagged,
    inbox_activities,
    score_members,
    suggest_activities,
)
from weaver.config import Activity as Offer
from weaver.config import EngagementConfig, Weaver

TODAY = date(2026, 11, 24)
CFG = EngagementConfig()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_the_score_follows_the_documented_formula() -> None:
    acts = [Activity("m", "attendance", ago(d)) for d in (10, 40, 70, 100)]  # 4 events: attendance saturated
    acts += [Activity("m", "rsvp", ago(10))]  # 1 of 3 RSVPs
    acts += [Activity("m", "survey", ago(400))]  # outside the 180-day window
    [score] = score_members({"m": {}}, acts, CFG, TODAY).values()
    expected = 40 * 1 + 15 * (1 / 3) + 15 * 0 + 30 * 0.5 ** (10 / 45)
    assert score.score == round(expected) and (score.attendance, score.rsvps, score.surveys) == (4, 1, 0)
    assert score.last_active == ago(10)


def test_missing_sources_count_zero() -> None:
    [score] = score_members({"m": {"joined": "2020-01-01"}}, [], CFG, TODAY).values()
    assert (score.score, score.last_active, score.status) == (0, None, QUIET)


def test_newcomers_drifting_and_engaged() -> None:
    members = {
        "new": {"joined": ago(20).isoformat()},
        "new-but-came": {"joined": ago(20).isoformat()},
        "drifted": {"joined": "2024-01-01"},
        "regular": {"joined": "2024-01-01"},
    }
    acts = [Activity("new-but-came", "attendance", ago(5)), Activity("drifted", "attendance", ago(150))]
    acts += [Activity("regular", "attendance", ago(d)) for d in (5, 35, 65)]
    scores = score_members(members, acts, CFG, TODAY)
    assert {m: s.status for m, s in scores.items()} == {
        "new": NEWCOMER, "new-but-came": ENGAGED, "drifted": DRIFTING, "regular": ENGAGED,
    }  # fmt: skip
    assert [s.member_id for s in flagged(scores)] == ["new", "drifted"]


def test_the_score_is_configurable() -> None:
    cfg = EngagementConfig(weights={"attendance": 100.0}, saturation={"attendance": 1.0})
    [score] = score_members({"m": {}}, [Activity("m", "attendance", ago(3))], cfg, TODAY).values()
    assert score.score == 100


def test_inbox_rsvps_are_matched_by_member_id_or_email() -> None:
    rows = [
        {"kind": "rsvp", "payload": {"member_id": "m-1"}, "received_at": datetime(2026, 11, 1, 9)},
        {"kind": "rsvp", "payload": {"email": " Ana@Example.org"}, "received_at": datetime(2026, 11, 2)},
        {"kind": "rsvp", "payload": {"email": "stranger@example.org"}, "received_at": datetime(2026, 11, 2)},
    ]
    acts = inbox_activities(rows, {"ana@example.org": "m-2"}, {"m-1", "m-2"})
    assert acts == [Activity("m-1", "rsvp", date(2026, 11, 1)), Activity("m-2", "rsvp", date(2026, 11, 2))]


def test_recorded_engagement_events_count_survey_answers_and_recency() -> None:
    rows = [
        {"member_id": "m-1", "kind": "survey_response", "at": datetime(2026, 11, 3, 10)},
        {"member_id": "m-1", "kind": "newsletter_click", "at": datetime(2026, 11, 20)},
        {"member_id": "m-9", "kind": "survey_response", "at": datetime(2026, 11, 3)},  # not a member
    ]
    acts = event_activities(rows, {"m-1"})
    assert acts == [Activity("m-1", "survey", date(2026, 11, 3)), Activity("m-1", "other", date(2026, 11, 20))]
    [score] = score_members({"m-1": {}}, acts, CFG, TODAY).values()
    assert (score.surveys, score.last_active) == (1, date(2026, 11, 20))


# check-ins ----------------------------------------------------------------------------------------------------
def score(member_id: str) -> Score:
    return Score(member_id, 0, 0, 0, 0, None, None, NEWCOMER)


WEAVERS = [
    Weaver(id="w-lin", name="林", email="lin@x.org", languages=("zh",), regions=("华东",), capacity=2),
    Weaver(id="w-wang", name="王", email="wang@x.org", languages=("zh", "en"), regions=("华北",), capacity=2),
    Weaver(id="w-sam", name="Sam", email="sam@x.org", languages=("en",), regions=("Europe",), capacity=1),
]


def test_checkins_match_language_then_region_then_load_and_wait_when_full() -> None:
    members = {
        "zh-east": {"language": "zh", "region": "华东"},
        "zh-north": {"language": "zh", "region": "华北"},
        "en-europe": {"language": "en", "region": "Europe"},
        "en-africa": {"language": "en", "region": "Africa"},
        "zh-west": {"language": "zh", "region": "西南"},
        "zh-east-2": {"language": "zh", "region": "华东"},
        "zh-east-3": {"language": "zh", "region": "华东"},
    }
    plan, waiting = assign_checkins([score(m) for m in members], members, WEAVERS)
    got = {a.weaver.id: [s.member_id for s in a.members] for a in plan}
    assert got == {
        "w-lin": ["zh-east", "zh-west"],  # zh-west: no zh weaver covers 西南, so the lighter load
        "w-wang": ["zh-north", "en-africa"],  # Sam is full with en-europe; Wang speaks English too
        "w-sam": ["en-europe"],
    }
    assert [s.member_id for s in waiting] == ["zh-east-2", "zh-east-3"]  # every weaver is full


def test_activities_are_suggested_from_interests_and_needs() -> None:
    offers = [Offer(name="Data", tags=("open data", "数据")), Offer(name="气候", tags=("climate", "气候")),
              Offer(name="Arts", tags=("arts",))]  # fmt: skip
    assert suggest_activities({"interests": "气候、Open Data", "needs": "funding"}, offers) == ["Data", "气候"]
    assert suggest_activities({"interests": "", "needs": "arts"}, offers) == ["Arts"]
    assert suggest_activities({}, offers) == []


@pytest.mark.parametrize("capacity", [0])
def test_no_capacity_means_everyone_waits(capacity: int) -> None:
    weavers = [Weaver(id="w", name="W", email="w@x.org", capacity=capacity)]
    plan, waiting = assign_checkins([score("a")], {"a": {}}, weavers)
    assert plan[0].members == [] and [s.member_id for s in waiting] == ["a"]
