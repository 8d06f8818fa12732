"""decision-rounds: proposals put to members by personal signed link; reminders; tally, record, announce at close.

read (the Proposals and Decisions tabs, one read each; members, responses, invitations and outcomes so far)
-> plan (pure: who takes part, invitations, reminders to non-responders, the tally of closed rounds)
-> apply (open rounds saved for the page; each outcome appended once to the Decisions tab and posted once to the
chat; emails via `op.send`)
-> report (artifact + a report file of the run's own). Members answer on the receiver's page /l/decide/<token>.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_chat
from tasks.decisions.apply import apply_decisions_task, post_outcomes_task
from tasks.decisions.plan import plan_decisions_task
from tasks.decisions.read import read_decisions_task
from tasks.decisions.report import DecisionSummary, build_decision_report, decision_summary
from weaver.links import LinkSigner, link_secret


@flow(name="decision-rounds")
def decision_rounds(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> DecisionSummary:
    """Send each participant a personal link to a proposal, remind non-responders, close rounds with a tally.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and send nothing; previews go to reports/previews/decision-rounds/.
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("decision-rounds", workspace, dry_run, as_of) as op:
        state = read_decisions_task(op.tables, op.db, op.cfg)
        secret, _ = link_secret(op.db, op.cfg, dry_run, op.source)
        plan = plan_decisions_task(state.proposals, state.members, state.answers, state.invited, state.recorded,
                                   LinkSigner(secret), op.cfg, op.clock.today)  # fmt: skip
        applied = apply_decisions_task(plan, state.decisions_grid, op.tables, op.db, op.cfg, op.clock.now, dry_run)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        posted = post_outcomes_task(plan, build_chat(op.rt.ws) if plan.chat_posts and not dry_run else None, op.db,
                                    dry_run)  # fmt: skip
        summary = decision_summary(plan, applied, delivery, posted)
        report = build_decision_report(plan, summary, op.cfg, dry_run)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
