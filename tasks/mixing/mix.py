"""Group mixing, pure: split an event's attendees into groups over rounds so people meet someone new.

`mix(participants, spec, history)` returns the rounds (round -> group -> member ids) and the figures a
coordinator judges it by. What it guarantees, whatever the input:

* everyone is in exactly one group per round, and group sizes differ by at most one;
* a keep-together set is in one group every round (its pairs are not counted as repeats: we asked for them);
* each group has a facilitator when there are at least as many facilitators as groups (else the groups
  without one are reported), and facilitators are spread as evenly as the numbers allow;
* the same input and seed give the same groups.

What it optimises (the search is in `tasks/mixing/search.py`): first, pairs who have never met, counting
history (groups we formed, buddies, introductions, check-ins: a pair that met before counts as met;
attending the same event counts as a fraction); second, the balance of the chosen attributes (region,
organisation type, language, newcomer or veteran) in every group; keep-apart pairs are never put together
unless the numbers make it impossible (then it is reported).

Group size means "at most": 30 people in groups of 4 make 8 groups (6 of 4 and 2 of 3).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from tasks.mixing.search import (
    FACILITATOR,
    FIXED,
    FREE,
    Attribute,
    ConstructionError,
    Problem,
    SearchSettings,
    solve,
)
from weaver.errors import WeaverError
from weaver.ledger import ProgressFn

History = Mapping[tuple[str, str], float]  # (a, b) with a < b -> 1.0 met before, or a fraction for weak ties


class MixError(WeaverError):
    """The request cannot be met (no attendees, impossible sizes, contradictory constraints)."""


@dataclass(frozen=True)
class Participant:
    id: str
    traits: Mapping[str, str] = field(default_factory=dict)  # attribute -> value, e.g. region -> 华东
    facilitator: bool = False


@dataclass(frozen=True)
class MixSpec:
    rounds: int = 1
    group_size: int | None = None  # at most this many per group ...
    group_count: int | None = None  # ... or exactly this many groups
    balance: Mapping[str, float] = field(default_factory=dict)  # attribute -> weight (1.0 is a good start)
    keep_together: Sequence[Sequence[str]] = ()  # each set always shares a group
    keep_apart: Sequence[Sequence[str]] = ()  # no two members of a set ever share a group
    seed: int = 0
    repeat_weight: float = 1.0
    max_iterations: int = 20_000
    patience: int = 6_000
    time_limit: float | None = None  # a safety cap in seconds; the iteration limits make runs reproducible


NOTICE_CODES = ("absent_in_constraint", "few_facilitators", "apart_impossible")  # each has a text mix.notice.<code>


@dataclass(frozen=True)
class Notice:
    """Something the coordinator should know: `code` (one of NOTICE_CODES) picks the text mix.notice.<code>."""

    code: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass
class MixMetrics:
    pair_meetings: int = 0  # pairs sharing a group, summed over rounds
    new_pairs: int = 0  # distinct pairs who had never met and meet now
    repeat_pairs: int = 0  # pair meetings of people who met before (in history or an earlier round)
    history_repeats: int = 0  # ... of which met before this event
    round_repeats: int = 0  # ... of which met in an earlier round of this mix
    apart_violations: int = 0
    groups_without_facilitator: int = 0
    size_spread: int = 0  # largest minus smallest group size in any round
    imbalance: dict[str, float] = field(default_factory=dict)  # attribute -> share of seats off the room's mix


@dataclass
class Mix:
    rounds: list[list[list[str]]]  # round -> group -> member ids
    metrics: MixMetrics
    notices: list[Notice] = field(default_factory=list)
    iterations: int = 0
    stopped_by: str = ""
    seconds: float = 0.0

    def group_of(self, round_index: int) -> dict[str, int]:
        return {m: g for g, members in enumerate(self.rounds[round_index]) for m in members}


# sizes ----------------------------------------------------------------------------------------------------
def group_sizes(n: int, group_size: int | None, group_count: int | None) -> list[int]:
    """Sizes that differ by at most one: `group_size` is a maximum, `group_count` exact (capped at n)."""
    if n <= 0:
        raise MixError("no attendees to mix")
    if (group_size is None) == (group_count is None):
        raise MixError("give a group size or a number of groups (one of the two)")
    if group_size is not None and group_size < 2:
        raise MixError(f"group size {group_size}: a group needs at least 2 people")
    if group_count is not None and group_count < 1:
        raise MixError(f"number of groups {group_count}: at least 1")
    count = min(n, group_count if group_count is not None else math.ceil(n / (group_size or 1)))
    small, extra = divmod(n, count)
    return [small + 1] * extra + [small] * (count - extra)


# constraints --------------------------------------------------------------------------------------------
def _merge_sets(sets: Sequence[Sequence[str]], present: set[str], notices: list[Notice]) -> list[list[str]]:
    """Overlapping keep-together sets are one set; absent people are left out (and reported)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for members in sets:
        missing = [m for m in members if m not in present]
        if missing:
            notices.append(Notice("absent_in_constraint", {"ids": ", ".join(missing)}))
        here = [m for m in members if m in present]
        for m in here[1:]:
            parent[find(m)] = find(here[0])
        for m in here[:1]:
            find(m)
    groups: dict[str, list[str]] = {}
    for m in sorted(parent):
        groups.setdefault(find(m), []).append(m)
    return [g for g in groups.values() if len(g) > 1]


def _apart_pairs(sets: Sequence[Sequence[str]], present: set[str], notices: list[Notice]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for members in sets:
        missing = [m for m in members if m not in present]
        if missing:
            notices.append(Notice("absent_in_constraint", {"ids": ", ".join(missing)}))
        here = sorted({m for m in members if m in present})
        pairs.update((a, b) for i, a in enumerate(here) for b in here[i + 1 :])
    return pairs


# the problem for the search -----------------------------------------------------------------------------
@dataclass
class _Prepared:
    ids: list[str]
    index: dict[str, int]
    problem: Problem
    together: set[tuple[str, str]]
    apart: set[tuple[str, str]]
    notices: list[Notice]


def _prepare(participants: Sequence[Participant], spec: MixSpec, history: History) -> _Prepared:
    people = {p.id: p for p in participants}  # one entry per id, whatever the input repeats
    ids = sorted(people)  # the input's order never changes the result
    index = {m: i for i, m in enumerate(ids)}
    n = len(ids)
    if spec.rounds < 1:
        raise MixError(f"rounds {spec.rounds}: at least 1")
    sizes = np.array(group_sizes(n, spec.group_size, spec.group_count))
    notices: list[Notice] = []
    present = set(ids)
    blocks = _merge_sets(spec.keep_together, present, notices)
    apart = _apart_pairs(spec.keep_apart, present, notices)
    together = {(a, b) for block in blocks for i, a in enumerate(block) for b in block[i + 1 :]}
    clash = sorted(together & apart)
    if clash:
        raise MixError(f"{clash[0][0]} and {clash[0][1]} are both kept together and kept apart")
    if blocks and max(len(b) for b in blocks) > sizes.max():
        big = max(blocks, key=len)
        raise MixError(f"a keep-together set of {len(big)} ({', '.join(big)}) is larger than a group ({sizes.max()})")
    return _Prepared(ids, index, _problem(people, ids, index, sizes, spec, history, blocks, apart), together,
                     apart, notices)  # fmt: skip


def _problem(people: Mapping[str, Participant], ids: list[str], index: dict[str, int], sizes: np.ndarray,
             spec: MixSpec, history: History, blocks: list[list[str]],
             apart: set[tuple[str, str]]) -> Problem:  # fmt: skip
    n = len(ids)
    hist = np.zeros((n, n))
    for (a, b), weight in history.items():
        if a in index and b in index and a != b:
            hist[index[a], index[b]] = hist[index[b], index[a]] = min(1.0, max(0.0, float(weight)))
    apart_m = np.zeros((n, n))
    for a, b in apart:
        apart_m[index[a], index[b]] = apart_m[index[b], index[a]] = 1.0
    facilitator = np.array([people[m].facilitator for m in ids], dtype=bool)
    cls = np.where(facilitator, FACILITATOR, FREE)
    block_idx = [np.array([index[m] for m in block]) for block in blocks]
    exempt = np.zeros((n, n))
    for block in block_idx:
        cls[block] = FIXED
        exempt[np.ix_(block, block)] = 1.0  # we asked for these meetings: they are not repeats
    attributes = []
    for name, weight in sorted(spec.balance.items()):
        codes: dict[str, int] = {}
        values = np.array([codes.setdefault(people[m].traits.get(name, ""), len(codes)) for m in ids])
        if len(codes) > 1 and weight > 0:
            attributes.append(Attribute(values, float(weight)))
    return Problem(sizes, spec.rounds, hist, apart_m, cls, facilitator, block_idx, attributes, spec.repeat_weight,
                   exempt=exempt if block_idx else None)  # fmt: skip


# the public function ------------------------------------------------------------------------------------
def mix(participants: Sequence[Participant], spec: MixSpec, history: History | None = None,
        progress: ProgressFn | None = None) -> Mix:  # fmt: skip
    """Groups for every round; see the module docstring for what is guaranteed and what is optimised.
    `progress(iterations, max_iterations)`: how far the search has got."""
    prepared = _prepare(participants, spec, history or {})
    settings = SearchSettings(spec.max_iterations, spec.patience, time_limit=spec.time_limit)
    try:
        result = solve(prepared.problem, spec.seed, settings, progress)
    except ConstructionError:
        raise MixError("the keep-together sets do not fit into the groups: use larger groups") from None
    rounds = _rounds(result.schedule, prepared.ids, prepared.problem.g)
    notices = prepared.notices
    outcome = Mix(rounds, MixMetrics(), notices, result.iterations, result.stopped_by, result.seconds)
    outcome.metrics = evaluate(outcome.rounds, participants, spec, history or {}, prepared.together, prepared.apart)
    _report_shortfalls(outcome, prepared)
    return outcome


def _rounds(schedule: np.ndarray, ids: list[str], groups: int) -> list[list[list[str]]]:
    """Groups listed largest first, then by their first member, so the numbering is stable."""
    out = []
    for row in schedule:
        members = [[ids[p] for p in np.flatnonzero(row == x)] for x in range(groups)]
        out.append(sorted(members, key=lambda g: (-len(g), g[0] if g else "")))
    return out


def _report_shortfalls(outcome: Mix, prepared: _Prepared) -> None:
    m = outcome.metrics
    facilitators = int(prepared.problem.facilitator.sum())
    if facilitators and m.groups_without_facilitator:
        outcome.notices.append(Notice("few_facilitators", {"facilitators": facilitators, "groups": prepared.problem.g}))
    if m.apart_violations:
        outcome.notices.append(Notice("apart_impossible", {"count": m.apart_violations}))


# measuring ----------------------------------------------------------------------------------------------
def evaluate(rounds: Sequence[Sequence[Sequence[str]]], participants: Sequence[Participant], spec: MixSpec,
             history: History, together: set[tuple[str, str]] | None = None,
             apart: set[tuple[str, str]] | None = None) -> MixMetrics:  # fmt: skip
    """The figures of any grouping (ours or a random split), from scratch."""
    people = {p.id: p for p in participants}
    together = together or set()
    apart = apart if apart is not None else _apart_pairs(spec.keep_apart, set(people), [])
    metrics = MixMetrics()
    met: set[tuple[str, str]] = set()
    sizes: list[int] = []
    for groups in rounds:
        for group in groups:
            sizes.append(len(group))
            metrics.groups_without_facilitator += _lacks_facilitator(group, people)
            for pair in _pairs(group):
                if pair in together:
                    continue
                metrics.pair_meetings += 1
                metrics.apart_violations += pair in apart
                before = history.get(pair, 0.0) >= 1.0
                if pair in met:
                    metrics.round_repeats += 1
                elif before:
                    metrics.history_repeats += 1
                else:
                    metrics.new_pairs += 1
                met.add(pair)
        if groups:
            round_sizes = [len(g) for g in groups]
            metrics.size_spread = max(metrics.size_spread, max(round_sizes) - min(round_sizes))
    metrics.repeat_pairs = metrics.round_repeats + metrics.history_repeats
    metrics.imbalance = {name: _imbalance(rounds, people, name) for name in sorted(spec.balance)}
    if not any(p.facilitator for p in participants):
        metrics.groups_without_facilitator = 0
    return metrics


def _pairs(group: Sequence[str]) -> list[tuple[str, str]]:
    ordered = sorted(group)
    return [(a, b) for i, a in enumerate(ordered) for b in ordered[i + 1 :]]


def _lacks_facilitator(group: Sequence[str], people: Mapping[str, Participant]) -> int:
    return int(not any(people[m].facilitator for m in group if m in people))


def _imbalance(rounds: Sequence[Sequence[Sequence[str]]], people: Mapping[str, Participant], name: str) -> float:
    """Share of seats that would have to change for every group to mirror the room (0 perfect, 1 worst).

    Half the sum over groups and values of |count - group size x the value's share|, over the number of
    seats, averaged over rounds. Even a perfect split has a little, when shares do not divide evenly.
    """
    values = [people[m].traits.get(name, "") for m in sorted(people)]
    if not values:
        return 0.0
    share = {v: values.count(v) / len(values) for v in set(values)}
    total = 0.0
    for groups in rounds:
        off = 0.0
        for group in groups:
            counts = {v: 0 for v in share}
            for m in group:
                counts[people[m].traits.get(name, "")] += 1
            off += sum(abs(counts[v] - len(group) * s) for v, s in share.items())
        total += off / (2 * max(1, sum(len(g) for g in groups)))
    return round(total / max(1, len(rounds)), 4)


# the baseline -------------------------------------------------------------------------------------------
def random_split(participants: Sequence[Participant], spec: MixSpec) -> list[list[list[str]]]:
    """What a coordinator does by hand: shuffle and deal into groups, each round afresh (the benchmark's
    and the tests' baseline). Same sizes as `mix`; no constraint or history is looked at."""
    ids = sorted({p.id for p in participants})
    sizes = group_sizes(len(ids), spec.group_size, spec.group_count)
    rng = random.Random(spec.seed)
    rounds = []
    for _ in range(spec.rounds):
        order = ids[:]
        rng.shuffle(order)
        groups, start = [], 0
        for size in sizes:
            groups.append(order[start : start + size])
            start += size
        rounds.append(groups)
    return rounds
