"""group-mixer, report: the typed summary and the report a coordinator reads (names and titles, not ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasks.common.delivery import Delivery
from tasks.mixing.mix import Notice
from tasks.mixing.plan import GroupPlan
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class MixSummary(Summary):
    event: str  # the event id (what the `event_id` parameter takes)
    people: int
    rounds: int
    groups: int  # in the first round
    new_pairs: int
    repeat_pairs: int
    random_split_repeat_pairs: int
    imbalance: dict[str, str] = field(default_factory=dict)  # attribute -> "ours (random …)"
    groups_without_facilitator: int
    attendance_rows_rejected: int
    cells: int
    actions: dict[str, Any] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)
    cards: str


def summarise_mix(plan: GroupPlan, applied: ApplyResult, delivery: Delivery | None, cards: Path) -> MixSummary:
    m, rnd = plan.mix.metrics, plan.baseline
    return MixSummary(
        event=plan.event.event_id,
        people=len(plan.participants),
        rounds=len(plan.mix.rounds),
        groups=[len(groups) for groups in plan.mix.rounds][0],
        new_pairs=m.new_pairs,
        repeat_pairs=m.repeat_pairs,
        random_split_repeat_pairs=rnd.repeat_pairs,
        imbalance={k: f"{v:.3f} (random {rnd.imbalance.get(k, 0):.3f})" for k, v in m.imbalance.items()},
        groups_without_facilitator=m.groups_without_facilitator,
        attendance_rows_rejected=len(plan.rejected),
        cells=len(plan.cells),
        actions=applied.counts(),
        emails=delivery.summary() if delivery else {},
        cards=str(cards),
    )


def build_mix_report(plan: GroupPlan, delivery: Delivery | None, cards: Path, lang: str, dry_run: bool) -> Report:
    m = plan.mix
    sizes = sorted({len(g) for groups in m.rounds for g in groups}, reverse=True)
    event = f"{plan.title} ({plan.event.event_id})" if plan.title else plan.event.event_id
    report = Report("group-mixer", t("mix.title", lang), lang)
    report.summary = [
        (t("mix.s.event", lang), event),
        (t("mix.s.date", lang), plan.event.day.isoformat()),
        (t("mix.s.attendees", lang), str(len(plan.participants))),
        (t("mix.s.rounds", lang), str(len(m.rounds))),
        (t("mix.s.sizes", lang), " / ".join(map(str, sizes))),
        (t("mix.s.search", lang), f"{m.iterations} iterations, {m.stopped_by}, {m.seconds:.1f} s"),
        (t("mix.s.cells", lang), str(len(plan.cells))),
        (t("mix.s.emails", lang), _emails(delivery)),
        (t("mix.s.cards", lang), cards.name),
    ]
    if dry_run:
        report.notes.append(t("mix.dry_run", lang))
    report.notes += [notice_text(n, lang) for n in m.notices]
    if plan.unknown_attendees:  # ids no member has: there is no name to show
        report.notes.append(t("mix.notice.unknown_attendee", lang, ids=", ".join(plan.unknown_attendees)))
    headers = ["", t("col.ours", lang), t("col.random", lang)]
    report.tables.append(Table(t("mix.t.metrics", lang), headers, metrics_rows(plan, lang)))
    report.tables.append(_groups_table(plan, lang))
    rejected = [[str(r.row), r.reason] for r in plan.rejected]
    report.tables.append(Table(t("mix.t.rejected", lang), [t("col.row", lang), t("col.reason", lang)], rejected))
    return report


def _groups_table(plan: GroupPlan, lang: str) -> Table:
    """Who sits together, by name (the Groups tab beside it keeps the member ids for lookups)."""
    name = lambda m: plan.names.get(m, m)  # noqa: E731
    rows = [[str(r + 1), str(g + 1), ", ".join(sorted(map(name, people)))] for r, groups in enumerate(plan.mix.rounds)
            for g, people in enumerate(groups)]  # fmt: skip
    head = [t("col.round", lang), t("col.group", lang), t("col.members", lang)]
    return Table(t("mix.t.groups_named", lang), head, rows)


def _emails(delivery: Delivery | None) -> str:
    if delivery is None:
        return "-"
    return ", ".join(f"{k} {v}" for k, v in delivery.summary().items() if v)


def metrics_rows(plan: GroupPlan, lang: str) -> list[list[str]]:
    """Ours beside a random split of the same room (the figures a coordinator judges the mix by)."""
    ours, rnd = plan.mix.metrics, plan.baseline

    def row(key: str, a: object, b: object) -> list[str]:
        return [t(key, lang), str(a), str(b)]

    rows = [
        row("mix.m.new_pairs", ours.new_pairs, rnd.new_pairs),
        row("mix.m.repeat_pairs", ours.repeat_pairs, rnd.repeat_pairs),
        row("mix.m.history_repeats", ours.history_repeats, rnd.history_repeats),
        row("mix.m.round_repeats", ours.round_repeats, rnd.round_repeats),
        row("mix.m.no_facilitator", ours.groups_without_facilitator, rnd.groups_without_facilitator),
    ]
    rows += [row("mix.m.imbalance", "", "")[:1] + [f"{name}: {ours.imbalance[name]:.3f}",
             f"{name}: {rnd.imbalance.get(name, 0):.3f}"] for name in ours.imbalance]  # fmt: skip
    return rows


def notice_text(notice: Notice, lang: str) -> str:
    return t(f"mix.notice.{notice.code}", lang, **notice.values)
