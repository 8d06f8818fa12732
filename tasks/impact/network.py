"""impact-report, pure: the network map (networkx) and its metrics, and the map drawn as a deterministic SVG.

The graph: every member on the day is a node; two members are joined when they met: a confirmed tie (see
`figures.CONFIRMED`) or `[impact] events_together` events attended together. Introductions are not drawn
(an introduction is not yet a meeting). Metrics:

* **components**: groups of two or more people connected through ties (people with no tie are *isolates*);
* **density**: ties over possible pairs; **clustering**: networkx's average clustering coefficient (how often
  two people who know a third know each other), estimated from 20,000 seeded trials above `sample_above`;
* **brokers**: the people with the highest betweenness centrality, who bridge groups that would otherwise be
  apart. Above `sample_above` people it is estimated from `sample_size` sources with a fixed seed, so the
  same records give the same brokers;
* **newcomers still unconnected**: members who joined within `newcomer_days` and have no tie yet.

The map draws at most `map_people` people (the best connected, ties broken by member id) with networkx's
spring layout from a fixed seed, nodes and edges in sorted order and coordinates rounded: the same ties give
the same SVG, byte for byte. Names are written only where a caller passes them (the report names brokers; the
funders' fact sheet names nobody).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

import networkx as nx

from tasks.common.ties import Tie
from tasks.impact.figures import CONFIRMED, Person

_SEED = 20261207
_FONT = "'Noto Sans CJK SC','Noto Sans',system-ui,'PingFang SC','Microsoft YaHei',sans-serif"
NEWCOMER_ROW = 1.12  # below the map (the map itself is drawn in [0, 1] x [0, 1])
COLOURS = {"member": "#3e7cb1", "broker": "#e07a1f", "newcomer": "#0b6e4f", "edge": "#c3ccd6"}


@dataclass(frozen=True)
class NetworkMetrics:
    people: int
    ties: int  # pairs who met
    components: int  # of two or more people
    largest: int  # people in the largest component
    density: float
    clustering: float
    isolates: int
    brokers: tuple[tuple[str, float], ...]  # (member id, betweenness), highest first
    newcomers_unconnected: tuple[str, ...]  # member ids, sorted
    estimated: bool = False  # brokerage estimated from a sample


def build_graph(everyone: Mapping[str, Person], ties: Iterable[Tie], day: date, events_together: int = 3) -> nx.Graph:
    """Members on `day` and the pairs among them who had met by then (sorted: a deterministic graph).

    A pair has met when a confirmed tie joins them, or when they attended `events_together` events together
    (one event in a shared room says little; several usually mean they know each other). 0: events never count.
    """
    nodes = sorted(m for m, p in everyone.items() if p.member_on(day))
    present = set(nodes)
    met: set[tuple[str, str]] = set()
    shared: dict[tuple[str, str], set[str]] = {}
    for t in ties:
        if t.met_on > day or t.a == t.b or t.a not in present or t.b not in present:
            continue
        if t.source in CONFIRMED:
            met.add((t.a, t.b))
        elif t.source == "event" and events_together > 0:
            shared.setdefault((t.a, t.b), set()).add(t.ref)
    met.update(pair for pair, refs in shared.items() if len(refs) >= events_together)
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(sorted(met))
    return graph


def measure(graph: nx.Graph, everyone: Mapping[str, Person], day: date, *, brokers: int = 5,
            newcomer_days: int = 90, sample_above: int = 2000, sample_size: int = 64) -> NetworkMetrics:  # fmt: skip
    n = graph.number_of_nodes()
    isolates = sorted(nx.isolates(graph))
    parts = [c for c in nx.connected_components(graph) if len(c) > 1]
    estimated = n > sample_above
    top: list[tuple[str, float]] = []
    if brokers and graph.number_of_edges():
        k = min(sample_size, n) if estimated else None
        centrality = nx.betweenness_centrality(graph, k=k, seed=_SEED if k else None)
        ranked = sorted(((m, c) for m, c in centrality.items() if c > 0), key=lambda x: (-x[1], x[0]))
        top = [(m, round(c, 4)) for m, c in ranked[:brokers]]
    since = day - timedelta(days=newcomer_days)
    lonely = set(isolates)
    newcomers = tuple(sorted(m for m in lonely if m in everyone and everyone[m].joined >= since))
    return NetworkMetrics(
        people=n,
        ties=graph.number_of_edges(),
        components=len(parts),
        largest=max((len(c) for c in parts), default=0),
        density=round(nx.density(graph), 5) if n > 1 else 0.0,
        clustering=_clustering(graph, estimated),
        isolates=len(isolates),
        brokers=tuple(top),
        newcomers_unconnected=newcomers,
        estimated=estimated,
    )


@dataclass(frozen=True)
class Drawing:
    """Where each drawn person sits (rounded, in [0, 1]), their ties and their size: computed once per map."""

    places: dict[str, tuple[float, float]]
    edges: tuple[tuple[str, str], ...]
    sizes: dict[str, float]


def layout(graph: nx.Graph, metrics: NetworkMetrics, limit: int = 300) -> Drawing:
    """The `limit` best-connected people placed by a seeded spring layout; unconnected newcomers in a row below.

    People with no tie are not laid out (they would ring the picture and crowd out the network); the
    newcomers among them are drawn in a row under the map, since they are the ones to connect next.
    """
    chosen = sorted((m for m in graph.nodes if graph.degree(m)), key=lambda m: (-graph.degree(m), m))[:limit]
    drawn = nx.Graph()
    drawn.add_nodes_from(sorted(chosen))
    drawn.add_edges_from(sorted((a, b) if a < b else (b, a) for a, b in graph.subgraph(chosen).edges))
    places = _pack(drawn)
    newcomers = list(metrics.newcomers_unconnected[: max(1, limit // 5)])
    for i, m in enumerate(newcomers):
        places[m] = (round((i + 0.5) / len(newcomers), 4), NEWCOMER_ROW)
    sizes = {m: round(min(3 + graph.degree(m) ** 0.5, 9), 1) for m in places}
    return Drawing(places, tuple(sorted(drawn.edges)), sizes)


def _clustering(graph: nx.Graph, estimated: bool) -> float:
    """The average clustering coefficient; in a large network estimated from 20,000 seeded trials."""
    if not graph.number_of_nodes():
        return 0.0
    if estimated:
        from networkx.algorithms.approximation import average_clustering

        return round(average_clustering(graph, trials=20_000, seed=_SEED), 3)
    return round(nx.average_clustering(graph), 3)


def _pack(drawn: nx.Graph) -> dict[str, tuple[float, float]]:
    """Each connected group laid out on its own (seeded spring layout), the largest in the main area and the
    smaller ones in a grid beside it: one layout of everything would push small groups to the rim and
    squeeze the network into the middle."""
    groups = sorted((sorted(c) for c in nx.connected_components(drawn)), key=lambda c: (-len(c), c[0]))
    if not groups:
        return {}
    rest = groups[1:]
    cols = 2 if len(rest) <= 16 else 4
    rows = max(1, -(-len(rest) // cols))
    boxes = [(0.0, 0.0, 0.74 if rest else 1.0, 1.0)]
    boxes += [(0.77 + (i % cols) * 0.23 / cols, (i // cols) / rows, 0.23 / cols, 1 / rows) for i in range(len(rest))]
    places: dict[str, tuple[float, float]] = {}
    for group, (x0, y0, w, h) in zip(groups, boxes, strict=True):
        pos = nx.spring_layout(_ordered(drawn, group), seed=_SEED, iterations=60)
        xs, ys = [float(p[0]) for p in pos.values()], [float(p[1]) for p in pos.values()]
        for m, (x, y) in pos.items():
            fx = (float(x) - min(xs)) / (max(xs) - min(xs)) if max(xs) > min(xs) else 0.5
            fy = (float(y) - min(ys)) / (max(ys) - min(ys)) if max(ys) > min(ys) else 0.5
            places[m] = (round(x0 + w * (0.08 + 0.84 * fx), 4), round(y0 + h * (0.08 + 0.84 * fy), 4))
    return places


def _ordered(graph: nx.Graph, nodes: list[str]) -> nx.Graph:
    """The subgraph on `nodes` as a graph of its own, nodes and edges in sorted order.

    `graph.subgraph(nodes)` iterates its nodes in the order of a set (networkx's filter), which changes with
    Python's hash seed from one process to the next; the seeded layout depends on that order, so the map (and
    the report's ledger key) changed on every run."""
    sub = nx.Graph()
    sub.add_nodes_from(sorted(nodes))
    sub.add_edges_from(sorted((a, b) if a < b else (b, a) for a, b in graph.subgraph(nodes).edges))
    return sub


def map_svg(drawing: Drawing, metrics: NetworkMetrics, *, title: str, legend: Mapping[str, str],
            names: Mapping[str, str] | None = None, width: int = 640, height: int = 480) -> str:  # fmt: skip
    """The map as inline SVG, brokers and unconnected newcomers marked; names only when `names` is given."""
    pad, top, key_h = 24, 30, 26
    plot_w, plot_h = width - 2 * pad, (height - top - key_h - pad) / NEWCOMER_ROW
    pos = drawing.places

    def xy(m: str) -> tuple[float, float]:
        x, y = pos[m]
        return round(pad + x * plot_w, 1), round(top + y * plot_h, 1)

    brokers = {m for m, _ in metrics.brokers}
    lonely = set(metrics.newcomers_unconnected)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{_FONT}" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{pad}" y="20" font-size="14" font-weight="600" fill="#1f2933">{escape(title)}</text>',
        f'<g stroke="{COLOURS["edge"]}" stroke-width="0.6">',
    ]
    for a, b in drawing.edges:
        (x1, y1), (x2, y2) = xy(a), xy(b)
        parts.append(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}"/>')
    parts.append('</g><g stroke="#ffffff" stroke-width="0.8">')
    for m in sorted(pos):
        kind = "broker" if m in brokers else "newcomer" if m in lonely else "member"
        r = drawing.sizes[m]
        x, y = xy(m)
        parts.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="{COLOURS[kind]}"/>')
    parts.append("</g>")
    if names is not None:
        for m in sorted(brokers & set(pos)):
            x, y = xy(m)
            parts.append(f'<text x="{x + 8}" y="{y + 4}" fill="#1f2933" font-weight="600">'
                         f"{escape(names.get(m, '') or '?')}</text>")  # fmt: skip
    x = pad
    for kind in ("member", "broker", "newcomer"):
        label = legend.get(kind, kind)
        parts.append(f'<circle cx="{x + 5}" cy="{height - 14}" r="5" fill="{COLOURS[kind]}"/>'
                     f'<text x="{x + 14}" y="{height - 10}" fill="#52606d">{escape(label)}</text>')  # fmt: skip
        x += 30 + 8 * sum(2 if ord(c) > 0x2E80 else 1 for c in label)
    parts.append("</svg>")
    return "".join(parts)


def change(now: NetworkMetrics, before: NetworkMetrics) -> dict[str, float]:
    """Each metric's change since the quarter before (positive: more)."""
    keys: Sequence[str] = ("people", "ties", "components", "largest", "density", "clustering", "isolates")
    out = {k: round(float(getattr(now, k)) - float(getattr(before, k)), 5) for k in keys}
    out["newcomers_unconnected"] = len(now.newcomers_unconnected) - len(before.newcomers_unconnected)
    return out
