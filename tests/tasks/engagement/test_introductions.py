"""Introductions: who meets each newcomer, once, and the "did you meet?" that follows."""

from __future__ import annotations

from datetime import date, timedelta

from tasks.common.ties import due_followups, tie
from tasks.engagement.introductions import newcomer_of, plan_introductions
from tasks.engagement.score import ENGAGED, NEWCOMER, QUIET, Score

TODAY = date(2026, 11, 24)


def s(member_id: str, status: str, score: int = 50, joined: date | None = None) -> Score:
    return Score(member_id, score, 0, 0, 0, None, joined, status)


MEMBERS = {
    "new-1": {"interests": "气候、教育", "language": "zh", "region": "华东", "consent": "是"},
    "new-2": {"interests": "arts", "language": "en", "consent": "yes"},
    "new-3": {"interests": "气候", "language": "zh", "consent": ""},  # no yes: we never email them
    "vet-a": {"interests": "气候", "language": "zh", "region": "华南", "consent": "是"},
    "vet-b": {"interests": "教育, 气候", "language": "zh", "region": "华东", "consent": "是"},
    "vet-c": {"interests": "arts", "language": "en", "consent": "no"},
    "quiet": {"interests": "arts", "language": "en", "consent": "yes"},
}
SCORES = {
    "new-1": s("new-1", NEWCOMER, 0, date(2026, 11, 1)),
    "new-2": s("new-2", NEWCOMER, 0, date(2026, 11, 2)),
    "new-3": s("new-3", NEWCOMER, 0, date(2026, 11, 3)),
    "vet-a": s("vet-a", ENGAGED, 90),
    "vet-b": s("vet-b", ENGAGED, 40),
    "vet-c": s("vet-c", ENGAGED, 90),
    "quiet": s("quiet", QUIET, 0),
}


def test_each_consenting_newcomer_meets_the_best_matching_engaged_member() -> None:
    intros = plan_introductions(SCORES, MEMBERS, [])
    # new-1 shares two interests with vet-b (and one with vet-a); new-2's only match said no; new-3 said nothing
    assert [(i.newcomer, i.partner, i.shared) for i in intros] == [("new-1", "vet-b", ("气候", "教育"))]


def test_nobody_is_introduced_twice_or_to_someone_they_met() -> None:
    met = [tie("new-1", "vet-b", "event", "evt-1", TODAY)]
    [intro] = plan_introductions(SCORES, MEMBERS, met)
    assert intro.partner == "vet-a"
    done = [intro.as_tie(TODAY)]
    assert plan_introductions(SCORES, MEMBERS, done) == []


def test_a_member_meets_at_most_one_newcomer_per_review() -> None:
    members = {**MEMBERS, "new-4": {"interests": "教育", "language": "zh", "consent": "是"}}
    scores = {**SCORES, "new-4": s("new-4", NEWCOMER, 0, date(2026, 11, 4)), "vet-a": s("vet-a", QUIET, 0)}
    intros = plan_introductions(scores, members, [])
    assert [(i.newcomer, i.partner) for i in intros] == [("new-1", "vet-b")]  # new-4 would also want vet-b


def test_did_you_meet_is_due_after_the_followup_days_and_planned_before() -> None:
    made = [
        tie("new-1", "vet-b", "introduction", "intro:new-1:vet-b", TODAY - timedelta(days=14)),
        tie("new-2", "vet-a", "introduction", "intro:new-2:vet-a", TODAY - timedelta(days=3)),
        tie("new-3", "vet-c", "introduction", "intro:new-3:vet-c", TODAY - timedelta(days=90)),  # long past
    ]
    due, planned = due_followups(made, "introduction", 14, TODAY)
    assert [d.ref for d in due] == ["intro:new-1:vet-b"]
    assert [(p.ref, when) for p, when in planned] == [("intro:new-2:vet-a", TODAY + timedelta(days=11))]
    assert newcomer_of(due[0]) == ("new-1", "vet-b")


def test_with_the_network_vocabulary_climate_and_qihou_are_one_shared_interest() -> None:
    from tasks.common.vocabulary import Vocabulary

    vocabulary = Vocabulary.from_grid([["English", "中文"], ["climate", "气候"]])
    members = {"new-9": {"interests": "Climate", "language": "en", "consent": "yes"},
               "vet-a": {"interests": "气候", "language": "zh", "consent": "是"}}  # fmt: skip
    scores = {"new-9": s("new-9", NEWCOMER, 0, date(2026, 11, 1)), "vet-a": s("vet-a", ENGAGED, 90)}
    assert plan_introductions(scores, members, []) == []  # without it, two different words
    [intro] = plan_introductions(scores, members, [], vocabulary=vocabulary)
    assert (intro.partner, intro.shared) == ("vet-a", ("climate",))  # in the newcomer's language
