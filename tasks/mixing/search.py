"""The search behind group mixing: greedy construction round by round, then tabu search over all rounds.

Players are indexes 0..n-1; a schedule is `G[r, p]` = the group of player p in round r. The objective is

* repeats: ``W * (max(0, m - 1) + h*m)`` per pair that meets m times over the rounds, where h is its
  history (1 = they have met before; a fraction for weaker ties such as attending the same event). A first
  meeting of strangers costs nothing, every further meeting costs W, and every meeting of a pair that met
  before costs W*h more. Without history this is exactly W times the number of repeat pairs we report;
* keep-apart: ``P * m`` for each pair that must not share a group (P large);
* balance: per attribute, ``w * sum((count - target)^2)`` over groups and values, the target being the
  group size times the value's share of the room.

The change of one swap (a in group X, b in group Y, same round) follows from per-pair increments: one more
meeting adds ``q = W*(min(m, 1) + h) (+P)``, one fewer removes ``qd = W*(min(m-1, 1) + h) (+P)``, so
``delta = join[b,X] + join[a,Y] - 2*q[a,b] - leave[a,X] - leave[b,Y]`` with ``join = q @ onehot(G[r])``
and ``leave = qd @ onehot(G[r])``; the balance change is ``w*(4 - 2*(E[X,u] - E[X,v] + E[Y,v] - E[Y,u]))``
for values u != v, with ``E = count - target``. One iteration evaluates every swap of every player in
conflict, in every round, with a few numpy operations.

Constraints are structural, so the search never has to repair them: swaps keep every group's size; members
of a keep-together set are placed together at construction and never move; facilitators are spread one per
group at construction and only ever swap with other facilitators. Keep-apart is the pair penalty P.

Deterministic for a seed: ties are broken by a seeded generator and the search stops after a number of
iterations. The optional time limit is a safety cap; when it binds the result says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from tasks.mixing import golfers
from weaver.ledger import ProgressFn

FREE, FACILITATOR, FIXED = 0, 1, -1


@dataclass(frozen=True)
class Attribute:
    values: np.ndarray  # (n,) int codes
    weight: float


@dataclass
class Problem:
    sizes: np.ndarray  # (g,) group sizes, differing by at most one
    rounds: int
    history: np.ndarray  # (n, n) float, symmetric, zero diagonal
    apart: np.ndarray  # (n, n) 0/1, symmetric
    cls: np.ndarray  # (n,) FREE | FACILITATOR | FIXED: who may swap with whom
    facilitator: np.ndarray  # (n,) bool, the role (a facilitator in a keep-together set is FIXED)
    blocks: list[np.ndarray]  # keep-together sets (player indexes), each placed whole in one group per round
    attributes: list[Attribute] = field(default_factory=list)
    repeat_weight: float = 1.0
    apart_penalty: float = 1000.0
    exempt: np.ndarray | None = None  # (n, n) 0/1: pairs that cost nothing (keep-together pairs we asked for)

    @property
    def n(self) -> int:
        return int(self.sizes.sum())

    @property
    def g(self) -> int:
        return len(self.sizes)


@dataclass
class SearchResult:
    schedule: np.ndarray  # (R, n) group per player per round
    cost: float
    iterations: int
    stopped_by: str  # "optimal" (the lower bound is reached) | "iterations" | "patience" | "time"
    seconds: float
    last_improved: int = 0  # the iteration that found `schedule`


class ConstructionError(ValueError):
    """The keep-together sets do not fit into the groups (a bin-packing failure)."""


# construction -------------------------------------------------------------------------------------------
def _targets(problem: Problem) -> list[np.ndarray]:
    """Per attribute, the (g, V) expected count of each value in each group."""
    out = []
    for attr in problem.attributes:
        share = np.bincount(attr.values, minlength=attr.values.max() + 1) / problem.n
        out.append(problem.sizes[:, None] * share[None, :])
    return out


def _place(choice_cost: np.ndarray, room: np.ndarray, need: int, rng: np.random.Generator) -> int:
    """The cheapest group with room for `need` players; ties broken by the seeded generator."""
    cost = np.where(room >= need, choice_cost, np.inf)
    best = cost.min()
    if not np.isfinite(best):
        raise ConstructionError("the keep-together sets do not fit into the groups")
    options = np.flatnonzero(cost <= best + 1e-9)
    return int(options[rng.integers(len(options))])


def construct_round(problem: Problem, meets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One round, greedily: blocks, then facilitators, then everyone else, each where it costs least."""
    g, n = problem.g, problem.n
    q = _increments(problem, meets)[0]
    targets = _targets(problem)
    counts = [np.zeros_like(t) for t in targets]
    onehot = np.zeros((n, g))
    room = problem.sizes.astype(float).copy()
    fac = np.zeros(g)
    group = np.full(n, -1)

    def put(players: np.ndarray, x: int) -> None:
        group[players] = x
        onehot[players, x] = 1.0
        room[x] -= len(players)
        fac[x] += int(problem.facilitator[players].sum())
        for attr, count in zip(problem.attributes, counts, strict=True):
            np.add.at(count[x], attr.values[players], 1)

    def balance_cost(players: np.ndarray) -> np.ndarray:
        cost = np.zeros(g)
        for attr, count, target in zip(problem.attributes, counts, targets, strict=True):
            for v in attr.values[players]:
                cost += attr.weight * (1 + 2 * (count[:, v] - target[:, v]))
        return cost

    for i in sorted(range(len(problem.blocks)), key=lambda b: (-len(problem.blocks[b]), rng.random())):
        block = problem.blocks[i]
        spread = 1e6 * fac * float(problem.facilitator[block].any())  # two facilitators share no group
        cost = q[block].sum(axis=0) @ onehot + balance_cost(block) + spread
        put(block, _place(cost, room, len(block), rng))
    facilitators = rng.permutation(np.flatnonzero(problem.cls == FACILITATOR))
    for p in facilitators:
        # fewest facilitators first (one per group), then the cheapest such group
        cost = 1e6 * fac + q[p] @ onehot + balance_cost(np.array([p]))
        put(np.array([p]), _place(cost, room, 1, rng))
    for p in rng.permutation(np.flatnonzero(problem.cls == FREE)):
        cost = q[p] @ onehot + balance_cost(np.array([p]))
        put(np.array([p]), _place(cost, room, 1, rng))
    return group


def meetings(schedule: np.ndarray, n: int) -> np.ndarray:
    """(n, n) how many rounds each pair shares a group (zero diagonal)."""
    meets = np.zeros((n, n))
    for row in schedule:
        same = (row[:, None] == row[None, :]).astype(float)
        meets += same
    np.fill_diagonal(meets, 0.0)
    return meets


def schedule_cost(problem: Problem, schedule: np.ndarray) -> float:
    """The objective from scratch (the search keeps it incrementally; tests compare the two)."""
    meets = meetings(schedule, problem.n)
    w, iu = problem.repeat_weight, np.triu_indices(problem.n, 1)
    m, h, k = meets[iu], problem.history[iu], problem.apart[iu]
    free = 1.0 if problem.exempt is None else 1 - problem.exempt[iu]
    cost = float(np.sum(free * w * (np.maximum(0, m - 1) + h * m) + problem.apart_penalty * k * m))
    for attr, target in zip(problem.attributes, _targets(problem), strict=True):
        for row in schedule:
            count = np.zeros_like(target)
            np.add.at(count, (row, attr.values), 1)
            cost += attr.weight * float(np.sum((count - target) ** 2))
    return cost


def lower_bound(problem: Problem) -> float:
    """No repeat, and each group's counts as close to its targets as whole people allow.

    Per group and attribute: start from the targets rounded down and give the seats left to the values
    with the largest fractions (for a sum of squares this greedy is exact). Reaching it proves optimality.
    """
    bound = 0.0
    for attr, target in zip(problem.attributes, _targets(problem), strict=True):
        for size, t in zip(problem.sizes, target, strict=True):
            count = np.floor(t)
            left = int(round(size - count.sum()))
            if left > 0:
                count[np.argsort(-(t - count), kind="stable")[:left]] += 1
            bound += problem.rounds * attr.weight * float(np.sum((count - t) ** 2))
    return bound


# tabu search --------------------------------------------------------------------------------------------
def _increments(problem: Problem, meets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What one more meeting adds (q) and one fewer removes (qd), per pair (zero diagonal).

    The pair cost is ``W * (max(0, m - 1) + h*m) + P*k*m``, so one more meeting adds ``W * (min(m, 1) + h)``
    and one fewer removes ``W * (min(m - 1, 1) + h)`` (m counts this round's meeting too).
    """
    q = np.minimum(meets, 1.0) + problem.history
    qd = np.minimum(np.maximum(meets - 1.0, 0.0), 1.0) + problem.history
    q *= problem.repeat_weight
    qd *= problem.repeat_weight
    if problem.exempt is not None:
        q *= 1 - problem.exempt
        qd *= 1 - problem.exempt
    if problem.apart.any():
        q += problem.apart_penalty * problem.apart
        qd += problem.apart_penalty * problem.apart
    np.fill_diagonal(q, 0.0)
    np.fill_diagonal(qd, 0.0)
    return q, qd


class _State:
    """A schedule with every quantity the move evaluation needs, updated incrementally."""

    def __init__(self, problem: Problem, schedule: np.ndarray) -> None:
        self.p = problem
        self.G = schedule.copy()
        R, n, g = schedule.shape[0], problem.n, problem.g
        self.meets = meetings(self.G, n)
        self.onehot = np.zeros((R, n, g))
        self.onehot[np.arange(R)[:, None], np.arange(n)[None, :], self.G] = 1.0
        self.err = []  # per attribute: (R, g, V) count - target
        for attr, target in zip(problem.attributes, _targets(problem), strict=True):
            count = np.zeros((R, *target.shape))
            np.add.at(count, (np.arange(R)[:, None], self.G, attr.values[None, :]), 1)
            self.err.append(count - target[None])
        self.cost = schedule_cost(problem, self.G)
        self.q = self.qd = self.meets  # set by conflicts(), once per iteration

    def conflicts(self) -> tuple[np.ndarray, np.ndarray]:
        """(R, n) what each player would shed by leaving its group, and whether it is in conflict.

        In conflict: its group holds someone it met before or must stay apart from, or its value of a
        balanced attribute is over-represented there by a whole person or more.
        """
        G = self.G
        # recomputed whole: a few vector operations are cheaper than patching the pairs a swap touched
        self.q, self.qd = _increments(self.p, self.meets)
        leave = self.qd @ self.onehot  # (R, n, g)
        own = np.take_along_axis(leave, G[:, :, None], axis=2)[:, :, 0]
        conflict = own > 1e-9
        rr = np.arange(G.shape[0])[:, None]
        for attr, err in zip(self.p.attributes, self.err, strict=True):
            conflict |= err[rr, G, attr.values[None, :]] >= 1 - 1e-9
        return own, conflict

    def deltas(self, rr: np.ndarray, aa: np.ndarray, own: np.ndarray) -> np.ndarray:
        """(k, n): the cost change of swapping player aa[i] with each player b in round rr[i]."""
        G, q = self.G, self.q
        n = G.shape[1]
        join = q @ self.onehot  # (R, n, g): what each player would add by joining each group
        ga = G[rr, aa]  # (k,) the group of a
        gb = G[rr]  # (k, n) the group of each b
        b_joins_x = join[rr[:, None], np.arange(n)[None, :], ga[:, None]]
        a_joins_y = join[rr[:, None], aa[:, None], gb]
        delta = b_joins_x + a_joins_y - 2 * q[aa] - own[rr, aa][:, None] - own[rr]
        for attr, err in zip(self.p.attributes, self.err, strict=True):
            v = attr.values
            u = v[aa][:, None]  # (k, 1) a's value; v[None, :] each b's value
            e_x_u = err[rr, ga, v[aa]][:, None]
            e_x_v = err[rr[:, None], ga[:, None], v[None, :]]
            e_y_v = err[rr[:, None], gb, v[None, :]]
            e_y_u = err[rr[:, None], gb, u]
            change = 4 - 2 * (e_x_u - e_x_v + e_y_v - e_y_u)
            delta += attr.weight * change * (u != v[None, :])
        return delta

    def swap(self, r: int, a: int, b: int, delta: float) -> None:
        G = self.G
        x, y = G[r, a], G[r, b]
        in_x, in_y = np.flatnonzero(G[r] == x), np.flatnonzero(G[r] == y)
        in_x, in_y = in_x[in_x != a], in_y[in_y != b]
        for i, gone, come in ((a, in_x, in_y), (b, in_y, in_x)):
            self.meets[i, gone] -= 1
            self.meets[gone, i] -= 1
            self.meets[i, come] += 1
            self.meets[come, i] += 1
        G[r, a], G[r, b] = y, x
        self.onehot[r, a, x], self.onehot[r, a, y] = 0.0, 1.0
        self.onehot[r, b, y], self.onehot[r, b, x] = 0.0, 1.0
        for attr, err in zip(self.p.attributes, self.err, strict=True):
            u, v = attr.values[a], attr.values[b]
            err[r, x, u] -= 1
            err[r, y, u] += 1
            err[r, y, v] -= 1
            err[r, x, v] += 1
        self.cost += delta


@dataclass(frozen=True)
class SearchSettings:
    max_iterations: int = 20_000
    patience: int = 6_000  # stop when the best has not improved for this many iterations
    restart_after: int = 20_000  # start afresh when an attempt has not improved for this many iterations
    tenure: tuple[int, int] = (2, 10)  # a swap made is not undone for a random number of iterations in range
    time_limit: float | None = None  # seconds; a safety cap (when it binds, runs are not reproducible)
    candidates: int = 48  # at most this many (round, player) rows are evaluated per iteration


def search(problem: Problem, schedule: np.ndarray, rng: np.random.Generator, settings: SearchSettings,
           budget: int, stall: int, time_limit: float | None,
           on_progress: Callable[[int], None] | None = None) -> SearchResult:  # fmt: skip
    """Tabu search over all rounds from a constructed schedule; returns the best schedule seen.

    Each iteration takes the best swap, over all rounds, that moves a player in conflict (Dotú and Van
    Hentenryck's neighbourhood for the social golfer problem), unless it is tabu; a tabu swap is still
    taken when it yields a new best (aspiration). With no conflict left, every swap is considered (the
    balance of attributes can still improve).
    """
    started = time.perf_counter()
    state = _State(problem, schedule)
    R, n = schedule.shape
    movable = (problem.cls[:, None] == problem.cls[None, :]) & (problem.cls[:, None] != FIXED)
    np.fill_diagonal(movable, False)
    tabu = np.zeros((R, n, n), dtype=np.int64)  # (r, a, b): the iteration until which this swap is tabu
    best_cost, best = state.cost, state.G.copy()
    bound = lower_bound(problem) + 1e-9
    last_best = it = 0
    stopped = "iterations"
    if best_cost <= bound or not movable.any():
        return SearchResult(best, best_cost, 0, "optimal", time.perf_counter() - started)
    can_move = movable.any(axis=1)
    while it < budget:
        it += 1
        if on_progress is not None and it % PROGRESS_EVERY == 0:
            on_progress(it)
        own, conflict = state.conflicts()
        rr, aa = np.nonzero((conflict if conflict.any() else np.ones_like(conflict)) & can_move[None, :])
        if len(rr) > settings.candidates:  # a large room: a random sample of the candidate moves
            pick = np.sort(rng.choice(len(rr), settings.candidates, replace=False))
            rr, aa = rr[pick], aa[pick]
        delta = state.deltas(rr, aa, own)
        allowed = movable[aa] & (state.G[rr] != state.G[rr, aa][:, None])
        allowed &= (tabu[rr, aa] <= it) | (state.cost + delta < best_cost - 1e-9)  # aspiration
        scored = np.where(allowed, delta, np.inf)
        low = scored.min() if scored.size else np.inf
        if not np.isfinite(low):
            tabu[:] = 0
            continue
        options = np.flatnonzero(scored <= low + 1e-9)
        i, b = np.unravel_index(options[rng.integers(len(options))], scored.shape)
        r, a, b = int(rr[i]), int(aa[i]), int(b)
        state.swap(r, a, b, float(low))
        tabu[r, a, b] = tabu[r, b, a] = it + rng.integers(settings.tenure[0], settings.tenure[1] + 1)
        if state.cost < best_cost - 1e-9:
            best_cost, best, last_best = state.cost, state.G.copy(), it
            if best_cost <= bound:
                stopped = "optimal"
                break
        if it - last_best >= stall:
            stopped = "stalled"
            break
        if time_limit is not None and time.perf_counter() - started > time_limit:
            stopped = "time"
            break
    return SearchResult(best, schedule_cost(problem, best), it, stopped, time.perf_counter() - started, last_best)


def construct(problem: Problem, rng: np.random.Generator) -> np.ndarray:
    """Every round greedily, each against the rounds before it."""
    schedule = np.zeros((problem.rounds, problem.n), dtype=np.int64)
    meets = np.zeros((problem.n, problem.n))
    for r in range(problem.rounds):
        schedule[r] = construct_round(problem, meets, rng)
        meets += schedule[r][:, None] == schedule[r][None, :]
        np.fill_diagonal(meets, 0.0)
    return schedule


def _plain(problem: Problem) -> bool:
    """Nothing but meeting new people: no history, constraint, facilitator or attribute to balance."""
    return (not problem.history.any() and not problem.apart.any() and not problem.blocks
            and not problem.attributes and bool((problem.cls == FREE).all()))  # fmt: skip


def solve(problem: Problem, seed: int, settings: SearchSettings, progress: ProgressFn | None = None) -> SearchResult:
    """Construct, improve by tabu search; when an attempt stalls, start again from a new construction.

    Stops at a schedule that cannot be beaten (the lower bound), after `max_iterations` in all, after
    `patience` iterations without a better schedule, or at the time limit; returns the best seen. With
    nothing but new meetings to seek and 32 people in groups of 4 (up to 10 rounds), returns the solved
    schedule of `golfers` instead: no pair meets twice, which the search does not reach for 10 rounds.
    `progress(iterations, max_iterations)`: how far the search has got (increasing; ends at the total).
    """
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    if _plain(problem) and golfers.applies(problem.n, problem.sizes, problem.rounds):
        # 32 in groups of 4: a solved symmetric schedule (no repeat at all), which the search below misses
        built = golfers.schedule_32_4(problem.rounds, rng)
        _report(progress, settings.max_iterations)
        return SearchResult(built, schedule_cost(problem, built), 0, "optimal", time.perf_counter() - started)
    best: SearchResult | None = None
    used = since_best = 0
    stall = min(settings.restart_after, settings.patience)
    while True:
        limit = None if settings.time_limit is None else settings.time_limit - (time.perf_counter() - started)
        step = None if progress is None else partial(_step, progress, used, settings.max_iterations)
        attempt = search(problem, construct(problem, rng), rng, settings, settings.max_iterations - used, stall, limit,
                         step)  # fmt: skip
        used += attempt.iterations
        if best is None or attempt.cost < best.cost - 1e-9:
            best, since_best = attempt, attempt.iterations - attempt.last_improved
        else:
            since_best += attempt.iterations
        if attempt.stopped_by in ("optimal", "time"):
            reason = attempt.stopped_by
        elif used >= settings.max_iterations:
            reason = "iterations"
        elif since_best >= settings.patience:
            reason = "patience"
        else:
            continue
        _report(progress, settings.max_iterations)
        return SearchResult(best.schedule, best.cost, used, reason, time.perf_counter() - started, used)


PROGRESS_EVERY = 200  # iterations between progress calls (a few milliseconds of search)


def _step(progress: ProgressFn, before: int, total: int, iterations: int) -> None:
    progress(before + iterations, total)  # this attempt's iterations after those of the attempts before it


def _report(progress: ProgressFn | None, total: int) -> None:
    """The search is over (found, stalled, out of time or iterations): the bar ends full."""
    if progress is not None:
        progress(total, total)
