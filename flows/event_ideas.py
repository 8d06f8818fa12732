"""event-ideas: members spread dots over co-created event ideas by personal link; the top ideas become drafts.

read (the Ideas and Events tabs, one read each; members and their dots)
-> plan (pure: who takes part, invitations while the vote is open, the ranking and the shortlist at close)
-> apply (the open round saved for the page /l/dots/<token>; draft Events rows once; emails via `op.send`)
-> report (artifact + a report file of the run's own).
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.ideas.apply import apply_ideas_task
from tasks.ideas.plan import plan_ideas_task
from tasks.ideas.read import read_ideas_task
from tasks.ideas.report import IdeasSummary, build_ideas_report, ideas_summary
from weaver.links import LinkSigner, link_secret


@flow(name="event-ideas")
def event_ideas(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> IdeasSummary:
    """Invite members to a dot vote on the Ideas tab; at close, write the shortlist as draft events.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing; previews go to reports/previews/event-ideas/.
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("event-ideas", workspace, dry_run, as_of) as op:
        state = read_ideas_task(op.tables, op.db, op.cfg)
        secret, _ = link_secret(op.db, op.cfg, dry_run, op.source)
        plan = plan_ideas_task(state.ideas, state.members, state.votes, LinkSigner(secret), op.cfg, op.clock.today)
        applied = apply_ideas_task(plan, state.events_grid, op.tables, op.db, op.cfg, op.clock.now, dry_run)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        summary = ideas_summary(plan, applied, delivery)
        report = build_ideas_report(plan, summary, op.cfg, dry_run)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
