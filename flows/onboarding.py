"""onboarding: welcome members who joined since the last run, pair each with a buddy, follow up later.

read (state database: members, earlier runs, the ledger) -> plan (pure: newcomers, buddies, messages)
-> approval gate -> apply (record pairings, deliver through the ledger, plan follow-ups)
-> report (artifact + a report file of the run's own). The rules are in `tasks/onboarding/onboarding.py`;
the rooms are tasks/onboarding/read.py, plan.py, apply.py and report.py.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.onboarding.apply import record_newcomers_task, schedule_followups_task
from tasks.onboarding.onboarding import FLOW
from tasks.onboarding.plan import plan_onboarding_task
from tasks.onboarding.read import read_onboarding_state_task
from tasks.onboarding.report import (
    OnboardingSummary,
    build_onboarding_report,
    onboarding_notes,
    summarise_onboarding,
)


@flow(name="onboarding")
def onboarding(
    workspace: str = ".", dry_run: bool = False, auto_approve: bool = False, as_of: date | None = None
) -> OnboardingSummary:
    """Welcome new members, introduce each to a buddy, and send the follow-ups that are due.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and send nothing; previews of every email go to reports/previews/onboarding/.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this date (YYYY-MM-DD) or local time in the network's time zone; empty for now.
    """
    with Operation(FLOW, workspace, dry_run, as_of) as op:
        state = read_onboarding_state_task(op.db, op.clock.now, op.clock.today)
        plan = plan_onboarding_task(state, op.cfg)
        approval = op.approve(plan.messages, auto_approve)
        delivery, scheduled = None, 0
        if approval.approved:  # pairings are recorded only for a send that goes ahead
            record_newcomers_task(plan, op.db, dry_run)
            delivery = op.send(plan.messages, approval=approval)
            scheduled = schedule_followups_task(delivery, plan, op.cfg, op.db, op.clock.now, dry_run)
        summary = summarise_onboarding(plan, delivery, scheduled)
        notes = onboarding_notes(state, op.cfg, approval, op.lang, dry_run)
        report = build_onboarding_report(plan, summary, op.lang, notes)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
