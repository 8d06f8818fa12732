"""member-intake: join-form submissions -> new rows in the members tab -> member-sync -> onboarding.

read (the inbox's join submissions, one tab read) -> plan (pure: new rows, known members, rejections)
-> apply (one batch write of the new rows, through the ledger; inbox entries marked) -> report. Then the
newcomers are synced (member ids, state) and, when the onboarding operation exists, welcomed.
The webhook receiver starts this flow for each join submission; a Run in the UI without a submission takes
in every join submission still waiting (after an outage, or a CSV import into the inbox).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows import FLOWS, load_flow
from flows._runtime import open_runtime
from flows.member_sync import member_sync
from tasks.common.tables import read_tab
from tasks.intake.intake import (
    apply_intake_task,
    build_intake_report,
    intake_summary,
    load_joiners_task,
    plan_intake_task,
)
from weaver.report import publish_artifact


@flow(name="member-intake")
def member_intake(workspace: str = ".", dry_run: bool = False, submission: str = "", as_of: str = "") -> dict[str, Any]:
    """Add the people who submitted a join form to the members tab, then sync and welcome them.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show which rows would be added and change nothing: no sheet write, no inbox update.
        submission: One inbox entry to take in, e.g. "tally:w2Ljk9"; empty takes in every join submission
            still waiting in the inbox.
        as_of: Welcome the newcomers as if at this date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    summary = _take_in(workspace, dry_run, submission)
    if not dry_run and (summary["added"] or summary["already_members"]):
        summary["member_sync"] = _counts(member_sync(workspace=workspace))
        if "onboarding" in FLOWS:  # the welcome emails, once that operation is registered
            summary["onboarding"] = _counts(load_flow("onboarding")(workspace=workspace, as_of=as_of))
    get_run_logger().info("member-intake %s: %s", "plan" if dry_run else "done", _counts(summary))
    return summary


def _take_in(workspace: str, dry_run: bool, submission: str) -> dict[str, Any]:
    rt = open_runtime(workspace, dry_run)
    try:
        cfg = rt.ws.config
        joiners = load_joiners_task(rt.db, submission)
        if not joiners:
            return {"submissions": 0, "added": 0, "already_members": 0, "rejected": 0}
        grid = read_tab(rt.tables, cfg.members.tab)
        plan = plan_intake_task(grid, cfg, joiners, rt.tables.describe())
        result = apply_intake_task(plan, rt.tables, rt.db, dry_run)
        summary = intake_summary(plan, result)
        report = build_intake_report(plan, result, rt.lang, dry_run)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        if path is not None:
            summary["report"] = str(path)
        return summary
    finally:
        rt.close()


def _counts(summary: Any) -> Any:
    """Numbers only, for logs and the parent's summary (subflow summaries can hold report paths)."""
    if not isinstance(summary, dict):
        return summary
    return {k: v for k, v in summary.items() if isinstance(v, int | dict)}
