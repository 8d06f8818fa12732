"""onboarding: welcome members who joined since the last run, pair each with a buddy, follow up later.

read (state database: members, earlier runs, the ledger) -> plan (pure: newcomers, buddies, messages)
-> approval gate -> apply (record pairings, deliver through the ledger, plan follow-ups)
-> report (artifact + reports/onboarding-<date>.html). The rules are in `tasks/onboarding/onboarding.py`.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import open_runtime
from tasks.common.approval import approve_send
from tasks.common.messages import deliver_task
from tasks.onboarding.onboarding import (
    FLOW,
    build_onboarding_report,
    onboarding_summary,
    plan_onboarding_task,
    read_onboarding_state_task,
    record_newcomers_task,
    schedule_followups_task,
)
from weaver.clock import network_clock
from weaver.i18n import t
from weaver.report import publish_artifact
from weaver.state import utcnow


@flow(name="onboarding")
def onboarding(
    workspace: str = ".", dry_run: bool = False, auto_approve: bool = False, as_of: str = ""
) -> dict[str, Any]:
    """Welcome new members, introduce each to a buddy, and send the follow-ups that are due.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and send nothing; previews of every email go to reports/previews/onboarding/.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this date (YYYY-MM-DD) or local time in the network's time zone; empty for now.
    """
    started = utcnow()
    rt = open_runtime(workspace, dry_run)
    try:
        cfg = rt.ws.config
        clock = network_clock(cfg.network.timezone, as_of or started)
        state = read_onboarding_state_task(rt.db, clock.now, clock.today)
        plan = plan_onboarding_task(state, cfg)
        approval = approve_send(plan.messages, rt, FLOW, auto_approve=auto_approve)
        delivery, scheduled = None, 0
        if approval.approved:
            record_newcomers_task(plan, rt.db, dry_run)
            delivery = deliver_task(plan.messages, rt.mail, rt.db, FLOW, dry_run=dry_run,
                                    previews_dir=rt.previews_dir(FLOW))  # fmt: skip
            scheduled = schedule_followups_task(delivery, plan, cfg, rt.db, clock.now, dry_run)
        summary = onboarding_summary(plan, delivery, scheduled)
        summary["approval"] = approval.describe(rt.lang)
        notes = [t("onb.approval", rt.lang, how=summary["approval"])]
        notes += [t("onb.dry_run", rt.lang)] if dry_run else []
        notes += [t("onb.first_run", rt.lang, days=cfg.onboarding.new_member_days)] if state.last_run is None else []
        notes += [t("onb.no_weaver", rt.lang)] if not cfg.onboarding.weaver_email else []
        report = build_onboarding_report(plan, summary, rt.lang, notes)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        if delivery is not None and delivery.previews is not None:
            summary["previews"] = str(delivery.previews)
        if not dry_run and approval.approved:
            rt.db.record_sync_run(FLOW, started, summary)
        if path is not None:
            summary["report"] = str(path)
        get_run_logger().info("onboarding %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()
