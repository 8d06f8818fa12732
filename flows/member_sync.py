"""member-sync: the members tab -> normalised, validated, deduplicated members in the state database.

read (one tab read) -> plan (pure) -> apply (one batch write-back of owned columns, through the ledger)
-> report (artifact + reports/member-sync-<date>.html).

With `[mailchimp]` configured, the audience sync joins each phase (tasks/members/audience.py): read who left
the audience, plan the consent cells (in the same single write batch) and the pushes, apply them. Without
it, nothing about the audience runs and no call is made.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import build_audience, open_runtime
from tasks.common.tables import read_tab
from tasks.members.audience import (
    add_audience_report,
    apply_audience_sync_task,
    plan_audience_sync_task,
    read_audience_task,
)
from tasks.members.sync import (
    apply_member_sync_task,
    build_sync_report,
    plan_member_sync_task,
    quarantine_reasons,
    sync_summary,
)
from weaver.report import publish_artifact
from weaver.state import utcnow


@flow(name="member-sync")
def member_sync(workspace: str = ".", dry_run: bool = False) -> dict[str, Any]:
    """Sync the member spreadsheet into the network's state.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no write-back to the sheet, no state update.
    """
    started = utcnow()
    rt = open_runtime(workspace, dry_run)
    try:
        cfg = rt.ws.config
        audience = build_audience(rt.ws)  # None unless [mailchimp] is configured
        grid = read_tab(rt.tables, cfg.members.tab)
        pulled = read_audience_task(audience, rt.db, cfg.mailchimp.list_id) if audience and cfg.mailchimp else None
        plan = plan_member_sync_task(grid, cfg, rt.db.member_snapshot(), rt.tables.describe())
        audience_plan = plan_audience_sync_task(plan, grid, cfg, pulled) if pulled else None
        apply_member_sync_task(plan, rt.tables, rt.db, dry_run)
        pushed = apply_audience_sync_task(audience_plan, audience, rt.db, dry_run) if audience_plan else None
        summary: dict[str, Any] = dict(sync_summary(plan))
        summary["quarantine_reasons"] = quarantine_reasons(plan)
        report = build_sync_report(plan, rt.lang, dry_run)
        if pushed is not None:
            summary["audience"] = pushed.summary()
            add_audience_report(report, pushed, rt.lang)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        if not dry_run:
            rt.db.record_sync_run("member-sync", started, summary)
            summary["report"] = str(path)
        get_run_logger().info("member-sync %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()
