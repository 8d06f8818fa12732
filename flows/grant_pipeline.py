"""grant-pipeline: refresh the opportunities tab, import new calls, remind owners, report the money.

read (the tab; Grants.gov search pages; funders' feeds; award amounts of new opportunities only)
-> plan (pure: dedupe, merge without touching coordinators' edits, computed columns, totals)
-> apply (one batch write through the ledger; owner digests through the messaging core)
-> report (artifact + reports/grant-pipeline-<date>.html with charts).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import build_feed_reader, build_grants_gov, open_runtime
from tasks.common.tables import read_tab
from tasks.grants.digests import plan_deadline_notices, send_digests_task
from tasks.grants.pipeline import apply_grant_pipeline_task, enrich, new_candidates, plan_grant_pipeline_task
from tasks.grants.report import build_grant_report, grant_summary
from tasks.grants.sources import fetch_amounts_task, read_feeds_task, search_grants_gov_task
from weaver.clock import network_clock
from weaver.report import publish_artifact
from weaver.state import utcnow
from weaver.state.grants import grant_stage_history, grant_written


@flow(name="grant-pipeline")
def grant_pipeline(
    workspace: str = ".", dry_run: bool = False, send_reminders: bool = True, as_of: str = ""
) -> dict[str, Any]:
    """Refresh the grant pipeline: import new opportunities, update computed columns, remind owners.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no sheet write, no email (previews are written instead).
        send_reminders: Email each owner a digest of deadlines within 14, 7 and 2 days (once per threshold).
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for today.
    """
    started = utcnow()
    rt = open_runtime(workspace, dry_run)
    grants_gov, feeds = build_grants_gov(rt.ws), build_feed_reader(rt.ws)
    try:
        cfg, source = rt.ws.config, rt.tables.describe()
        today = network_clock(cfg.network.timezone, as_of).today
        grid = read_tab(rt.tables, cfg.tabs.opportunities)
        found = search_grants_gov_task(grants_gov, cfg.grants) + read_feeds_task(feeds, cfg.grants)
        written, history = grant_written(rt.db), grant_stage_history(rt.db)
        amounts = fetch_amounts_task(grants_gov, new_candidates(grid, cfg, found.candidates, written, source))
        found += amounts.found
        candidates = [c for c in enrich(found.candidates, amounts.by_key) if c.source_key not in amounts.deferred]
        members = [row["fields"] for row in rt.db.member_rows()]
        plan = plan_grant_pipeline_task(grid, cfg, candidates, written, history, members, today, source)
        apply_grant_pipeline_task(plan, rt.tables, rt.db, dry_run)
        digests = None
        if send_reminders:
            notices = plan_deadline_notices(plan.opportunities, today, cfg.grants.digest_days, rt.lang)
            digests = send_digests_task(notices, cfg, rt.mail, rt.db, dry_run=dry_run,
                                        previews_dir=rt.previews_dir("grant-pipeline"))  # fmt: skip
        summary = grant_summary(plan, found, digests, cfg.grants)
        report = build_grant_report(plan, found, digests, cfg, dry_run)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        if not dry_run:
            rt.db.record_sync_run("grant-pipeline", started, summary)
            summary["report"] = str(path)
        get_run_logger().info("grant-pipeline %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        for client in (grants_gov, feeds):
            if client is not None:
                client.close()
        rt.close()
