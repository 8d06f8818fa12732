"""member-sync: the members tab -> normalised, validated, deduplicated members in the state database.

Grids, snapshots and plans pass between tasks as `opaque(...)`: Prefect records which task's result feeds which
(the run graph) without visiting every cell, so its overhead does not grow with the members tab.

read (one tab read) -> plan (pure, tasks/members/plan.py) -> apply (one batch write-back of owned
columns, through the ledger) -> report (artifact, a report file of the run's own, reports/index.html).

With `[mailchimp]` configured, the audience sync joins each phase (tasks/members/audience.py): read who left
the audience, plan the consent cells (in the same single write batch) and the pushes, apply them. Without
it, nothing about the audience runs and no call is made.
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.utilities.annotations import opaque

from flows._run import Operation
from flows._runtime import build_audience
from tasks.members.apply import apply_member_sync_task
from tasks.members.audience import (
    add_audience_report,
    apply_audience_sync_task,
    link_unsubscribes,
    plan_audience_sync_task,
    plan_link_unsubscribes,
    read_audience_task,
)
from tasks.members.plan import plan_member_sync_task
from tasks.members.read import read_member_edits_task, read_members_task
from tasks.members.report import SyncSummary, build_sync_report, summarise_sync
from tasks.members.rights import add_forgotten_note, refuse_forgotten


@flow(name="member-sync")
def member_sync(workspace: str = ".", dry_run: bool = False, as_of: date | None = None) -> SyncSummary:
    """Sync the member spreadsheet into the network's state.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no write-back to the sheet, no state update.
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    with Operation("member-sync", workspace, dry_run, as_of) as op:
        audience = build_audience(op.rt.ws)  # None unless [mailchimp] is configured
        for attempt in op.attempts():  # again if the sheet is saved between our read and our write
            with attempt:
                grid = read_members_task(op.tables, op.cfg)
                grid, forgotten = refuse_forgotten(grid, op.cfg, op.db, op.source)  # data rights: never re-added
                pulled = (
                    read_audience_task(audience, op.db, op.cfg.mailchimp.list_id)
                    if audience and op.cfg.mailchimp
                    else None
                )
                edits = read_member_edits_task(op.db)  # members' own changes from their "my details" page
                # opaque: Prefect links the tasks but does not walk every cell of the grid, snapshot and plan
                plan = plan_member_sync_task(opaque(grid), op.cfg, opaque(op.db.member_snapshot()), op.source, edits)
                plan_link_unsubscribes(plan, grid, op.cfg, link_unsubscribes(op.db))  # before the audience plan
                audience_plan = plan_audience_sync_task(opaque(plan), opaque(grid), op.cfg, pulled) if pulled else None
                del grid  # nothing after the plans reads it: a big tab's grid is not held through the write-back
                apply_member_sync_task(opaque(plan), op.tables, op.db, dry_run)
        pushed = apply_audience_sync_task(audience_plan, audience, op.db, dry_run) if audience_plan else None
        report = build_sync_report(plan, op.lang, dry_run)
        add_forgotten_note(report, forgotten, op.lang)
        if pushed is not None:
            add_audience_report(report, pushed, op.lang)
        return op.finish(report, summarise_sync(plan, pushed.summary() if pushed else None, forgotten))
