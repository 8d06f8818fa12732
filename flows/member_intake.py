"""member-intake: join-form submissions -> new rows in the members tab -> member-sync -> onboarding.

read (the inbox's join submissions, one tab read) -> double opt-in (`tasks/intake/optin.py`: a join not
confirmed yet gets a confirm email and waits; an unconfirmed one past `[members] confirm_within_days` expires)
-> plan (pure: new rows from confirmed joins, known members, rejections) -> apply (one batch write of the new
rows, through the ledger; inbox entries marked) -> report. Then the newcomers are synced (member ids, state)
and, when the onboarding operation exists, welcomed.
The webhook receiver starts this flow for each join submission, and again when its confirm page is used; a
Run in the UI without a submission takes in every join submission still waiting (after an outage, or a CSV
import into the inbox).
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.utilities.annotations import opaque

from flows import FLOWS, load_flow
from flows._run import Operation
from flows.member_sync import member_sync
from tasks.common.tables import read_tab
from tasks.intake.apply import apply_intake_task, record_optin_task
from tasks.intake.optin import confirm_signer, plan_optin_task
from tasks.intake.plan import plan_intake_task
from tasks.intake.read import load_joiners_task
from tasks.intake.report import IntakeSummary, build_intake_report, counts, summarise_intake


@flow(name="member-intake")
def member_intake(
    workspace: str = ".", dry_run: bool = False, submission: str = "", as_of: date | None = None
) -> IntakeSummary:
    """Add the people who submitted a join form to the members tab, then sync and welcome them.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show which rows would be added and change nothing: no sheet write, no inbox update.
        submission: One inbox entry to take in, e.g. "tally:w2Ljk9"; empty takes in every join submission
            still waiting in the inbox.
        as_of: Welcome the newcomers as if at this date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    with Operation("member-intake", workspace, dry_run, as_of) as op:
        queue = load_joiners_task(op.db, submission)
        signer = confirm_signer(op.db, op.cfg, dry_run, op.source)
        optin = plan_optin_task(queue, op.cfg, op.clock.now, signer)  # double opt-in: confirmed joins go on
        confirmations = op.send(optin.messages, auto_approve=True)  # each person asked to confirm their own join
        asked = record_optin_task(optin, confirmations, op.db, op.clock.now, dry_run)
        for attempt in op.attempts():  # again if the sheet is saved between our read and our write
            with attempt:
                grid = read_tab(op.tables, op.cfg.members.tab) if optin.confirmed else []  # none: no read
                plan = plan_intake_task(opaque(grid), op.cfg, optin.confirmed, op.source)  # link it, do not walk it
                result = apply_intake_task(plan, op.tables, op.db, dry_run)
        summary = summarise_intake(plan, result, optin, asked)
        if not dry_run and (summary.added or summary.already_members):  # sync the newcomers, then welcome them
            summary.member_sync = counts(member_sync(workspace=workspace, as_of=as_of))
            if "onboarding" in FLOWS:  # the welcome emails, once that operation is registered
                summary.onboarding = counts(load_flow("onboarding")(workspace=workspace, as_of=as_of))
        report = build_intake_report(plan, result, op.lang, dry_run, optin, asked)
        return op.finish(report, summary, deliveries=[confirmations])
