"""32 people in groups of 4 over 10 rounds with no pair meeting twice (the social golfer problem's maximum)."""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pytest

from tasks.mixing import golfers
from tasks.mixing.mix import MixSpec, Participant, mix


def room(n: int = 32) -> list[Participant]:
    return [Participant(f"g{i:02d}") for i in range(n)]


def meetings(rounds: list[list[list[str]]]) -> Counter[tuple[str, str]]:
    return Counter(pair for groups in rounds for g in groups for pair in itertools.combinations(sorted(g), 2))


def test_ten_rounds_of_32_in_groups_of_4_repeat_no_pair() -> None:
    result = mix(room(), MixSpec(rounds=10, group_size=4, seed=0))
    assert all(sorted(len(g) for g in groups) == [4] * 8 for groups in result.rounds)
    met = meetings(result.rounds)
    assert max(met.values()) == 1 and len(met) == 480  # 10 rounds x 8 groups x 6 pairs, all different
    assert result.metrics.repeat_pairs == 0 and result.metrics.new_pairs == 480
    assert result.stopped_by == "optimal"
    # the structure of every such schedule: each person misses exactly one other person
    missed = Counter(p for a, b in itertools.combinations(sorted(x.id for x in room()), 2) if (a, b) not in met
                     for p in (a, b))  # fmt: skip
    assert set(missed.values()) == {1} and len(missed) == 32


@pytest.mark.parametrize("rounds", [1, 8, 9])
def test_fewer_rounds_repeat_no_pair_either(rounds: int) -> None:
    result = mix(room(), MixSpec(rounds=rounds, group_size=4, seed=rounds))
    assert len(result.rounds) == rounds
    assert result.metrics.repeat_pairs == 0 and result.metrics.new_pairs == 48 * rounds


def test_the_same_seed_gives_the_same_schedule_and_another_seed_another() -> None:
    first = mix(room(), MixSpec(rounds=10, group_size=4, seed=7)).rounds
    shuffled = list(reversed(room()))
    assert mix(shuffled, MixSpec(rounds=10, group_size=4, seed=7)).rounds == first
    other = mix(room(), MixSpec(rounds=10, group_size=4, seed=8)).rounds
    assert other != first and meetings(other).most_common(1)[0][1] == 1


def test_a_room_with_anything_else_to_weigh_goes_to_the_search(monkeypatch: pytest.MonkeyPatch) -> None:
    # history, balance or facilitators: the general search weighs them; the fixed schedule is never used
    def refuse(rounds: int, rng: np.random.Generator) -> np.ndarray:
        raise AssertionError("the fixed schedule was used")

    monkeypatch.setattr(golfers, "schedule_32_4", refuse)
    spec = MixSpec(rounds=2, group_size=4, seed=0, max_iterations=200)
    traits = [Participant(f"g{i:02d}", {"region": "华东" if i % 2 else "Europe"}) for i in range(32)]
    balanced = mix(traits, MixSpec(rounds=2, group_size=4, balance={"region": 1.0}, seed=0, max_iterations=200))
    assert balanced.metrics.imbalance["region"] == 0  # two of each region at every table
    assert mix(room(), spec, {("g00", "g01"): 1.0}).metrics.history_repeats == 0
    leaders = [Participant(f"g{i:02d}", facilitator=i < 8) for i in range(32)]
    assert mix(leaders, spec).metrics.groups_without_facilitator == 0
    assert not golfers.applies(33, np.array([5, 4, 4, 4, 4, 4, 4, 4]), 10)
    assert not golfers.applies(32, np.array([4] * 8), 11)
    with pytest.raises(AssertionError, match="fixed schedule"):
        mix(room(), spec)  # nothing else to weigh: this one does use it


def test_the_check_refuses_a_schedule_with_a_repeat() -> None:
    schedule = golfers.schedule_32_4(10, np.random.default_rng(0))
    golfers.check(schedule)
    schedule[1] = schedule[0]  # round 1 repeats round 0
    with pytest.raises(RuntimeError, match="meets twice"):
        golfers.check(schedule)
