"""A zero-repeat schedule the local search does not reach: 32 people in groups of 4 over (up to) 10 rounds.

Ten rounds is the most 32 people in groups of 4 can have without a pair meeting twice (each meets 3 new
people a round and there are 31 others), and such a schedule is a resolvable 4-GDD of type 2^16: everyone
misses exactly one other person, their "twin". The tabu search in `search.py` stalls at about 20 repeat
pairs on it; so does a greedy start after Triska and Musliu. Instead we look among the schedules that keep a
symmetry, where the question becomes a small satisfiability problem:

* people are ``8*i + v`` with ``v`` in Z_2^3 and ``i`` in 0..3 (four orbits of eight); the group Z_2^3 acts by
  ``v -> v xor t``, and ``t = 1`` swaps twins (people ``p`` and ``p ^ 1`` never meet);
* on the rounds: rounds 0-3 are fixed by the whole group; rounds 4<->5 and 6<->7 are swapped by the
  translations with bit 2 set, rounds 8<->9 by those with bit 1 set.

A published 10-round solution has exactly this automorphism group (Z_2^3, acting freely on the people with
these orbits on the rounds; found by computing its automorphisms, round 4 of issue 17), so the restricted
problem has solutions; no solution table is copied here: the schedule comes from the solver.

Variables say "p and q share a group in round r"; a variable stands for its whole orbit under the group (672
free variables). Clauses: sharing a group is transitive; everyone has exactly 3 partners in every round;
every pair except twins shares a group in exactly one round. A SAT solver (minisat, through python-sat)
answers in a fraction of a second (about 0.3 s of CPU with the encoding).

The schedule is solved once per process and cached; `schedule_32_4` relabels people and reorders rounds with
the caller's seeded generator, so the same seed gives the same schedule and another seed another one.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

PEOPLE, SIZE, ROUNDS = 32, 4, 10
_FALSE = 1  # the SAT variable fixed to false: "twins share a group"


def _act(t: int, p: int) -> int:
    return (p & ~7) | ((p & 7) ^ t)


def _act_round(t: int, r: int) -> int:
    if r < 4:
        return r
    if r < 8:
        return r ^ 1 if t & 4 else r
    return r ^ 1 if t & 2 else r


def _twin(p: int) -> int:
    return p ^ 1


class _Encoding:
    """The clauses of the symmetric problem; `together(r, p, q)` is the literal "p and q share a group in r"."""

    def __init__(self) -> None:
        self.ids: dict[tuple[int, int, int], int] = {}
        self.clauses: set[tuple[int, ...]] = set()
        self.top = _FALSE
        for r in range(ROUNDS):  # the pair variables first: 2 .. 673
            for p, q in itertools.combinations(range(PEOPLE), 2):
                self.together(r, p, q)

    def new(self) -> int:
        self.top += 1
        return self.top

    def together(self, r: int, p: int, q: int) -> int:
        if _twin(p) == q:
            return _FALSE
        key = min((_act_round(t, r), *sorted((_act(t, p), _act(t, q)))) for t in range(8))
        if key not in self.ids:
            self.ids[key] = self.new()
        return self.ids[key]

    def add(self, *literals: int) -> None:
        clause = tuple(sorted(set(literals)))
        if not any(-x in clause for x in clause):
            self.clauses.add(clause)

    def exactly_three(self, literals: list[int]) -> None:
        """A unary counter: c[j] <-> at least j of the literals so far (j = 1..4); then c[3] and not c[4]."""
        count: list[int | bool] = [True, False, False, False, False]
        for x in literals:
            nxt: list[int | bool] = [True]
            for j in range(1, 5):
                had, below = count[j], count[j - 1]
                if had is True:
                    nxt.append(True)
                    continue
                s = self.new()
                keep = [] if had is False else [had]
                self.add(-s, *keep, x)  # s -> had or x
                if below is False:
                    self.add(-s, *keep)
                elif below is not True:
                    self.add(-s, *keep, below)  # s -> had or below
                if had is not False:
                    self.add(-had, s)
                if below is True:
                    self.add(-x, s)
                elif below is not False:
                    self.add(-x, -below, s)
                nxt.append(s)
            count = nxt
        three, four = count[3], count[4]
        assert not isinstance(three, bool) and not isinstance(four, bool)  # 30 literals: both are variables
        self.add(three)
        self.add(-four)

    def build(self) -> list[list[int]]:
        self.add(-_FALSE)
        # Clauses are the same for every member of an orbit, so one member per orbit is enough: the one whose
        # smallest person has v = 0 (every orbit has exactly one).
        reps = [i * 8 for i in range(4)]
        for r in range(ROUNDS):
            for p in reps:
                for q, s in itertools.combinations(range(p + 1, PEOPLE), 2):
                    x, y, z = self.together(r, p, q), self.together(r, q, s), self.together(r, p, s)
                    self.add(-x, -y, z)
                    self.add(-x, -z, y)
                    self.add(-y, -z, x)
                others = [q for q in range(PEOPLE) if q not in (p, _twin(p))]
                self.exactly_three([self.together(r, p, q) for q in others])
        for p in reps:
            for q in range(p + 1, PEOPLE):
                if q == _twin(p):
                    continue
                meets = [self.together(r, p, q) for r in range(ROUNDS)]
                self.add(*meets)
                for a, b in itertools.combinations(meets, 2):
                    self.add(-a, -b)
        return [list(c) for c in sorted(self.clauses)]


@functools.cache
def _base_schedule() -> np.ndarray:
    """(10, 32): the group (0..7) of each person in each round, with no pair meeting twice."""
    from pysat.solvers import Minisat22  # imported here: only this case needs the SAT solver

    encoding = _Encoding()
    with Minisat22(bootstrap_with=encoding.build()) as solver:
        if not solver.solve():  # pragma: no cover - the symmetric problem has solutions (see the docstring)
            raise RuntimeError("the symmetric 32-in-groups-of-4 problem has no solution")
        true = {x for x in solver.get_model() or [] if x > 0}
    schedule = np.full((ROUNDS, PEOPLE), -1, dtype=np.int64)
    for r in range(ROUNDS):
        group = 0
        for p in range(PEOPLE):
            if schedule[r, p] >= 0:
                continue
            mates = [q for q in range(PEOPLE) if q != p and encoding.together(r, p, q) in true]
            schedule[r, [p, *mates]] = group
            group += 1
    check(schedule)
    return schedule


def check(schedule: np.ndarray) -> None:
    """Raise unless every round is groups of 4 and no pair meets twice (a guard on the solver's answer)."""
    meets = np.zeros((PEOPLE, PEOPLE), dtype=np.int64)
    for row in schedule:
        if sorted(np.bincount(row, minlength=PEOPLE // SIZE)) != [SIZE] * (PEOPLE // SIZE):
            raise RuntimeError("a round of the 32-in-groups-of-4 schedule is not groups of 4")
        meets += row[:, None] == row[None, :]
    np.fill_diagonal(meets, 0)
    if meets.max() > 1:
        raise RuntimeError("a pair meets twice in the 32-in-groups-of-4 schedule")


def applies(people: int, sizes: np.ndarray, rounds: int) -> bool:
    """Whether `schedule_32_4` answers this request: 32 people, 8 groups of 4, at most 10 rounds."""
    return people == PEOPLE and len(sizes) == PEOPLE // SIZE and bool((sizes == SIZE).all()) and rounds <= ROUNDS


def schedule_32_4(rounds: int, rng: np.random.Generator) -> np.ndarray:
    """(rounds, 32) groups with no pair meeting twice: the solved schedule, people relabelled and rounds
    reordered by `rng` (the same generator state gives the same schedule)."""
    base = _base_schedule()
    people = rng.permutation(PEOPLE)  # person k of the base schedule is person people[k] here
    order = rng.permutation(ROUNDS)[:rounds]
    out = np.empty((rounds, PEOPLE), dtype=np.int64)
    out[:, people] = base[order]
    return out
