"""event-invites, apply: RSVPs and seats recorded, Google Calendar attendees, chat posts, calendar.ics, versions.

The messages themselves go through the Operation's send (consent, the approval gate, the ledger); what is
here follows it, and only when the gate let the send through: a held send records nothing, so the next run
plans it all again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.calendar import CalendarTarget
from connectors.chat import ChatChannel
from connectors.mail import Message
from tasks.common.messages import Delivery, consent_filter
from tasks.common.prefect_task import task
from tasks.events.calendar import same_calendar
from tasks.events.checkins import CheckinsWritten
from tasks.events.plan import FLOW, InvitesPlan, split_messages
from weaver.config import WeaverConfig
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.checkins import save_checkin_events
from weaver.state.events import save_calendar_sync, save_event_versions, save_rsvps


@dataclass
class Applied:
    delivery: Delivery
    calendar: ApplyResult | None = None
    chat: ApplyResult | None = None
    calendar_file: str = "unchanged"  # written | unchanged | would write
    calendar_suppressed: int = 0  # Google Calendar invitees the consent check refused
    checkins: CheckinsWritten = field(default_factory=CheckinsWritten)  # check-ins by link, into Attendance


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
    save_checkin_events(db, plan.checkin_events)  # what each invitee's check-in link shows and accepts
    if plan.google_sync:
        save_calendar_sync(db, *plan.google_sync)


def apply_event_invites(
    plan: InvitesPlan,
    config: WeaverConfig,
    delivery: Delivery,
    approved: bool,
    targets: tuple[CalendarTarget | None, ChatChannel | None],
    db: StateDB,
    calendar_file: Path,
    dry_run: bool,
    checkins: CheckinsWritten | None = None,
) -> Applied:
    """Everything after the email send, in the order a coordinator can rely on: Google Calendar attendees,
    chat posts, calendar.ics, then the event versions (last: a version saved means its messages went)."""
    applied = Applied(delivery, checkins=checkins or CheckinsWritten())
    if not approved:  # held: nothing published, nothing recorded
        applied.calendar_file = "held"
        return applied
    calendar, chat = targets
    by_google = split_messages(plan, config)[1]
    if by_google:
        send_updates = config.calendar.google.send_updates if config.calendar.google else "all"
        applied.calendar, applied.calendar_suppressed = publish_to_google(
            plan, by_google, calendar, db, send_updates, dry_run
        )
    applied.chat = post_announcements(plan.announcements, chat, db, dry_run)
    applied.calendar_file = write_calendar_file(calendar_file, plan.feed, dry_run)
    if not dry_run:
        record_versions(plan, db)
    return applied


# Thin Prefect wrappers: one task per phase, each over the whole batch (never one per member or event).
record_rsvps_task = task(name="record-rsvps", cache_policy=NO_CACHE)(record_rsvps)
apply_event_invites_task = task(name="apply-event-invites", cache_policy=NO_CACHE)(apply_event_invites)
