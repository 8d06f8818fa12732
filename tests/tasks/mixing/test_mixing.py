"""Group mixing, pure: what a coordinator relies on, whatever the room. No Prefect, no files."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.mixing.mix import MixError, MixSpec, Participant, evaluate, group_sizes, mix, random_split
from tasks.mixing.search import Attribute, Problem, _State, schedule_cost


def people(n: int, **traits: list[str]) -> list[Participant]:
    return [Participant(f"m{i:03d}", {k: v[i % len(v)] for k, v in traits.items()}) for i in range(n)]


def groups_of(m_rounds: list[list[list[str]]], person: str) -> list[list[str]]:
    return [next(g for g in groups if person in g) for groups in m_rounds]


# structure ------------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), size=st.integers(2, 9), rounds=st.integers(1, 3), seed=st.integers(0, 99))
def test_everyone_is_in_exactly_one_group_per_round_and_sizes_differ_by_at_most_one(
    n: int, size: int, rounds: int, seed: int
) -> None:
    room = people(n)
    result = mix(room, MixSpec(rounds=rounds, group_size=size, seed=seed, max_iterations=300))
    assert len(result.rounds) == rounds
    for groups in result.rounds:
        seated = [m for g in groups for m in g]
        assert sorted(seated) == sorted(p.id for p in room)  # nobody twice, nobody missing
        sizes = [len(g) for g in groups]
        assert max(sizes) - min(sizes) <= 1 and max(sizes) <= size


@pytest.mark.parametrize(
    ("n", "size", "count", "expected"),
    [(32, 4, None, [4] * 8), (30, 4, None, [4] * 6 + [3] * 2), (10, None, 3, [4, 3, 3]), (3, None, 5, [1, 1, 1])],
)
def test_group_size_is_a_maximum_and_a_count_is_exact(n: int, size: int | None, count: int | None,
                                                       expected: list[int]) -> None:  # fmt: skip
    assert group_sizes(n, size, count) == expected


def test_keep_together_share_a_group_every_round() -> None:
    room = people(24)
    spec = MixSpec(rounds=3, group_size=4, keep_together=[["m001", "m002"], ["m002", "m017"]], seed=3)
    result = mix(room, spec)
    for groups in result.rounds:
        home = next(g for g in groups if "m001" in g)
        assert {"m002", "m017"} <= set(home)
    assert result.metrics.round_repeats == 0  # the pairs we asked for are not counted as repeats


def test_keep_apart_never_share_a_group() -> None:
    room = people(20)
    apart = [["m000", "m001", "m002", "m003"], ["m010", "m011"]]
    result = mix(room, MixSpec(rounds=3, group_size=5, keep_apart=apart, seed=1))
    for groups in result.rounds:
        for g in groups:
            assert len(set(g) & {"m000", "m001", "m002", "m003"}) <= 1
            assert not {"m010", "m011"} <= set(g)
    assert result.metrics.apart_violations == 0


def test_every_group_gets_one_facilitator_when_there_are_enough() -> None:
    room = [Participant(f"m{i:03d}", facilitator=i % 5 == 0) for i in range(40)]  # 8 facilitators
    result = mix(room, MixSpec(rounds=3, group_size=5, seed=2))  # 8 groups
    leads = {p.id for p in room if p.facilitator}
    for groups in result.rounds:
        assert [len(set(g) & leads) for g in groups] == [1] * 8
    assert result.metrics.groups_without_facilitator == 0


def test_too_few_facilitators_is_reported_and_spread() -> None:
    room = [Participant(f"m{i:03d}", facilitator=i < 3) for i in range(24)]
    result = mix(room, MixSpec(rounds=1, group_size=4, seed=0))  # 6 groups, 3 facilitators
    assert [n.code for n in result.notices] == ["few_facilitators"]
    assert sorted(len({"m000", "m001", "m002"} & set(g)) for g in result.rounds[0]) == [0, 0, 0, 1, 1, 1]


def test_contradictions_and_impossible_requests_are_clear_errors() -> None:
    room = people(12)
    with pytest.raises(MixError, match="both kept together and kept apart"):
        mix(room, MixSpec(group_size=4, keep_together=[["m001", "m002"]], keep_apart=[["m002", "m001"]]))
    with pytest.raises(MixError, match="larger than a group"):
        mix(room, MixSpec(group_size=3, keep_together=[["m001", "m002", "m003", "m004"]]))
    with pytest.raises(MixError, match="no attendees"):
        mix([], MixSpec(group_size=3))
    with pytest.raises(MixError, match="group size or a number of groups"):
        mix(room, MixSpec(group_size=3, group_count=2))


def test_people_named_in_a_constraint_but_absent_are_reported() -> None:
    result = mix(people(8), MixSpec(group_size=4, keep_together=[["m001", "m099"]]))
    assert [(n.code, n.values["ids"]) for n in result.notices] == [("absent_in_constraint", "m099")]


# determinism ------------------------------------------------------------------------------------------------
def test_same_seed_gives_the_same_groups_whatever_the_input_order() -> None:
    room = people(30, region=["华东", "华南", "Europe"])
    spec = MixSpec(rounds=3, group_size=5, balance={"region": 1.0}, seed=11)
    shuffled = room[:]
    random.Random(4).shuffle(shuffled)
    assert mix(room, spec).rounds == mix(shuffled, spec).rounds


def test_another_seed_gives_other_groups() -> None:
    room = people(30)
    assert mix(room, MixSpec(group_size=5, seed=1)).rounds != mix(room, MixSpec(group_size=5, seed=2)).rounds


# quality ----------------------------------------------------------------------------------------------------
def past_tables(ids: list[str], events: int, size: int, seed: int) -> dict[tuple[str, str], float]:
    rng, history = random.Random(seed), {}
    for _ in range(events):
        attending = rng.sample(ids, int(len(ids) * 0.75))
        for start in range(0, len(attending), size):
            table = sorted(attending[start : start + size])
            history.update({(a, b): 1.0 for i, a in enumerate(table) for b in table[i + 1 :]})
    return history


def test_with_history_repeat_pairs_fall_versus_a_random_split() -> None:
    room = people(60, region=["华东", "华南", "华北", "Europe"])
    history = past_tables([p.id for p in room], events=4, size=6, seed=3)
    spec = MixSpec(rounds=3, group_size=6, balance={"region": 1.0}, seed=5)
    ours = mix(room, spec, history).metrics
    baseline = evaluate(random_split(room, spec), room, spec, history)
    assert baseline.repeat_pairs > 20  # the random split repeats many pairs ...
    assert ours.repeat_pairs == 0  # ... and there is a split with none
    assert ours.imbalance["region"] < baseline.imbalance["region"]


def test_small_social_golfer_instances_have_no_repeats() -> None:
    # 16 people in groups of 4 over 5 rounds: everyone meets everyone exactly once (the affine plane of order 4)
    result = mix(people(16), MixSpec(rounds=5, group_size=4, seed=0))
    assert result.metrics.repeat_pairs == 0 and result.metrics.new_pairs == 120
    assert result.stopped_by == "optimal"


def test_balance_mirrors_the_room() -> None:
    room = people(48, region=["华东", "华东", "Europe", "Africa"], newcomer=["new", "veteran", "veteran"])
    spec = MixSpec(rounds=2, group_size=6, balance={"region": 1.0, "newcomer": 1.0}, seed=1)
    result = mix(room, spec)
    for groups in result.rounds:
        for g in groups:
            regions = Counter(next(p for p in room if p.id == m).traits["region"] for m in g)
            assert regions["华东"] == 3  # half the room, half of every table


def test_weak_ties_count_for_less_than_having_met() -> None:
    room = people(8)
    history = {("m000", "m001"): 1.0, ("m002", "m003"): 0.2}
    result = mix(room, MixSpec(rounds=1, group_count=4, seed=0), history)
    assert result.metrics.history_repeats == 0
    pairs = {tuple(sorted(g)) for g in result.rounds[0]}
    assert ("m000", "m001") not in pairs and ("m002", "m003") not in pairs


# the search's bookkeeping ------------------------------------------------------------------------------------
def test_incremental_swap_costs_match_a_full_recount() -> None:
    rng = np.random.default_rng(3)
    n, sizes = 24, np.array([5, 5, 5, 5, 4])
    history = np.zeros((n, n))
    for i, j in rng.integers(n, size=(40, 2)):
        if i != j:
            history[i, j] = history[j, i] = rng.choice([0.3, 1.0])
    apart = np.zeros((n, n))
    apart[0, 1] = apart[1, 0] = 1
    attributes = [Attribute(rng.integers(3, size=n), 0.5), Attribute(rng.integers(2, size=n), 1.0)]
    problem = Problem(sizes, 4, history, apart, np.zeros(n, dtype=int), np.zeros(n, dtype=bool), [], attributes)
    state = _State(problem, np.array([rng.permutation(np.repeat(np.arange(5), sizes)) for _ in range(4)]))
    for _ in range(200):
        own, _conflict = state.conflicts()
        r, (a, b) = int(rng.integers(4)), rng.integers(n, size=2)
        if state.G[r, a] == state.G[r, b]:
            continue
        delta = state.deltas(np.array([r]), np.array([a]), own)[0, b]
        after = state.G.copy()
        after[r, a], after[r, b] = after[r, b], after[r, a]
        assert delta == pytest.approx(schedule_cost(problem, after) - schedule_cost(problem, state.G))
        state.swap(r, int(a), int(b), float(delta))
        assert state.cost == pytest.approx(schedule_cost(problem, state.G))


# progress -------------------------------------------------------------------------------------------------
def test_the_search_reports_its_progress_in_steps_that_only_grow_and_end_at_the_total() -> None:
    room = people(24, region=["华东", "Europe", "Africa", "华南"], language=["zh", "en"])
    calls: list[tuple[int, int]] = []
    spec = MixSpec(rounds=7, group_size=4, balance={"region": 1.0, "language": 1.0}, seed=7, max_iterations=2_000)
    result = mix(room, spec, progress=lambda done, total: calls.append((done, total)))
    assert result.iterations >= 200 and len(calls) >= 2  # a search long enough to report along the way
    assert {total for _, total in calls} == {2_000}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 2_000  # the bar ends full, however the search stopped
    assert mix(room, spec).rounds == result.rounds  # watching it changes nothing
