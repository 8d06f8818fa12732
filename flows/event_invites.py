"""event-invites: events -> invitations, updates, cancellations, due reminders, seats, calendar.ics, chat.

read (the events, RSVPs and opportunities tabs, or a Google calendar; the webhook inbox) -> plan (pure)
-> apply (RSVPs recorded; messages through the ledger; Google Calendar attendees; chat posts; calendar.ics
written when it changed; event versions saved) -> report (artifact + reports/event-invites-<date>.html).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import Runtime, build_chat, build_google_calendar, open_runtime
from tasks.common.approval import approve_send
from tasks.common.messages import deliver_task
from tasks.events.calendar import Person
from tasks.events.invites import (
    FLOW,
    Applied,
    build_invites_report,
    event_ids_of,
    invites_summary,
    load_state_task,
    plan_event_invites_task,
    post_announcements_task,
    publish_to_google_task,
    read_sources_task,
    record_rsvps_task,
    record_versions_task,
    split_messages,
    write_calendar_file_task,
)
from weaver.clock import network_clock
from weaver.report import publish_artifact
from weaver.state import utcnow


@flow(name="event-invites")
def event_invites(
    workspace: str = ".",
    dry_run: bool = False,
    event: str = "",
    audience: str = "",
    auto_approve: bool = False,
    as_of: str = "",
) -> dict[str, Any]:
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
    started = utcnow()
    rt = open_runtime(workspace, dry_run)
    try:
        summary = _run(rt, dry_run, event, audience, auto_approve, as_of)
        if not dry_run:
            rt.db.record_sync_run(FLOW, started, summary)
        get_run_logger().info("event-invites %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()


def _run(rt: Runtime, dry_run: bool, event: str, audience: str, auto_approve: bool, as_of: str) -> dict[str, Any]:
    cfg = rt.ws.config
    google = cfg.events.source == "google_calendar" or cfg.calendar.target == "google_calendar"
    calendar = build_google_calendar(rt.ws) if google else None
    sources = read_sources_task(cfg, rt.tables, rt.db, calendar)
    state = load_state_task(rt.db, event_ids_of(cfg, sources))
    sender = Person(cfg.mail.from_address, cfg.mail.from_name)
    now = network_clock(cfg.network.timezone, as_of).now
    plan = plan_event_invites_task(cfg, sources, state, now, sender=sender, only_event=event, audience=audience)
    if not dry_run:
        record_rsvps_task(plan, rt.db)
    by_email, by_google = split_messages(plan, cfg)
    approval = approve_send(by_email, rt, FLOW, auto_approve=auto_approve)
    if not approval.approved:  # nothing sent and no event state recorded: the next run plans it all again
        return {"approval": approval.describe(rt.lang), "held_messages": len(by_email)}
    delivery = deliver_task(by_email, rt.mail, rt.db, FLOW, dry_run=dry_run, previews_dir=rt.previews_dir(FLOW))
    applied = Applied(delivery)
    if by_google:
        send_updates = cfg.calendar.google.send_updates if cfg.calendar.google else "all"
        applied.calendar, applied.calendar_suppressed = publish_to_google_task(
            plan, by_google, calendar, rt.db, send_updates, dry_run
        )
    chat = build_chat(rt.ws) if plan.announcements and not dry_run else None
    applied.chat = post_announcements_task(plan.announcements, chat, rt.db, dry_run)
    applied.calendar_file = write_calendar_file_task(rt.ws.calendar_file, plan.feed, dry_run)
    if not dry_run:
        record_versions_task(plan, rt.db)
    summary = invites_summary(plan, applied, dry_run)
    report = build_invites_report(plan, applied, summary, rt.lang, dry_run)
    path = None if dry_run else report.write_html(rt.ws.reports)
    publish_artifact(report, path)
    if path:
        summary["report"] = str(path)
    if delivery.previews:
        summary["previews"] = str(delivery.previews)
    summary["approval"] = approval.describe(rt.lang)
    return summary
