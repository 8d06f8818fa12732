"""The network map, pure: the graph, its metrics, a deterministic SVG, and names only where asked for."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime

from tasks.common.ties import tie
from tasks.impact import figures as f
from tasks.impact.network import build_graph, change, layout, map_svg, measure

DAY = date(2026, 11, 24)


def everyone(ids: str, new: str = "") -> dict[str, f.Person]:
    rows = [{"member_id": m, "fields": {"name": f"成员{m}", "joined": "2026-11-01" if m in new else "2025-01-01"},
             "status": "active", "first_seen": datetime(2025, 1, 1, tzinfo=UTC)} for m in ids]  # fmt: skip
    return f.people(rows)


def two_groups_and_a_bridge() -> list:
    ties = [tie(x, y, "group", "e/r1/g1", date(2026, 10, 1)) for x, y in ("ab", "ac", "bc", "de", "df", "ef")]
    return ties + [tie("c", "x", "checkin", "c:x", date(2026, 10, 2)), tie("x", "d", "buddy", "b:x", date(2026, 10, 2))]


def test_metrics_find_the_bridge_the_isolates_and_the_newcomers_still_unconnected() -> None:
    people = everyone("abcdefxyz", new="z")
    graph = build_graph(people, two_groups_and_a_bridge(), DAY)
    m = measure(graph, people, DAY, brokers=1)
    assert (m.people, m.ties, m.components, m.largest, m.isolates) == (9, 8, 1, 7, 2)
    assert m.brokers[0][0] == "x"  # every path between the two groups runs through x
    assert m.newcomers_unconnected == ("z",)  # y has no tie either, but is no newcomer
    assert 0 < m.clustering < 1 and m.density == round(8 / 36, 5)


def test_introductions_are_not_drawn_and_events_count_only_together_often_enough() -> None:
    people = everyone("abc")
    ties = [tie("a", "b", "introduction", "i", date(2026, 10, 1))]
    ties += [tie("a", "c", "event", f"evt-{i}", date(2026, 10, i + 1)) for i in range(3)]
    assert sorted(build_graph(people, ties, DAY, events_together=3).edges) == [("a", "c")]
    assert sorted(build_graph(people, ties, DAY, events_together=4).edges) == []
    assert sorted(build_graph(people, ties, date(2026, 10, 2), events_together=3).edges) == []  # as of a day


def test_change_since_the_quarter_before() -> None:
    people = everyone("abcdefxyz")
    ties = two_groups_and_a_bridge()
    now = measure(build_graph(people, ties, DAY), people, DAY)
    before = measure(build_graph(people, ties, date(2026, 9, 30)), people, date(2026, 9, 30))
    delta = change(now, before)
    assert (delta["ties"], delta["isolates"], delta["components"]) == (8, -7, 1)


def test_the_map_is_the_same_svg_for_the_same_ties_in_any_order() -> None:
    people = everyone("abcdefxyz", new="z")
    ties = two_groups_and_a_bridge()
    shuffled = ties[:]
    random.Random(3).shuffle(shuffled)
    svgs = []
    for order in (ties, shuffled):
        graph = build_graph(people, order, DAY)
        metrics = measure(graph, people, DAY, brokers=1)
        svgs.append(map_svg(layout(graph, metrics), metrics, title="谁与谁见过面", legend={"member": "成员"}))
    assert svgs[0] == svgs[1]
    assert svgs[0].startswith("<svg") and svgs[0].count("<circle") == 8 + 3  # 7 connected + z, and the legend
    assert "成员x" not in svgs[0]  # no names unless asked for


def test_names_appear_only_for_brokers_when_given() -> None:
    people = everyone("abcdefxyz")
    graph = build_graph(people, two_groups_and_a_bridge(), DAY)
    metrics = measure(graph, people, DAY, brokers=1)
    names = {m: p.name for m, p in people.items()}
    svg = map_svg(layout(graph, metrics), metrics, title="map", legend={}, names=names)
    assert "成员x" in svg and "成员a" not in svg


def test_a_large_network_estimates_brokers_from_a_fixed_sample() -> None:
    rng = random.Random(5)
    ids = [f"m{i:03d}" for i in range(60)]
    rows = [{"member_id": m, "fields": {"joined": "2025-01-01"}, "status": "active"} for m in ids]
    people = f.people(rows)
    ties = [tie(a, b, "group", "g", date(2026, 10, 1)) for a, b in (rng.sample(ids, 2) for _ in range(200))]
    graph = build_graph(people, ties, DAY)
    first = measure(graph, people, DAY, sample_above=20, sample_size=10)
    again = measure(build_graph(people, list(reversed(ties)), DAY), people, DAY, sample_above=20, sample_size=10)
    assert first.estimated and first.brokers == again.brokers and len(first.brokers) == 5


MAP_IN_A_PROCESS = """
import sys
from datetime import date
sys.path.insert(0, sys.argv[1])
from tests.tasks.impact.test_network import DAY, everyone
from tasks.common.ties import tie
from tasks.impact.network import build_graph, layout, map_svg, measure
groups = ["pqrs", "tuvw", "abcdefgh"]  # several components: each is laid out as a subgraph of its own
ties = [tie(x, y, "group", "e/r1/g1", date(2026, 10, 1)) for g in groups for x in g for y in g if x < y]
people = everyone("".join(groups))
graph = build_graph(people, ties, DAY)
metrics = measure(graph, people, DAY, brokers=1)
print(map_svg(layout(graph, metrics), metrics, title="map", legend={"member": "member"}))
"""


def test_the_map_is_the_same_in_every_process_whatever_the_hash_seed() -> None:
    """A subgraph iterates its nodes in a set's order, which follows Python's per-process hash seed: the map
    (and so the report's ledger key) must not, or every run of the report writes it again."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[3])
    processes = [  # the four at once: each is mostly its own imports
        subprocess.Popen(
            [sys.executable, "-c", MAP_IN_A_PROCESS, root],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        for seed in ("1", "2", "3", "4")
    ]
    svgs = set()
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
        svgs.add(out)
    assert len(svgs) == 1 and next(iter(svgs)).startswith("<svg")
