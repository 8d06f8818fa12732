"""grant-pipeline: refresh the opportunities tab, import new calls, remind owners, report the money.

read (the tab; Grants.gov search pages; funders' feeds; award amounts of new opportunities only)
-> plan (pure: dedupe, merge without touching coordinators' edits, computed columns, totals, owners' digests)
-> apply (one batch write through the ledger; the digests through `op.send`, then the reminders they carried)
-> report (artifact + a report file of the run's own, with charts).
"""

from __future__ import annotations

from contextlib import closing
from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_feed_reader, build_grants_gov
from tasks.common.tables import read_tab
from tasks.grants.apply import apply_grant_pipeline_task, record_reminders_task
from tasks.grants.digests import DigestRun, build_digests, plan_deadline_notices
from tasks.grants.plan import plan_grant_pipeline_task
from tasks.grants.read import (
    GrantSources,
    read_known_task,
    read_opportunity_sources_task,
    read_recorded_reminders_task,
)
from tasks.grants.report import GrantSummary, build_grant_report, grant_summary


@flow(name="grant-pipeline")
def grant_pipeline(
    workspace: str = ".",
    dry_run: bool = False,
    send_reminders: bool = True,
    as_of: date | None = None,
    auto_approve: bool = False,
) -> GrantSummary:
    """Refresh the grant pipeline: import new opportunities, update computed columns, remind owners.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no sheet write, no email (previews are written instead).
        send_reminders: Email each owner a digest of deadlines within 14, 7 and 2 days (once per threshold).
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for today.
        auto_approve: Email the digests without waiting for a coordinator's approval, even above
            [mail] approval_threshold.
    """
    with (
        Operation("grant-pipeline", workspace, dry_run, as_of) as op,
        closing(GrantSources(build_grants_gov(op.rt.ws), build_feed_reader(op.rt.ws))) as sources,
    ):
        cfg, today = op.cfg, op.clock.today
        for attempt in op.attempts():  # again if the sheet is saved between our read and our write
            with attempt:
                grid = read_tab(op.tables, cfg.tabs.opportunities)
                known = read_known_task(op.db)
                found = read_opportunity_sources_task(sources, grid, cfg, known.written, op.source)
                plan = plan_grant_pipeline_task(grid, cfg, found.candidates, known.written, known.history,
                                                known.members, today, op.source)  # fmt: skip
                apply_grant_pipeline_task(plan, op.tables, op.db, dry_run)
        notices = plan_deadline_notices(plan.opportunities, today, cfg.grants.digest_days if send_reminders else (),
                                        op.lang)  # fmt: skip
        digests = build_digests(notices, read_recorded_reminders_task(op.db, notices), cfg, cfg.tabs.opportunities)
        delivery = op.send([d.message for d in digests], auto_approve) if digests else None
        record_reminders_task(digests, delivery, op.db, dry_run)
        reminders = DigestRun(notices, digests, delivery) if send_reminders else None
        report = build_grant_report(plan, found, reminders, cfg, dry_run)
        summary = grant_summary(plan, found, reminders, cfg.grants)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
