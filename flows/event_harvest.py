"""event-harvest: after an event, thanks with a personal harvest link, one reminder, insights and a harvest page.

read (tasks/harvest/read.py: the events and Attendance tabs, check-ins by link, members, what was sent and
answered, the Insights and News tabs; one read each) -> plan (pure, tasks/harvest/plan.py: the finished events,
thanks and the due reminder, Insights rows, harvest pages, newsletter offers at the close) -> send (`op.send`:
consent, suppression, the approval gate, the ledger sends each message once) -> apply (tasks/harvest/apply.py:
the events the page may take answers for saved; Insights rows in one write; pages; the News tab offer) ->
report. Members answer on the receiver's page /l/harvest/<token>.

Its own operation rather than a step of event-invites: it runs on its own (daily) schedule, acts on events that
are over (event-invites acts on those ahead), and its failures or held sends never hold back invitations.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.common.links import link_signer
from tasks.harvest.apply import apply_harvest_task
from tasks.harvest.plan import plan_harvest_task
from tasks.harvest.read import read_harvest_task
from tasks.harvest.report import HarvestSummary, build_harvest_report, summarise_harvest


@flow(name="event-harvest")
def event_harvest(
    workspace: str = ".", dry_run: bool = False, auto_approve: bool = False, as_of: date | None = None
) -> HarvestSummary:
    """Thank the attendees of finished events with a personal harvest link, remind once, gather the insights.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and previews of the emails; send, save and write nothing.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this local time or date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    with Operation("event-harvest", workspace, dry_run, as_of) as op:
        read = read_harvest_task(op.tables, op.db, op.cfg, op.lang)
        signer = link_signer(op.db, op.cfg, dry_run, str(op.rt.ws.root / "weaver.toml"))
        plan = plan_harvest_task(read, op.cfg, op.clock.now, signer)
        delivery = op.send(plan.messages, auto_approve=auto_approve)
        applied = apply_harvest_task(plan, read, op.tables, op.db, op.cfg, op.rt.ws.reports, dry_run)
        summary = summarise_harvest(plan, applied, delivery)
        report = build_harvest_report(plan, applied, summary, op.cfg, dry_run)
        return op.finish(report, summary, deliveries=[delivery])
