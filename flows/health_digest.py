"""health-digest: tell the coordinators what needs a person; nothing when all is well.

read (the run history on the Prefect API: failed, crashed and paused runs of this network; the state database:
unknown ledger outcomes, the last member-sync's quarantined rows, bounces and unsubscribes since the last
digest, when each operation last finished) -> plan (pure, tasks/health_digest/: the sections, the staff email
and the chat post) -> apply (the email through `op.send`, the chat post through the ledger: at most one of each
per period) -> report. Staff mail only: never to members.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_chat, build_run_history
from tasks.health_digest.apply import post_digest_task
from tasks.health_digest.plan import plan_digest_task
from tasks.health_digest.read import read_health_task
from tasks.health_digest.report import HealthSummary, build_digest_report, summarise_digest


@flow(name="health-digest")
def health_digest(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> HealthSummary:
    """Email (and/or post to chat) the coordinators what needs a person, once a period; nothing when all is well.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the digest and send nothing (a preview of the email instead).
        as_of: Run as if on this date (YYYY-MM-DD) or local time in the network's time zone; empty for now.
        auto_approve: Send without waiting for a coordinator's approval (the digest is one email: it never waits).
    """
    with Operation("health-digest", workspace, dry_run, as_of) as op:
        history = build_run_history(op.rt.ws)
        facts = read_health_task(op.db, history, op.rt.ws.root, op.clock.now, op.cfg.health.period)
        plan = plan_digest_task(facts, op.cfg, op.clock.today)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        chat = build_chat(op.rt.ws) if plan.posts and not dry_run else None
        posted = post_digest_task(plan, chat, op.db, dry_run)
        summary = summarise_digest(plan, delivery, posted)
        report = build_digest_report(plan, summary, op.lang, dry_run)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
