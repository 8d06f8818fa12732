"""member-intake: join-form submissions -> new rows in the members tab -> member-sync -> onboarding.

read (the inbox's join submissions, one tab read) -> plan (pure: new rows, known members, rejections)
-> apply (one batch write of the new rows, through the ledger; inbox entries marked) -> report. Then the
newcomers are synced (member ids, state) and, when the onboarding operation exists, welcomed.
The webhook receiver starts this flow for each join submission; a Run in the UI without a submission takes
in every join submission still waiting (after an outage, or a CSV import into the inbox).
"""

from __future__ import annotations

from prefect import flow
from prefect.utilities.annotations import opaque

from flows import FLOWS, load_flow
from flows._run import Operation
from flows.member_sync import member_sync
from tasks.common.tables import read_tab
from tasks.intake.apply import apply_intake_task
from tasks.intake.plan import plan_intake_task
from tasks.intake.read import load_joiners_task
from tasks.intake.report import IntakeSummary, build_intake_report, counts, summarise_intake


@flow(name="member-intake")
def member_intake(workspace: str = ".", dry_run: bool = False, submission: str = "", as_of: str = "") -> IntakeSummary:
    """Add the people who submitted a join form to the members tab, then sync and welcome them.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show which rows would be added and change nothing: no sheet write, no inbox update.
        submission: One inbox entry to take in, e.g. "tally:w2Ljk9"; empty takes in every join submission
            still waiting in the inbox.
        as_of: Welcome the newcomers as if at this date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    with Operation("member-intake", workspace, dry_run, as_of) as op:
        for attempt in op.attempts():  # again if the sheet is saved between our read and our write
            with attempt:
                joiners = load_joiners_task(op.db, submission)
                grid = read_tab(op.tables, op.cfg.members.tab) if joiners else []  # nothing waits: no read
                plan = plan_intake_task(opaque(grid), op.cfg, joiners, op.source)  # Prefect: link it, do not walk it
                result = apply_intake_task(plan, op.tables, op.db, dry_run)
        summary = summarise_intake(plan, result)
        if not dry_run and (summary.added or summary.already_members):  # sync the newcomers, then welcome them
            summary.member_sync = counts(member_sync(workspace=workspace, as_of=as_of))
            if "onboarding" in FLOWS:  # the welcome emails, once that operation is registered
                summary.onboarding = counts(load_flow("onboarding")(workspace=workspace, as_of=as_of))
        return op.finish(build_intake_report(plan, result, op.lang, dry_run), summary)
