"""group-mixer's plan, pure: attendees -> groups -> the Groups tab, table cards, ties and participant emails.

Reads nothing itself: the flow hands in the members (as synced into the state database), the attendance
and Groups tabs as grids, and the recorded ties. Everything here is what `--dry-run` shows.

* The Groups tab is ours: one row per person, round and event (event_id, round, group, member_id, name,
  role). Rows of other events stay; this event's rows are replaced, in one batch of cells.
* Re-running with the same parameters gives the same groups, so nothing is written or sent again; a
  re-mix (another seed or size) replaces the event's groups and ties, and emails only the people whose
  groups changed.
* History leaves out this event's own groups, so a re-run is never steered by its own earlier output.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from connectors.tables import Cell, Grid, TableBackend
from tasks.common.attendance import Attendance, Event, RejectedRow, attended, events, next_event, parse_attendance
from tasks.common.dates import parse_date
from tasks.common.messages import render
from tasks.common.text import normalise_email
from tasks.common.ties import Tie, event_ties, group_ties, history, save_ties
from tasks.mixing.mix import Mix, MixError, MixMetrics, MixSpec, Notice, Participant, evaluate, mix, random_split
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.models import split_list
from weaver.state import StateDB

GROUP_HEADERS = ("event_id", "round", "group", "member_id", "name", "role")
TRAITS = ("region", "org_type", "language", "organisation", "timezone")


@dataclass(frozen=True)
class MixParams:
    """The coordinator's request (the flow's parameters, typed)."""

    event_id: str = ""  # empty: the next event with registrations
    group_size: int | None = None
    group_count: int | None = None
    rounds: int = 1
    seed: int = 0
    balance: tuple[str, ...] = ()
    keep_together: tuple[tuple[str, ...], ...] = ()
    keep_apart: tuple[tuple[str, ...], ...] = ()
    attendees: tuple[str, ...] = ()  # member ids; empty: from the attendance tab
    email: bool = False
    today: date = field(default_factory=date.today)


def parse_sets(text: str) -> tuple[tuple[str, ...], ...]:
    """'m-1, m-2; m-3 m-4' -> (('m-1', 'm-2'), ('m-3', 'm-4')): sets split by ';', members by ',' or space."""
    sets = []
    for part in text.replace("；", ";").split(";"):
        members = tuple(x for x in part.replace("，", ",").replace(",", " ").split() if x)
        if members:
            sets.append(members)
    return tuple(sets)


@dataclass
class GroupPlan:
    event: Event
    mix: Mix
    baseline: MixMetrics
    participants: list[Participant]
    unknown_attendees: list[str]
    rejected: list[RejectedRow]
    cells: list[Cell]
    ties: list[Tie]
    messages: list[Message]
    cards_html: str
    tab: str

    @property
    def digest(self) -> str:
        return _digest(repr(self.mix.rounds))

    @property
    def actions(self) -> list[Action]:
        """The Groups tab write and the ties, each one idempotent action keyed by what it writes."""
        out = []
        if self.cells:
            digest = _digest("".join(f"{c.row}\x1f{c.col}\x1f{c.value}\x1e" for c in self.cells))
            out.append(Action(f"sheet-write:{self.tab}:{digest}", "sheet-write",
                              f"write {len(self.cells)} cells of {self.tab} for {self.event.event_id}",
                              idempotent=True))  # fmt: skip
        out.append(Action(f"ties:groups:{self.event.event_id}:{self.digest}", "ties",
                          f"record {len(self.ties)} group ties of {self.event.event_id}", idempotent=True))  # fmt: skip
        return out


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# who takes part -----------------------------------------------------------------------------------------
def participants(event: Event, members: Mapping[str, Mapping[str, Any]], newcomer_days: int) -> list[Participant]:
    """The event's attendees with the traits we balance; `newcomer` from the join date before the event."""
    out = []
    for member_id in event.attendees:
        fields = members[member_id]
        traits = {k: str(fields.get(k, "")) for k in TRAITS}
        joined = parse_date(str(fields.get("joined") or ""))
        recent = joined is not None and date.fromisoformat(joined) >= event.day - timedelta(days=newcomer_days)
        traits["newcomer"] = "newcomer" if recent else "veteran"
        out.append(Participant(member_id, traits, member_id in event.facilitators))
    return out


def choose_event(records_events: Mapping[str, Event], params: MixParams, lang: str) -> Event:
    if params.event_id:
        event = records_events.get(params.event_id)
        if event is None and not params.attendees:
            known = ", ".join(sorted(records_events)) or "none"
            raise MixError(t("mix.unknown_event", lang, event=params.event_id, known=known))
        event = event or Event(params.event_id, params.today, (), frozenset())
    else:
        event = next_event(records_events, params.today)
        if event is None:
            raise MixError(t("mix.no_event", lang))
    if params.attendees:  # the coordinator's own list wins over the tab
        event = Event(event.event_id, event.day, tuple(sorted(set(params.attendees))), event.facilitators)
    return event


def mixing_history(ties: Sequence[Tie], event: Event, weights: Mapping[str, float],
                   records: Sequence[Attendance]) -> dict[tuple[str, str], float]:  # fmt: skip
    """Recorded ties plus co-attendance of earlier events in the tab, without this event's own ties."""
    past = [e for e in attended(records, before=event.day).values() if e.event_id != event.event_id]
    derived = [x for e in past for x in event_ties(e.attendees, e.event_id, e.day)]
    return history([*ties, *derived], weights, exclude_prefix=event.event_id)


def colleagues(room: Sequence[Participant]) -> dict[tuple[str, str], float]:
    """People of the same organisation know each other already: mixing should not seat them together."""
    by_org: dict[str, list[str]] = {}
    for p in room:
        org = p.traits.get("organisation", "").casefold()
        if org:
            by_org.setdefault(org, []).append(p.id)
    return {(a, b): 1.0 for ids in by_org.values() for i, a in enumerate(sorted(ids)) for b in sorted(ids)[i + 1 :]}


# the plan -------------------------------------------------------------------------------------------------
def plan_group_mix(members: Mapping[str, Mapping[str, Any]], attendance_grid: Grid, groups_grid: Grid,
                   ties: Sequence[Tie], config: WeaverConfig, params: MixParams,
                   lang: str) -> GroupPlan:  # fmt: skip
    cfg = config.mixing
    by_email = {normalise_email(str(f.get("email", ""))): m for m, f in members.items()}
    records, rejected = parse_attendance(attendance_grid, cfg.attendance_tab, by_email, set(members), lang)
    all_events = events(records)
    event = choose_event(all_events, params, lang)
    unknown = [m for m in event.attendees if m not in members]
    event = Event(event.event_id, event.day, tuple(m for m in event.attendees if m in members), event.facilitators)
    room = participants(event, members, cfg.newcomer_days)
    spec = MixSpec(
        rounds=params.rounds,
        group_size=params.group_size if params.group_count is None else None,
        group_count=params.group_count,
        balance={name: cfg.balance.get(name, 1.0) for name in params.balance},
        keep_together=params.keep_together,
        keep_apart=params.keep_apart,
        seed=params.seed,
        max_iterations=cfg.max_iterations,
        patience=max(500, cfg.max_iterations // 3),
        time_limit=cfg.time_limit_seconds,
    )
    past = mixing_history(ties, event, cfg.history_weights, records)
    if cfg.colleagues_have_met:
        past.update(colleagues(room))
    result = mix(room, spec, past)
    baseline = evaluate(random_split(room, spec), room, spec, past)
    cells = plan_groups_tab(groups_grid, event, result, members, lang)
    formed = group_ties(result.rounds, event.event_id, event.day)
    messages = participant_messages(event, result, members, config, lang) if params.email else []
    cards = table_cards(event, result, members, config.network.name, lang)
    return GroupPlan(event, result, baseline, room, unknown, rejected, cells, formed, messages, cards, cfg.groups_tab)


def group_rows(event: Event, result: Mix, members: Mapping[str, Mapping[str, Any]], lang: str) -> list[list[str]]:
    """One row per person, round and group; the facilitator first in each group."""
    rows = []
    leads = event.facilitators
    for r, groups in enumerate(result.rounds):
        for g, people in enumerate(groups):
            for m in sorted(people, key=lambda m: (m not in leads, m)):
                role = t("mix.role.facilitator", lang) if m in leads else ""
                rows.append([event.event_id, str(r + 1), str(g + 1), m, str(members[m].get("name", "")), role])
    return rows


def plan_groups_tab(grid: Grid, event: Event, result: Mix, members: Mapping[str, Mapping[str, Any]],
                    lang: str) -> list[Cell]:  # fmt: skip
    """Cells that make the tab hold other events' rows as they were, then this event's rows."""
    width = len(GROUP_HEADERS)
    current = [(list(r) + [""] * width)[:width] for r in grid] or [list(GROUP_HEADERS)]
    header = current[0] if any(current[0]) else list(GROUP_HEADERS)
    kept = [r for r in current[1:] if r[0] != event.event_id and any(r)]
    wanted = [header, *kept, *group_rows(event, result, members, lang)]
    cells = []
    for i in range(max(len(wanted), len(current))):
        want = wanted[i] if i < len(wanted) else [""] * width
        have = current[i] if i < len(current) else [""] * width
        cells += [Cell(i + 1, c + 1, want[c]) for c in range(width) if want[c] != have[c]]
    return cells


# what people read -----------------------------------------------------------------------------------------
def _interests(fields: Mapping[str, Any]) -> list[str]:
    return list(split_list(str(fields.get("interests", ""))))


def shared_interests(member_id: str, others: Sequence[str], members: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Other member -> the interests they share with `member_id` (case-insensitive), for introductions."""
    mine = {i.casefold(): i for i in _interests(members[member_id])}
    out = {}
    for other in others:
        common = [i for i in _interests(members[other]) if i.casefold() in mine]
        out[other] = ", ".join(common)
    return out


def table_topics(people: Sequence[str], members: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Interests two or more people at the table share: conversation starters for the card."""
    counts = Counter(i.casefold() for m in people for i in {x.casefold(): x for x in _interests(members[m])})
    names = {i.casefold(): i for m in people for i in _interests(members[m])}
    return [names[k] for k, n in counts.most_common() if n > 1][:4]


def participant_messages(event: Event, result: Mix, members: Mapping[str, Mapping[str, Any]], config: WeaverConfig,
                         lang: str) -> list[Message]:  # fmt: skip
    """One email per participant: their group in each round, the others' names and shared interests."""
    out = []
    for member_id in event.attendees:
        fields = members[member_id]
        rounds = []
        for r, groups in enumerate(result.rounds):
            g, people = next((g, p) for g, p in enumerate(groups) if member_id in p)
            others = [m for m in people if m != member_id]
            shared = shared_interests(member_id, others, members)
            rounds.append({"round": r + 1, "group": g + 1, "mates": [
                {"name": members[m].get("name", ""), "organisation": members[m].get("organisation", ""),
                 "shared": shared[m], "facilitator": m in event.facilitators} for m in others]})  # fmt: skip
        context = {"network_name": config.network.name, "name": fields.get("name", ""), "event_id": event.event_id,
                   "event_date": event.day.isoformat(), "rounds": rounds}  # fmt: skip
        rendered = render("group_assignment", str(fields.get("language", "")), context,
                          config.network.default_language)  # fmt: skip
        mine = _digest(repr([r["group"] for r in rounds]) + repr([[m["name"] for m in r["mates"]] for r in rounds]))
        out.append(Message(f"email:groups:{event.event_id}:{member_id}:{mine}", str(fields.get("email", "")),
                           str(fields.get("name", "")), rendered.subject, rendered.text, rendered.html,
                           rendered.language, member_id, "group_assignment"))  # fmt: skip
    return out


def table_cards(event: Event, result: Mix, members: Mapping[str, Mapping[str, Any]], network: str, lang: str) -> str:
    """Printable cards, one per table and round (two to a page): names, organisations, the facilitator
    marked, and the interests the table shares. They carry names: they are for the tables, not for filing."""
    esc = html.escape
    cards = []
    for r, groups in enumerate(result.rounds):
        for g, people in enumerate(groups):
            ordered = sorted(people, key=lambda m: (m not in event.facilitators, str(members[m].get("name", ""))))
            items = "".join(
                f"<li>{'★ ' if m in event.facilitators else ''}<b>{esc(str(members[m].get('name', '')))}</b>"
                f"<span>{esc(str(members[m].get('organisation', '')))}</span></li>"
                for m in ordered
            )
            topics = ", ".join(table_topics(people, members))
            talk = f"<p class=topics>{esc(t('mix.card.topics', lang))}: {esc(topics)}</p>" if topics else ""
            title = t("mix.card.title", lang, round=r + 1, group=g + 1)
            cards.append(f"<section class=card><h2>{esc(title)}</h2><ul>{items}</ul>{talk}</section>")
    head = esc(t("mix.card.heading", lang, event=event.event_id, date=event.day.isoformat()))
    return (f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{head}</title>'
            f"<style>{_CARD_CSS}</style></head><body><p class=head>{esc(network)} · {head}</p>"
            f"{''.join(cards)}<p class=legend>★ {esc(t('mix.role.facilitator', lang))}</p></body></html>")  # fmt: skip


_CARD_CSS = (
    "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;color:#1f2933}"
    ".head,.legend{color:#627d98;margin:1rem}.card{border:2px solid #0b6e4f;border-radius:12px;margin:1rem;"
    "padding:1rem 1.5rem;page-break-inside:avoid;break-inside:avoid;min-height:40vh}"
    ".card h2{font-size:2rem;color:#0b6e4f;margin:0 0 .5rem}.card ul{list-style:none;padding:0;font-size:1.3rem}"
    ".card li{margin:.3rem 0}.card li span{color:#627d98;margin-left:.6rem;font-size:1rem}"
    ".topics{font-size:1.1rem}@media print{.card:nth-of-type(2n){page-break-after:always}}"
)


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


def apply_group_mix(plan: GroupPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """The Groups tab in one write and the event's group ties (replacing an earlier mix), each once."""

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for action in batch:
            if action.kind == "sheet-write":
                tables.write_cells(plan.tab, plan.cells)
                outcomes.append(Outcome.success(f"{len(plan.cells)} cells"))
            else:
                save_ties(db, plan.ties, replace=("group", plan.event.event_id + "/"))
                outcomes.append(Outcome.success(f"{len(plan.ties)} ties"))
        return outcomes

    return Ledger(db, "group-mixer").apply(plan.actions, perform, dry_run=dry_run)


plan_group_mix_task = task(name="plan-group-mix", cache_policy=NO_CACHE)(plan_group_mix)
apply_group_mix_task = task(name="apply-group-mix", cache_policy=NO_CACHE)(apply_group_mix)
