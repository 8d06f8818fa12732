"""event-invites: events -> invitations, updates, cancellations, due reminders, seats, calendar.ics, chat.

read (tasks/events/read.py: the events, RSVPs and opportunities tabs, or a Google calendar; the webhook
inbox) -> plan (pure, tasks/events/plan.py) -> the approval gate -> apply (tasks/events/apply.py: RSVPs
recorded; check-ins made by link since the last run written to the Attendance tab in one batch
(tasks/events/checkins.py); emails (invitations and reminders carry a personal check-in link) through the
Operation's send; Google Calendar attendees; chat posts; calendar.ics written
when it changed; event versions saved) -> report (tasks/events/report.py; the runner writes the file).
A send the gate holds back records nothing: the next run plans it all again.
"""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow

from flows._run import Operation
from flows._runtime import build_chat, build_google_calendar
from tasks.common.links import personal_links_task
from tasks.events.apply import apply_event_invites_task, record_rsvps_task
from tasks.events.checkins import write_checkins_task
from tasks.events.plan import FLOW, event_ids_of, plan_event_invites_task, sender_of, split_messages, uses_google
from tasks.events.read import load_state_task, read_sources_task
from tasks.events.report import InvitesSummary, build_invites_report, summarise_invites


@flow(name="event-invites")
def event_invites(
    workspace: str = ".",
    dry_run: bool = False,
    event: str = "",
    audience: str = "",
    auto_approve: bool = False,
    as_of: date | datetime | None = None,
) -> InvitesSummary:
    """Send event invitations with calendar invites, updates on changes, cancellations and due reminders.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and previews of every message; send, record and write nothing.
        event: Only this event id (empty: every event in the events tab).
        audience: With `event`: an audience filter that replaces the event's own cell, e.g.
            "兴趣 包含 气候 并且 地区 属于 华东, 华南" or "interests contain climate; language is en".
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this local time (2026-11-24 18:30) or date (09:00 that day) in the network's
            time zone: which reminders are due; empty for now.
    """
    with Operation(FLOW, workspace, dry_run, as_of) as op:
        calendar = build_google_calendar(op.rt.ws) if uses_google(op.cfg) else None
        sources = read_sources_task(op.cfg, op.tables, op.db, calendar)
        state = load_state_task(op.db, event_ids_of(op.cfg, sources))
        links = personal_links_task(op.db, op.cfg, dry_run, str(op.rt.ws.root / "weaver.toml"))  # check-in links
        plan = plan_event_invites_task(op.cfg, sources, state, op.clock.now, sender=sender_of(op.cfg),
                                       only_event=event, audience=audience, links=links)  # fmt: skip
        checkins = write_checkins_task(op.cfg, op.tables, op.db, op.clock.now, dry_run)  # one batch, then marked
        by_email, by_google = split_messages(plan, op.cfg)  # with a Google target, Google sends the invitations
        approval = op.approve([*by_email, *by_google], auto_approve)  # the gate counts everyone either way reaches
        if approval.approved and not dry_run:  # held: nothing sent or recorded, the next run plans it all again
            record_rsvps_task(plan, op.db)
        delivery = op.send(by_email, approval=approval)
        chat = build_chat(op.rt.ws) if plan.announcements and approval.approved and not dry_run else None
        applied = apply_event_invites_task(
            plan,
            op.cfg,
            delivery,
            approval.approved,
            (calendar, chat),
            op.db,
            op.rt.ws.calendar_file,
            dry_run,
            checkins,
        )
        summary = summarise_invites(plan, applied, dry_run)
        report = build_invites_report(plan, applied, summary, op.lang, dry_run)
        return op.finish(report, summary, deliveries=[delivery])
