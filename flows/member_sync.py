"""member-sync: the members tab -> normalised, validated, deduplicated members in the state database.

read (one tab read) -> plan (pure) -> apply (one batch write-back of owned columns, through the ledger)
-> report (artifact + reports/member-sync-<date>.html).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from tasks.members import (
    apply_member_sync_task,
    build_sync_report,
    plan_member_sync_task,
    quarantine_reasons,
    sync_summary,
)
from tasks.tables import read_tab
from weaver.report import publish_artifact
from weaver.runtime import open_runtime
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
        grid = read_tab(rt.tables, cfg.members.tab)
        plan = plan_member_sync_task(grid, cfg, rt.db.member_snapshot(), rt.tables.describe())
        apply_member_sync_task(plan, rt.tables, rt.db, dry_run)
        summary: dict[str, Any] = dict(sync_summary(plan))
        summary["quarantine_reasons"] = quarantine_reasons(plan)
        report = build_sync_report(plan, rt.lang, dry_run)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        if not dry_run:
            rt.db.record_sync_run("member-sync", started, summary)
            summary["report"] = str(path)
        get_run_logger().info("member-sync %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()
