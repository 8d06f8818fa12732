"""Group mixing: quality and time of `tasks.mixing.mix.mix` beside a random split, on the same input, same run.

(a) The social golfer problem: 32 people, groups of 4, over 8, 9 and 10 rounds. Schedules in which no pair
    meets twice exist up to 10 rounds (the maximum); we report the repeat pairs reached, CPU and wall time, and
    the most rounds reached with zero repeats. `mix` answers this case with the solved symmetric schedule of
    `tasks/mixing/golfers.py` (the first call in a process solves it; later calls reuse it), so we time the
    first call in a fresh process too (`--fresh`, on by default).
(b) An event: 120 attendees with a history of 6 past events (tables of 6 at each), tables of 6, 3 rounds,
    balancing region, organisation type, language and newcomer/veteran.

Pure computation: no table, database, mail or network call is made (the figures say so). Every time is
printed as CPU time of this process (`time.process_time()`) beside wall time, with the load average, since
the machine is shared. The last line is one JSON object of the headline figures.

    python -m benchmarks.mixing [--seconds 10] [--seed 0] [--rounds 8 9 10]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
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


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def fresh_first_call(rounds: int, seed: int) -> dict[str, float]:
    """The first `mix` of 32 in groups of 4 in a new process (imports excluded): it solves the schedule."""
    code = (
        "import json, time\n"
        "from tasks.mixing.mix import MixSpec, Participant, mix\n"
        "room = [Participant(f'g{i:02d}') for i in range(32)]\n"
        "c, w = time.process_time(), time.perf_counter()\n"
        f"m = mix(room, MixSpec(rounds={rounds}, group_size=4, seed={seed}))\n"
        "print(json.dumps({'cpu_s': time.process_time() - c, 'wall_s': time.perf_counter() - w,"
        " 'repeats': m.metrics.repeat_pairs}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def golfers(seconds: float, seed: int, rounds_list: Sequence[int], fresh: bool) -> dict[str, object]:
    print("(a) social golfers: 32 people, groups of 4 (zero repeats exist up to 10 rounds, the maximum)")
    print(f"    load average at start: {load()}")
    room = [Participant(f"g{i:02d}") for i in range(32)]
    best = 0
    figures: dict[str, object] = {}
    if fresh:
        first = fresh_first_call(max(rounds_list), seed)
        print(f" first call in a fresh process, {max(rounds_list)} rounds: repeats {first['repeats']}, "
              f"CPU {first['cpu_s']:.2f} s, wall {first['wall_s']:.2f} s (load {load()})")  # fmt: skip
        figures["first_call"] = {k: round(v, 3) for k, v in first.items()}
    for rounds in rounds_list:
        spec = MixSpec(rounds=rounds, group_size=4, seed=seed, max_iterations=10**9, patience=10**9,
                       time_limit=seconds)  # fmt: skip
        cpu, started = time.process_time(), time.perf_counter()
        ours: Mix = mix(room, spec)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        keep = zero_repeat_rounds(ours.rounds)
        if ours.metrics.repeat_pairs == 0:
            best = max(best, rounds)
        print(f" {rounds} rounds:")
        print(line("ours", ours.metrics, took, f"CPU {cpu:.2f} s ({ours.iterations:,} iterations, stopped: "
                                              f"{ours.stopped_by}; {keep} of its rounds have no repeat)"))  # fmt: skip
        baseline = random_split(room, spec)
        print(line("random split", evaluate(baseline, room, spec, {}), None,
                   f"({zero_repeat_rounds(baseline)} of its rounds have no repeat)"))  # fmt: skip
        figures[f"rounds_{rounds}"] = {"repeats": ours.metrics.repeat_pairs, "wall_s": round(took, 3),
                                       "cpu_s": round(cpu, 3), "stopped_by": ours.stopped_by}  # fmt: skip
    print(f" most rounds reached with zero repeats: {best or 'none of those tried'}")
    figures["most_rounds_zero_repeats"] = best
    return figures


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


def event(seconds: float, seed: int) -> dict[str, object]:
    room, history = event_room(seed)
    balance = {"region": 1.0, "org_type": 1.0, "language": 1.0, "newcomer": 1.0}
    spec = MixSpec(rounds=3, group_size=6, balance=balance, seed=seed, time_limit=seconds)
    print(f"\n(b) an event: 120 attendees, {len(history):,} pairs met at 6 past events, tables of 6, 3 rounds,")
    print("    balancing region, organisation type, language and newcomer/veteran; 20 facilitators")
    cpu, started = time.process_time(), time.perf_counter()
    ours = mix(room, spec, history)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    lacking = ours.metrics.groups_without_facilitator
    print(line("ours", ours.metrics, took, f"({ours.iterations:,} iterations, stopped: {ours.stopped_by}; "
                                          f"groups without a facilitator: {lacking}; CPU {cpu:.2f} s)"))  # fmt: skip
    baseline = evaluate(random_split(room, spec), room, spec, history)
    print(line("random split", baseline, None,
               f"(groups without a facilitator: {baseline.groups_without_facilitator})"))  # fmt: skip
    print("    imbalance = share of seats off the room's mix, averaged over rounds (0 = every table mirrors the room)")
    return {"repeats": ours.metrics.repeat_pairs, "imbalance": ours.metrics.imbalance,
            "groups_without_facilitator": lacking, "iterations": ours.iterations, "stopped_by": ours.stopped_by,
            "wall_s": round(took, 3), "cpu_s": round(cpu, 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per instance")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, nargs="+", default=[8, 9, 10])
    parser.add_argument("--no-fresh", dest="fresh", action="store_false", help="skip the fresh-process first call")
    args = parser.parse_args()
    golf = golfers(args.seconds, args.seed, args.rounds, args.fresh)
    ev = event(args.seconds, args.seed)
    print("\nexternal calls: 0 (pure computation: no table, state database, mail or network call)")
    print(json.dumps({"golfers_32_4": golf, "event": ev, "load": load(), "seed": args.seed}, ensure_ascii=False))


if __name__ == "__main__":
    main()
