"""event-invites, plan (pure): the sources and the state -> the messages, chat posts, calendar feed, seats.

No I/O here: the plan is exactly what a dry run shows, and what apply performs. Each phase is one plain
function and one thin task over the whole batch (never one task per member or event).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.calendar import google_event_id
from connectors.mail import Message
from tasks.common.audience import AudienceError, parse_audience
from tasks.common.links import LinkMaker
from tasks.common.prefect_task import task
from tasks.decisions.decisions import calendar_closes
from tasks.events.calendar import Deadline, Person, Published, calendar_feed, parse_deadlines
from tasks.events.events import (
    CALENDAR_PURPOSES,
    Decision,
    Event,
    EventProblem,
    Intent,
    PlanInputs,
    Sent,
    decide,
    events_from_google,
    parse_events,
    plan_event,
    read_sent,
)
from tasks.events.messages import Context, build_messages, format_span
from tasks.events.read import Sources, State
from tasks.events.reminders import parse_offsets, parse_quiet_hours
from tasks.events.rsvps import (
    Answer,
    Collected,
    Directory,
    Unusable,
    assign_seats,
    calendar_answers,
    inbox_answers,
    latest,
    merge,
    tab_answers,
)
from tasks.funders.funders import calendar_deadlines
from weaver.config import WeaverConfig
from weaver.errors import ConfigError
from weaver.i18n import t
from weaver.ledger import Action

FLOW = "event-invites"


def uses_google(config: WeaverConfig) -> bool:
    """Whether this network reads its events from, or publishes them to, a Google calendar."""
    return config.events.source == "google_calendar" or config.calendar.target == "google_calendar"


def sender_of(config: WeaverConfig) -> Person:
    """The organizer every invitation names: the network's own mail sender."""
    return Person(config.mail.from_address, config.mail.from_name)


@dataclass
class EventLine:
    """One event in the report: counts only."""

    event: Event
    decision: Decision
    audience: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    declined: int = 0


@dataclass(frozen=True)
class GoogleEvent:
    """An event for the Google Calendar target: its resource, and who was invited before and now."""

    body: dict[str, Any]
    previous: tuple[str, ...]  # addresses of earlier invitees
    new: tuple[str, ...]  # addresses invited in this run

    def with_attendees(self, refused: set[str]) -> dict[str, Any]:
        emails = sorted((set(self.previous) | set(self.new)) - refused)
        return {**self.body, "attendees": [{"email": e} for e in emails]}


@dataclass
class InvitesPlan:
    now: datetime
    lines: list[EventLine]
    problems: list[EventProblem]
    intents: list[Intent]
    messages: list[Message]
    announcements: list[Action]
    feed: str
    versions: list[dict[str, Any]]
    rsvp_rows: list[dict[str, Any]]
    seat_rows: list[dict[str, Any]]
    rsvp_unusable: list[Unusable]
    inbox_processed: list[str]
    rsvps_read: int
    google_events: dict[str, GoogleEvent]
    google_sync: tuple[str, str | None, dict[str, Any]] | None = None
    missing_tabs: list[str] = field(default_factory=list)
    checkin_events: list[dict[str, Any]] = field(default_factory=list)  # what a check-in link's page shows


def _parse(config: WeaverConfig, sources: Sources) -> tuple[list[Event], list[EventProblem]]:
    net, lang = config.network, config.network.default_language
    if sources.google_items is not None:
        return events_from_google(sources.google_items, config.events, net.timezone, lang)
    grid = sources.events_grid or []
    return parse_events(grid, config.events, config.tabs.events, net.timezone, lang, sources.source_name)


def _select(events: list[Event], only_event: str, audience: str, lang: str) -> list[Event]:
    """The events this run acts on: all, or one named by the 'event' parameter (with an 'audience' override)."""
    if not only_event:
        if audience:
            raise ConfigError("parameter 'audience' needs the parameter 'event' (the event it is for)")
        return events
    chosen = [e for e in events if e.event_id == only_event]
    if not chosen:
        raise ConfigError(f"parameter 'event': no usable event {only_event!r} in the events source")
    if audience:
        try:
            override = parse_audience(audience, lang)
        except AudienceError as err:
            raise ConfigError(f"parameter 'audience' (event {only_event}): {err}") from None
        chosen = [replace(chosen[0], audience=override)]
    return chosen


def _collect_rsvps(config: WeaverConfig, sources: Sources, state: State, known_events: set[str], now: datetime,
                   google_ids: Mapping[str, str] | None = None,
                   ) -> tuple[Collected, Collected, dict[tuple[str, str, str], Answer]]:  # fmt: skip
    lang = config.network.default_language
    people = Directory({m["email"]: m["member_id"] for m in state.members},
                       frozenset(m["member_id"] for m in state.members), frozenset(known_events))  # fmt: skip
    stored = {(a.event_id, a.member_id, a.source): a for a in state.answers}
    zone = ZoneInfo(config.network.timezone)
    tab = tab_answers(sources.rsvp_grid, config.events, config.tabs.rsvps, people, stored, zone, now, lang)
    inbox = inbox_answers(state.inbox, config.events, people, lang)
    calendar = calendar_answers(sources.google_items or [], google_ids or {}, people, stored, now)
    inbox.answers += calendar.answers  # Google Calendar's Accept/Decline: RSVPs of the source "calendar"
    return tab, inbox, merge(state.answers, [*tab.answers, *inbox.answers])


def _seats(decisions: Sequence[Decision], effective: Mapping[tuple[str, str], Answer],
           previous: Mapping[tuple[str, str], str]) -> dict[tuple[str, str], str]:  # fmt: skip
    """Seats of upcoming live events after this run's answers; past and cancelled events keep theirs."""
    seats = dict(previous)
    for d in decisions:
        if not d.live:
            continue
        answers = {m: a for (e, m), a in effective.items() if e == d.event.event_id}
        before = {m: s for (e, m), s in previous.items() if e == d.event.event_id}
        seats.update({(d.event.event_id, m): s for m, s in assign_seats(d.event.capacity, answers, before).items()})
    return seats


def plan_event_invites(config: WeaverConfig, sources: Sources, state: State, now: datetime, *, sender: Person,
                       only_event: str = "", audience: str = "", links: LinkMaker | None = None,
                       ) -> InvitesPlan:  # fmt: skip
    """The whole plan, pure: what a dry run shows and what apply performs."""
    lang, net = config.network.default_language, config.network
    events, problems = _parse(config, sources)
    selected = {e.event_id: e for e in _select(events, only_event, audience, lang)}
    events = [selected.get(e.event_id, e) for e in events]
    decisions = [decide(e, state.versions.get(e.event_id), now) for e in events]
    chosen = [d for d in decisions if d.event.event_id in selected]
    known = {e.event_id for e in events} | {p.event_id for p in problems if p.event_id}
    google_ids = {e.google_id: e.event_id for e in events if e.google_id}
    tab, inbox, merged = _collect_rsvps(config, sources, state, known, now, google_ids)
    effective = latest(merged.values())
    seats = _seats(chosen, effective, state.seats)
    members = {m["member_id"]: m for m in state.members}
    inputs = PlanInputs(
        now=now,
        network_tz=net.timezone,
        offsets=parse_offsets(config.events.reminders),
        quiet=parse_quiet_hours(config.events.quiet_hours),
        members={k: m["fields"] or {} for k, m in members.items()},
        sent=read_sent(state.sent_keys),
        responses={k: a.response for k, a in effective.items()},
        seats=seats,
    )
    intents = [i for d in chosen for i in plan_event(d, inputs)]
    domain = sender.email.rpartition("@")[2]
    ctx = Context(net.name, net.timezone, lang, sender, domain, config.events.rsvp_url, now, links)
    return InvitesPlan(
        now=now,
        lines=[_line(d, inputs, seats) for d in decisions],
        problems=problems,
        intents=intents,
        messages=build_messages(intents, {e.event_id: e for e in events}, members, ctx),
        announcements=_announcements(chosen, inputs.sent, ctx, lang),
        feed=_feed(config, sources, decisions, ctx, lang),
        versions=[d.version for d in chosen if d.version],
        checkin_events=[checkin_row(d.event) for d in chosen if d.upcoming and d.event.status == "scheduled"],
        rsvp_rows=[a.row() for a in merged.values()],
        seat_rows=[
            {"event_id": e, "member_id": m, "seat": s} for (e, m), s in seats.items() if state.seats.get((e, m)) != s
        ],  # fmt: skip
        rsvp_unusable=tab.unusable + inbox.unusable,
        inbox_processed=inbox.processed,
        rsvps_read=len(tab.answers) + len(inbox.answers),
        google_events=_google_events(chosen, intents, inputs, members, config),
        google_sync=sources.google_sync,
        missing_tabs=sources.missing_tabs,
    )


def checkin_row(event: Event) -> dict[str, Any]:
    return {"event_id": event.event_id, "title": event.title, "starts_at": event.start, "ends_at": event.end,
            "timezone": event.timezone, "status": event.status}  # fmt: skip


def _line(decision: Decision, inputs: PlanInputs, seats: Mapping[tuple[str, str], str]) -> EventLine:
    event = decision.event
    today = inputs.now.astimezone(ZoneInfo(inputs.network_tz)).date()
    mine = Counter(s for (e, _m), s in seats.items() if e == event.event_id)
    audience = sum(1 for f in inputs.members.values() if event.audience.matches(f, today)) if decision.live else 0
    return EventLine(event, decision, audience, mine["confirmed"], mine["waitlisted"], mine["declined"])


def _announcements(decisions: Sequence[Decision], sent: Mapping[str, Sent], ctx: Context, lang: str) -> list[Action]:
    """One chat post per published version: a new event, a change, a cancellation."""
    out = []
    for d in decisions:
        if not (d.live or (d.change.startswith("cancelled") and d.sequence > 0)):
            continue
        key = f"announce:{d.event.event_id}:seq{d.sequence}"
        if key in sent.get(d.event.event_id, Sent()).keys:
            continue
        kind = "cancelled" if not d.live else ("new" if d.sequence == 0 else "changed")
        title = t(f"chat.{kind}", lang, title=d.event.title)
        when = format_span(d.event.start, d.event.end, ZoneInfo(d.event.timezone), lang)
        body = "\n".join(x for x in (when, d.event.place, _rsvp(ctx, d.event) if d.live else "") if x)
        out.append(Action(key, "chat", f"chat post: {kind} {d.event.event_id}", {"title": title, "body": body}))
    return out


def _rsvp(ctx: Context, event: Event) -> str:
    return ctx.rsvp_url.replace("{event_id}", event.event_id) if ctx.rsvp_url else ""


def _feed(config: WeaverConfig, sources: Sources, decisions: Sequence[Decision], ctx: Context, lang: str) -> str:
    items = [Published(d.event, d.sequence, d.version["changed_at"] if d.version else ctx.now)  # type: ignore[arg-type]
             for d in decisions if d.live]  # fmt: skip
    today = ctx.now.astimezone(ZoneInfo(config.network.timezone)).date()
    deadlines = parse_deadlines(sources.opportunities_grid, today, config.grants.columns)
    report = t("calendar.funder_report", lang)
    deadlines += [Deadline(row, report, funder, day) for row, funder, day in
                  calendar_deadlines(sources.funders_grid, config.funders, today)]  # fmt: skip
    closes = t("calendar.decision_closes", lang)
    deadlines += [Deadline(row, title, closes, day) for row, title, day in
                  calendar_closes(sources.proposals_grid, config.decisions, today, lang)]  # fmt: skip
    name = config.calendar.name or config.network.name
    label = t("calendar.deadline", lang)
    return calendar_feed(items, deadlines, name, config.network.timezone, ctx.domain, ctx.now, label)


def _google_events(
    decisions: Sequence[Decision],
    intents: Sequence[Intent],
    inputs: PlanInputs,
    members: Mapping[str, Mapping[str, Any]],
    config: WeaverConfig,
) -> dict[str, GoogleEvent]:
    """Google Calendar target: each event with invitations planned, and its attendees (consent checked in apply)."""
    if config.calendar.target != "google_calendar":
        return {}
    out = {}
    for d in decisions:
        mine = {i.member_id for i in intents if i.event_id == d.event.event_id and i.purpose in CALENDAR_PURPOSES}
        if not mine:
            continue
        before = inputs.sent.get(d.event.event_id, Sent()).invitees
        email = lambda ids: tuple(sorted(members[m]["email"] for m in ids if m in members))  # noqa: E731
        body = google_body(d.event, cancelled=not d.live, network=config.network.name)
        out[d.event.event_id] = GoogleEvent(body, email(before - mine), email(mine))
    return out


def google_body(event: Event, cancelled: bool, network: str) -> dict[str, Any]:
    """A Calendar v3 event resource with our deterministic id."""
    body: dict[str, Any] = {
        "id": event.google_id or google_event_id(event.event_id, network),
        "summary": event.title,
        "start": {"dateTime": event.start.isoformat(), "timeZone": event.timezone},
        "end": {"dateTime": event.end.isoformat(), "timeZone": event.timezone},
        "status": "cancelled" if cancelled else "confirmed",
        "extendedProperties": {"private": {"weaverEventId": event.event_id}},
    }
    if event.place:
        body["location"] = event.place
    if event.description:
        body["description"] = event.description
    return body


def event_ids_of(config: WeaverConfig, sources: Sources) -> list[str]:
    """The ids in the source, for reading the ledger before planning (bad rows included: they may have history)."""
    if sources.google_items is not None:
        return sorted({str(i.get("id", "")) for i in sources.google_items} - {""})
    events, problems = _parse(config, sources)
    return sorted({e.event_id for e in events} | {p.event_id for p in problems if p.event_id})


def split_messages(plan: InvitesPlan, config: WeaverConfig) -> tuple[list[Message], list[Message]]:
    """(by email, through Google Calendar): with a Google target, Google sends the invitations."""
    if config.calendar.target != "google_calendar":
        return plan.messages, []
    by_google = {i.key for i in plan.intents if i.purpose in CALENDAR_PURPOSES}
    return [m for m in plan.messages if m.key not in by_google], [m for m in plan.messages if m.key in by_google]


plan_event_invites_task = task(name="plan-event-invites", cache_policy=NO_CACHE)(plan_event_invites)
