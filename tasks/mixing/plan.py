"""group-mixer's plan, pure: attendees -> groups -> the Groups tab, table cards, ties and participant emails.

Reads nothing itself: the read room hands in the members (as synced into the state database), the
attendance and Groups tabs as grids, the events' titles and the recorded ties. Everything here is what
`--dry-run` shows.

* The Groups tab is ours: one row per person, round and event (event_id, round, group, member_id, name,
  role). Rows of other events stay; this event's rows are replaced, in one batch of cells.
* Re-running with the same parameters gives the same groups, so nothing is written or sent again; a
  re-mix (another seed or size) replaces the event's groups and ties, and emails only the people whose
  groups changed.
* History leaves out this event's own groups, so a re-run is never steered by its own earlier output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from prefect.cache_policies import NO_CACHE
from pydantic import BeforeValidator

from connectors.mail import Message
from connectors.tables import Cell, Grid
from tasks.common.attendance import Attendance, Event, RejectedRow, attended, events, next_event, parse_attendance
from tasks.common.dates import parse_date
from tasks.common.prefect_task import task
from tasks.common.text import normalise_email
from tasks.common.ties import Tie, event_ties, group_ties, history
from tasks.mixing.handouts import digest, participant_messages, table_cards
from tasks.mixing.mix import Mix, MixError, MixMetrics, MixSpec, Participant, evaluate, mix, random_split
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action, ProgressFn
from weaver.progress import StepProgress

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


# what `balance` may name (weaver.config.BALANCE_FIELDS): the run form offers them as choices
BalanceField = Literal["region", "org_type", "language", "newcomer", "organisation", "timezone"]


def attribute_list(value: object) -> object:
    """`region, language` (the command line's form; Chinese commas too) -> ["region", "language"]."""
    if isinstance(value, str):
        return [b.strip() for b in value.replace("，", ",").split(",") if b.strip()]
    return value


# group-mixer's `balance`: a list of attributes (a multi-select in the UI), or the same as comma-separated text
Balance = Annotated[list[BalanceField], BeforeValidator(attribute_list)]


def mix_params(
    config: WeaverConfig,
    today: date,
    *,
    event_id: str = "",
    group_size: int = 0,
    group_count: int = 0,
    rounds: int = 0,
    seed: int = 0,
    balance: str | Sequence[str] = "",
    keep_together: str = "",
    keep_apart: str = "",
    attendees: str = "",
    email_participants: bool | None = None,
) -> MixParams:
    """The flow's parameters as the typed request; 0 and None fall back to [mixing] in weaver.toml."""
    cfg = config.mixing
    return MixParams(
        event_id=event_id.strip(),
        group_size=group_size or cfg.group_size,
        group_count=group_count or None,
        rounds=rounds or cfg.rounds,
        seed=seed,
        balance=tuple(
            b.strip()
            for b in (balance.replace("，", ",").split(",") if isinstance(balance, str) else balance)
            if b.strip()
        ),  # fmt: skip
        keep_together=parse_sets(keep_together),
        keep_apart=parse_sets(keep_apart),
        attendees=tuple(a for s in parse_sets(attendees) for a in s),
        email=cfg.email_participants if email_participants is None else email_participants,
        today=today,
    )


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
    title: str = ""  # the event's title where the events tab has one
    names: dict[str, str] = field(default_factory=dict)  # member id -> name, for the report's group table

    @property
    def digest(self) -> str:
        return digest(repr(self.mix.rounds))

    @property
    def actions(self) -> list[Action]:
        """The Groups tab write and the ties, each one idempotent action keyed by what it writes."""
        out = []
        if self.cells:
            written = digest("".join(f"{c.row}\x1f{c.col}\x1f{c.value}\x1e" for c in self.cells))
            out.append(Action(f"sheet-write:{self.tab}:{written}", "sheet-write",
                              f"write {len(self.cells)} cells of {self.tab} for {self.event.event_id}",
                              idempotent=True))  # fmt: skip
        out.append(Action(f"ties:groups:{self.event.event_id}:{self.digest}", "ties",
                          f"record {len(self.ties)} group ties of {self.event.event_id}", idempotent=True))  # fmt: skip
        return out


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
                   ties: Sequence[Tie], config: WeaverConfig, params: MixParams, lang: str,
                   titles: Mapping[str, str] | None = None,
                   progress: ProgressFn | None = None) -> GroupPlan:  # fmt: skip
    """The whole mix, pure; `titles` (event id -> title, from the events tab) name the event to people;
    `progress(iterations, max_iterations)` follows the search."""
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
    result = mix(room, spec, past, progress)
    baseline = evaluate(random_split(room, spec), room, spec, past)
    cells = plan_groups_tab(groups_grid, event, result, members, lang)
    formed = group_ties(result.rounds, event.event_id, event.day)
    title = (titles or {}).get(event.event_id, "")
    messages = participant_messages(event, result, members, config, lang, title) if params.email else []
    cards = table_cards(event, result, members, config.network.name, lang, title)
    names = {m: str(members[m].get("name") or m) for m in event.attendees}
    return GroupPlan(event, result, baseline, room, unknown, rejected, cells, formed, messages, cards, cfg.groups_tab,
                     title, names)  # fmt: skip


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


def plan_group_mix_reporting(members: Mapping[str, Mapping[str, Any]], attendance_grid: Grid, groups_grid: Grid,
                             ties: Sequence[Tie], config: WeaverConfig, params: MixParams, lang: str,
                             titles: Mapping[str, str] | None = None) -> GroupPlan:  # fmt: skip
    """`plan_group_mix` showing the search's progress in the run: a log line every 2 s and a progress bar."""
    progress = StepProgress("group-mixer: mixing (search steps)")
    return plan_group_mix(members, attendance_grid, groups_grid, ties, config, params, lang, titles, progress)


plan_group_mix_task = task(name="plan-group-mix", cache_policy=NO_CACHE)(plan_group_mix_reporting)
