"""details-check: once a year, each member is asked "is this still right?" with their personal "my details" link.

read (the members the state holds, as member-sync last saw the sheet; the workspace's link key) -> plan
(pure, tasks/details/: who is due this week, the email with what the network holds and the signed link)
-> apply (the emails through `op.send`: consent, the approval gate, once a year per member by the ledger)
-> report. The member's answers arrive on their page and reach the sheet through member-sync.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.details.apply import asked_this_year_task
from tasks.details.plan import plan_details_check_task
from tasks.details.read import link_signer, read_held_task
from tasks.details.report import DetailsSummary, build_details_report, summarise_details


@flow(name="details-check")
def details_check(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> DetailsSummary:
    """Ask the members whose joining anniversary falls this week whether their details are still right.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no emails (previews instead).
        as_of: Treat this date (YYYY-MM-DD) as today; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("details-check", workspace, dry_run, as_of) as op:
        members = read_held_task(op.db)
        signer = link_signer(op.db, op.cfg, dry_run, str(op.rt.ws.root / "weaver.toml"))
        asked = asked_this_year_task(op.db, op.clock.today.year)
        plan = plan_details_check_task(members, asked, op.cfg, signer, op.clock.today)
        delivery = op.send(plan.messages, auto_approve)
        report = build_details_report(plan, delivery, op.lang, dry_run)
        return op.finish(report, summarise_details(plan, delivery), deliveries=[delivery])
