"""event-invites, phase by phase: read the sources, plan (pure), apply through the ledger, report.

Each phase is one plain function and one thin task over the whole batch (never one task per member or
event). The plan is exactly what a dry run shows: the messages, the calendar file, the chat posts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.calendar import CalendarTarget, SyncTokenExpired, google_event_id
from connectors.chat import ChatChannel
from connectors.mail import Message
from connectors.tables import Grid, TableBackend
from tasks.common.audience import AudienceError, parse_audience
from tasks.common.messages import Delivery, consent_filter
from tasks.events.calendar import Person, Published, calendar_feed, parse_deadlines, same_calendar
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
    key_prefixes,
    parse_events,
    plan_event,
    read_sent,
)
from tasks.events.messages import Context, build_messages, format_span
from tasks.events.reminders import parse_offsets, parse_quiet_hours
from tasks.events.rsvps import (
    Answer,
    Collected,
    Directory,
    Unusable,
    assign_seats,
    inbox_answers,
    latest,
    merge,
    tab_answers,
)
from weaver.config import WeaverConfig
from weaver.errors import ConfigError, SourceError
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.report import Report, Table
from weaver.state import StateDB, ledger_keys_like
from weaver.state.events import (
    load_calendar_sync,
    load_event_versions,
    load_rsvps,
    load_seats,
    save_calendar_sync,
    save_event_versions,
    save_rsvps,
)
from weaver.state.submissions import inbox_entries

FLOW = "event-invites"


# read ---------------------------------------------------------------------------------------------------
@dataclass
class Sources:
    events_grid: Grid | None = None  # the events tab, or
    google_items: list[dict[str, Any]] | None = None  # the Google calendar's events (source = google_calendar)
    google_sync: tuple[str, str | None, dict[str, Any]] | None = None  # (calendar, token, cache) to save
    rsvp_grid: Grid = field(default_factory=list)
    opportunities_grid: Grid = field(default_factory=list)
    missing_tabs: list[str] = field(default_factory=list)
    source_name: str = ""


def _optional_tab(tables: TableBackend, tab: str, missing: list[str]) -> Grid:
    try:
        return tables.read_tab(tab)
    except SourceError:
        missing.append(tab)
        return []


def read_sources(config: WeaverConfig, tables: TableBackend, db: StateDB, calendar: Any | None) -> Sources:
    """One read per tab (events, RSVPs, opportunities), or a sync-token listing of the Google calendar."""
    out = Sources(source_name=tables.describe())
    if config.events.source == "table":
        out.events_grid = tables.read_tab(config.tabs.events)
    else:
        calendar_id = config.calendar.google.calendar_id if config.calendar.google else "primary"
        out.google_items, token, cache = read_google_events(calendar, db, calendar_id)
        out.google_sync = (calendar_id, token, cache)
        out.source_name = "Google Calendar"
    out.rsvp_grid = _optional_tab(tables, config.tabs.rsvps, out.missing_tabs)
    out.opportunities_grid = _optional_tab(tables, config.tabs.opportunities, out.missing_tabs)
    return out


def read_google_events(calendar: Any, db: StateDB, calendar_id: str) -> tuple[list[dict[str, Any]], str | None, dict]:
    """Changes since the last sync token applied to the cached events; a stale token means a full listing."""
    token, cache = load_calendar_sync(db, calendar_id)
    try:
        listing = calendar.list_events(token)
    except SyncTokenExpired:
        token, cache = None, {}
        listing = calendar.list_events(None)
    if token is None:
        cache = {}
    for item in listing.items:
        cache[item["id"]] = {**cache.get(item["id"], {}), **item}  # a deleted event comes back as a stub
    return list(cache.values()), listing.sync_token, cache


@dataclass
class State:
    versions: dict[str, dict[str, Any]]
    answers: list[Answer]
    seats: dict[tuple[str, str], str]
    sent_keys: list[tuple[str, datetime]]
    members: list[dict[str, Any]]
    inbox: list[dict[str, Any]]


def load_state(db: StateDB, event_ids: Sequence[str]) -> State:
    """Everything the plan needs from the state database, in a few queries."""
    answers = [Answer(r["event_id"], r["member_id"], r["source"], r["response"], r["submitted_at"])
               for r in load_rsvps(db)]  # fmt: skip
    sent = []
    prefixes = key_prefixes(event_ids)
    for start in range(0, len(prefixes), 60):  # a bounded OR per query
        sent += ledger_keys_like(db, prefixes[start : start + 60])
    return State(load_event_versions(db), answers, load_seats(db), sent, db.member_rows("active"),
                 inbox_entries(db, "rsvp"))  # fmt: skip


def event_ids_of(config: WeaverConfig, sources: Sources) -> list[str]:
    """The ids in the source, for reading the ledger before planning (bad rows included: they may have history)."""
    if sources.google_items is not None:
        return sorted({str(i.get("id", "")) for i in sources.google_items} - {""})
    events, problems = _parse(config, sources)
    return sorted({e.event_id for e in events} | {p.event_id for p in problems if p.event_id})


# plan ---------------------------------------------------------------------------------------------------
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
                   ) -> tuple[Collected, Collected, dict[tuple[str, str, str], Answer]]:  # fmt: skip
    lang = config.network.default_language
    people = Directory({m["email"]: m["member_id"] for m in state.members},
                       frozenset(m["member_id"] for m in state.members), frozenset(known_events))  # fmt: skip
    stored = {(a.event_id, a.member_id, a.source): a for a in state.answers}
    zone = ZoneInfo(config.network.timezone)
    tab = tab_answers(sources.rsvp_grid, config.events, config.tabs.rsvps, people, stored, zone, now, lang)
    inbox = inbox_answers(state.inbox, config.events, people, lang)
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
                       only_event: str = "", audience: str = "") -> InvitesPlan:  # fmt: skip
    """The whole plan, pure: what a dry run shows and what apply performs."""
    lang, net = config.network.default_language, config.network
    events, problems = _parse(config, sources)
    selected = {e.event_id: e for e in _select(events, only_event, audience, lang)}
    events = [selected.get(e.event_id, e) for e in events]
    decisions = [decide(e, state.versions.get(e.event_id), now) for e in events]
    chosen = [d for d in decisions if d.event.event_id in selected]
    known = {e.event_id for e in events} | {p.event_id for p in problems if p.event_id}
    tab, inbox, merged = _collect_rsvps(config, sources, state, known, now)
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
    ctx = Context(net.name, net.timezone, lang, sender, sender.email.rpartition("@")[2], config.events.rsvp_url, now)
    return InvitesPlan(
        now=now,
        lines=[_line(d, inputs, seats) for d in decisions],
        problems=problems,
        intents=intents,
        messages=build_messages(intents, {e.event_id: e for e in events}, members, ctx),
        announcements=_announcements(chosen, inputs.sent, ctx, lang),
        feed=_feed(config, sources, decisions, ctx, lang),
        versions=[d.version for d in chosen if d.version],
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


# apply --------------------------------------------------------------------------------------------------
@dataclass
class Applied:
    delivery: Delivery
    calendar: ApplyResult | None = None
    chat: ApplyResult | None = None
    calendar_file: str = "unchanged"  # one of CALENDAR_FILE_OUTCOMES
    calendar_suppressed: int = 0  # Google Calendar invitees the consent check refused


def split_messages(plan: InvitesPlan, config: WeaverConfig) -> tuple[list[Message], list[Message]]:
    """(by email, through Google Calendar): with a Google target, Google sends the invitations."""
    if config.calendar.target != "google_calendar":
        return plan.messages, []
    by_google = {i.key for i in plan.intents if i.purpose in CALENDAR_PURPOSES}
    return [m for m in plan.messages if m.key not in by_google], [m for m in plan.messages if m.key in by_google]


def publish_to_google(plan: InvitesPlan, messages: Sequence[Message], target: CalendarTarget | None, db: StateDB,
                      send_updates: str, dry_run: bool) -> tuple[ApplyResult, int]:  # fmt: skip
    """Invitations as attendees of the Google event (one put per event); each invitee is one ledger action."""
    allowed, dropped = consent_filter(db, messages)
    refused = {d.message.to_email for d in dropped}
    event_of = {i.key: i.event_id for i in plan.intents}
    actions = [Action(m.key, "calendar-invite", f"{m.purpose} {m.member_id} via Google Calendar",
                      {"event_id": event_of[m.key]}, idempotent=True) for m in allowed]  # fmt: skip

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        assert target is not None
        order = list(dict.fromkeys(a.payload["event_id"] for a in batch))
        bodies = [plan.google_events[e].with_attendees(refused) for e in order]
        by_event = dict(zip(order, target.put_events(bodies, send_updates), strict=True))
        return [by_event[a.payload["event_id"]] for a in batch]

    # one ledger batch, so each event is put once with all its attendees (not once per chunk of invitees)
    return Ledger(db, FLOW).apply(actions, perform, batch_size=max(1, len(actions)), dry_run=dry_run), len(dropped)


def post_announcements(actions: Sequence[Action], chat: ChatChannel | None, db: StateDB, dry_run: bool) -> ApplyResult:
    def post(batch: Sequence[Action]) -> list[Outcome]:
        assert chat is not None
        return [chat.post(a.payload["title"], a.payload["body"]) for a in batch]

    return Ledger(db, FLOW).apply(actions, post, batch_size=1, dry_run=dry_run)


CALENDAR_FILE_OUTCOMES = ("written", "unchanged", "would write")  # the report says invites.file.<outcome>


def write_calendar_file(path: Path, feed: str, dry_run: bool) -> str:
    """Write calendar.ics only when its content changed (atomically: subscribers never see half a file)."""
    new = feed.encode("utf-8")
    if path.is_file() and same_calendar(path.read_bytes(), new):
        return "unchanged"
    if dry_run:
        return "would write"
    tmp = path.with_suffix(".ics.tmp")
    tmp.write_bytes(new)
    tmp.replace(path)
    return "written"


def record_rsvps(plan: InvitesPlan, db: StateDB) -> None:
    failed = [(u.inbox_id, u.reason) for u in plan.rsvp_unusable if u.inbox_id]
    save_rsvps(db, plan.rsvp_rows, plan.seat_rows, plan.inbox_processed, failed)


def record_versions(plan: InvitesPlan, db: StateDB) -> None:
    save_event_versions(db, plan.versions)
    if plan.google_sync:
        save_calendar_sync(db, *plan.google_sync)


# Thin Prefect wrappers: one task per phase, each over the whole batch (never one per member or event).
read_sources_task = task(name="read-event-sources", cache_policy=NO_CACHE)(read_sources)
load_state_task = task(name="load-event-state", cache_policy=NO_CACHE)(load_state)
plan_event_invites_task = task(name="plan-event-invites", cache_policy=NO_CACHE)(plan_event_invites)
record_rsvps_task = task(name="record-rsvps", cache_policy=NO_CACHE)(record_rsvps)
record_versions_task = task(name="record-event-versions", cache_policy=NO_CACHE)(record_versions)
publish_to_google_task = task(name="publish-to-google-calendar", cache_policy=NO_CACHE)(publish_to_google)
post_announcements_task = task(name="post-chat-announcements", cache_policy=NO_CACHE)(post_announcements)
write_calendar_file_task = task(name="write-calendar-file", cache_policy=NO_CACHE)(write_calendar_file)


# report -------------------------------------------------------------------------------------------------
_PURPOSES = ("event_invite", "event_update", "event_cancel", "event_reminder", "event_seat_confirmed",
             "event_seat_waitlisted")  # fmt: skip
SENT_KINDS = tuple(p.removeprefix("event_") for p in _PURPOSES)  # the report's invites.sent.<kind> rows


def _by_purpose(actions: Sequence[Action]) -> Counter[str]:
    return Counter(str(a.payload.get("purpose", "")) for a in actions)


def invites_summary(plan: InvitesPlan, applied: Applied, dry_run: bool) -> dict[str, Any]:
    """The figures the CLI prints and the report shows: counts, never names or addresses."""
    result = applied.delivery.result
    sent = _by_purpose(result.skipped if dry_run else result.done)
    if applied.calendar is not None:
        done = applied.calendar.skipped if dry_run else applied.calendar.done
        sent.update(f"event_{a.key.split(':', 1)[0]}" for a in done)
    changes = Counter(line.decision.change for line in plan.lines)
    summary: dict[str, Any] = {
        "events": len(plan.lines),
        "rejected": len(plan.problems),
        "new": changes["new"],
        "changed": changes["changed"],
        "cancelled": changes["cancelled"],
        "past": changes["past"],
    }
    verb = "would_send" if dry_run else "sent"
    summary[verb] = {p.removeprefix("event_"): sent[p] for p in _PURPOSES}
    delivery = applied.delivery.summary()
    summary["already_sent"] = delivery["already_sent"] + (len(applied.calendar.already_done) if applied.calendar else 0)
    summary["suppressed"] = delivery["suppressed"] + applied.calendar_suppressed
    summary["failed"] = delivery["failed"] + (len(applied.calendar.failed) if applied.calendar else 0)
    summary["outcome_unknown"] = delivery["outcome_unknown"]
    summary["rsvps_read"] = plan.rsvps_read
    summary["rsvps_unusable"] = len(plan.rsvp_unusable)
    summary["waitlisted"] = sum(line.waitlisted for line in plan.lines)
    summary["chat_posts"] = len((applied.chat.skipped if dry_run else applied.chat.done) if applied.chat else [])
    summary["calendar_file"] = applied.calendar_file
    summary["problems"] = [p.message() for p in plan.problems]
    return summary


def build_invites_report(plan: InvitesPlan, applied: Applied, summary: dict[str, Any], lang: str,
                         dry_run: bool) -> Report:  # fmt: skip
    report = Report("event-invites", t("invites.title", lang), lang)
    if dry_run:
        report.notes.append(t("sync.dry_run", lang))
    report.notes += [t("invites.missing_tab", lang, tab=tab) for tab in plan.missing_tabs]
    sent = summary.get("sent") or summary.get("would_send") or {}
    report.summary = [(t("invites.events", lang), str(summary["events"])),
                      (t("invites.rejected", lang), str(summary["rejected"]))]  # fmt: skip
    report.summary += [(t(f"invites.sent.{k}", lang), str(v)) for k, v in sent.items()]
    for key in ("already_sent", "suppressed", "failed", "outcome_unknown", "rsvps_read", "rsvps_unusable",
                "waitlisted", "chat_posts"):  # fmt: skip
        report.summary.append((t(f"invites.{key}", lang), str(summary[key])))
    report.summary.append((t("invites.calendar_file", lang), t(f"invites.file.{summary['calendar_file']}", lang)))
    head = ["id", t("col.row", lang), t("invites.col.change", lang), "SEQUENCE", t("invites.col.start", lang),
            t("invites.col.audience", lang), t("invites.col.seats", lang)]  # fmt: skip
    rows = [[ln.event.event_id, str(ln.event.row), t(f"invites.change.{ln.decision.change}", lang),
             str(ln.decision.sequence), ln.event.start.strftime("%Y-%m-%d %H:%M ") + ln.event.timezone,
             str(ln.audience), _seats_text(ln)] for ln in plan.lines]  # fmt: skip
    report.tables.append(Table(t("invites.events_table", lang), head, rows))
    problems = [[p.cell or str(p.row), p.event_id, p.reason] for p in plan.problems]
    report.tables.append(Table(t("invites.problems_table", lang), [t("invites.col.cell", lang), "id",
                                                                   t("col.reason", lang)], problems))  # fmt: skip
    unusable = [[u.where, u.reason] for u in plan.rsvp_unusable]
    report.tables.append(Table(t("invites.rsvp_table", lang), [t("invites.col.where", lang), t("col.reason", lang)],
                               unusable))  # fmt: skip
    trouble = [[a.key, detail] for a, detail in applied.delivery.result.failed]
    trouble += [[a.key, t("invites.unknown", lang)] for a in applied.delivery.result.unknown]
    if trouble:
        report.tables.append(Table(t("invites.trouble_table", lang), ["key", t("col.reason", lang)], trouble))
    return report


def _seats_text(line: EventLine) -> str:
    cap = line.event.capacity
    text = f"{line.confirmed}/{cap}" if cap else str(line.confirmed)
    return text + (f" (+{line.waitlisted})" if line.waitlisted else "")
