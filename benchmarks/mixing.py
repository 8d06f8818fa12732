"""Group mixing: quality and time of `tasks.mixing.mix.mix` beside a random split, on the same input, same run.

(a) The social golfer problem: 32 people, groups of 4, over 8, 9 and 10 rounds. Schedules in which no pair
    meets twice are known up to 10 rounds; we report the repeat pairs reached within the time limit and the
    most rounds reached with zero repeats.
(b) An event: 120 attendees with a history of 6 past events (tables of 6 at each), tables of 6, 3 rounds,
    balancing region, organisation type, language and newcomer/veteran.

Pure computation: no table, database, mail or network call is made (the figures say so).

    python -m benchmarks.mixing [--seconds 10] [--seed 0] [--rounds 8 9 10]
"""

from __future__ import annotations

import argparse
import itertools
import random
import time
from collections.abc import Sequence

from tasks.mixing.mix import Mix, MixMetrics, MixSpec, Participant, evaluate, mix, random_split

REGIONS = ["华东", "华南", "华北", "西南", "Europe", "Africa", "Southeast Asia"]
ORG_TYPES = ["NGO", "基金会", "学术机构", "企业", "社区组织"]


def zero_repeat_rounds(rounds: Sequence[Sequence[Sequence[str]]]) -> int:
    """The most rounds of a schedule that can be kept together with no pair meeting twice."""
    pair_sets = [{(a, b) for g in groups for a in g for b in g if a < b} for groups in rounds]
    for k in range(len(rounds), 0, -1):
        for subset in itertools.combinations(pair_sets, k):
            if sum(len(s) for s in subset) == len(set().union(*subset)):
                return k
    return 0


def line(label: str, m: MixMetrics, seconds: float | None = None, extra: str = "") -> str:
    took = f"{seconds:6.2f} s" if seconds is not None else "      -"
    balance = " ".join(f"{k}={v:.3f}" for k, v in m.imbalance.items())
    return (f"  {label:13} repeats {m.repeat_pairs:4d} (history {m.history_repeats:3d}, rounds {m.round_repeats:3d})"
            f"  new pairs {m.new_pairs:4d}  {took}  {balance} {extra}").rstrip()  # fmt: skip


def golfers(seconds: float, seed: int, rounds_list: Sequence[int]) -> None:
    print("(a) social golfers: 32 people, groups of 4 (zero repeats are known to exist up to 10 rounds)")
    room = [Participant(f"g{i:02d}") for i in range(32)]
    best = 0
    for rounds in rounds_list:
        spec = MixSpec(rounds=rounds, group_size=4, seed=seed, max_iterations=10**9, patience=10**9,
                       time_limit=seconds)  # fmt: skip
        started = time.perf_counter()
        ours: Mix = mix(room, spec)
        took = time.perf_counter() - started
        keep = zero_repeat_rounds(ours.rounds)
        if ours.metrics.repeat_pairs == 0:
            best = max(best, rounds)
        print(f" {rounds} rounds:")
        print(line("ours", ours.metrics, took, f"({ours.iterations:,} iterations, stopped: {ours.stopped_by}; "
                                              f"{keep} of its rounds have no repeat)"))  # fmt: skip
        baseline = random_split(room, spec)
        print(line("random split", evaluate(baseline, room, spec, {}), None,
                   f"({zero_repeat_rounds(baseline)} of its rounds have no repeat)"))  # fmt: skip
    print(f" most rounds reached with zero repeats within {seconds:g} s: {best or 'none of those tried'}")


def event_room(seed: int) -> tuple[list[Participant], dict[tuple[str, str], float]]:
    rng = random.Random(seed)
    room = []
    for i in range(120):
        region = rng.choice(REGIONS)
        traits = {
            "region": region,
            "org_type": rng.choice(ORG_TYPES),
            "language": "zh" if region in REGIONS[:4] else rng.choice(["en", "en", "zh"]),
            "newcomer": "newcomer" if rng.random() < 0.25 else "veteran",
        }
        room.append(Participant(f"m{i:03d}", traits, facilitator=i % 6 == 0))
    history: dict[tuple[str, str], float] = {}
    ids = [p.id for p in room if p.traits["newcomer"] == "veteran"]
    for _event in range(6):  # six past events, most veterans at each, tables of 6
        attending = rng.sample(ids, int(len(ids) * 0.8))
        for start in range(0, len(attending), 6):
            table = sorted(attending[start : start + 6])
            history.update({(a, b): 1.0 for k, a in enumerate(table) for b in table[k + 1 :]})
    return room, history


def event(seconds: float, seed: int) -> None:
    room, history = event_room(seed)
    balance = {"region": 1.0, "org_type": 1.0, "language": 1.0, "newcomer": 1.0}
    spec = MixSpec(rounds=3, group_size=6, balance=balance, seed=seed, time_limit=seconds)
    print(f"\n(b) an event: 120 attendees, {len(history):,} pairs met at 6 past events, tables of 6, 3 rounds,")
    print("    balancing region, organisation type, language and newcomer/veteran; 20 facilitators")
    started = time.perf_counter()
    ours = mix(room, spec, history)
    took = time.perf_counter() - started
    lacking = ours.metrics.groups_without_facilitator
    print(line("ours", ours.metrics, took, f"({ours.iterations:,} iterations, stopped: {ours.stopped_by}; "
                                          f"groups without a facilitator: {lacking})"))  # fmt: skip
    baseline = evaluate(random_split(room, spec), room, spec, history)
    print(line("random split", baseline, None,
               f"(groups without a facilitator: {baseline.groups_without_facilitator})"))  # fmt: skip
    print("    imbalance = share of seats off the room's mix, averaged over rounds (0 = every table mirrors the room)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per instance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, nargs="+", default=[8, 9, 10])
    args = parser.parse_args()
    golfers(args.seconds, args.seed, args.rounds)
    event(args.seconds, args.seed)
    print("\nexternal calls: 0 (pure computation: no table, state database, mail or network call)")


if __name__ == "__main__":
    main()
