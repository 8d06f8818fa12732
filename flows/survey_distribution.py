"""survey-distribution: personal survey links, reminders to non-responders, responses in, a summary out.

read (the surveys tab; responses from the webhook inbox, CSV exports and the Google Forms API; state)
-> ingest (attribute each response by its token; record it and the member's engagement)
-> plan (invitations and the due reminder, pure) -> apply (`deliver`: the ledger sends each message once)
-> report (artifact + reports/survey-distribution-<date>.html with charts).
Responses are ingested before planning, so a member who just answered is not reminded.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import build_forms, open_runtime
from tasks.common.approval import gated
from tasks.common.messages import deliver_task
from tasks.common.tables import read_tab
from tasks.surveys.responses import collect_responses_task, ingest_responses_task
from tasks.surveys.summary import build_survey_report, run_summary, summarise_surveys_task
from tasks.surveys.surveys import needs_forms_api, parse_surveys_task, plan_surveys_task, read_survey_state_task
from weaver.clock import network_clock
from weaver.i18n import t
from weaver.report import publish_artifact

FLOW = "survey-distribution"


@flow(name=FLOW)
def survey_distribution(
    workspace: str = ".", dry_run: bool = False, auto_approve: bool = False, as_of: str = ""
) -> dict[str, Any]:
    """Send each member their personal survey link, remind those who have not answered, summarise responses.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: previews of the emails instead of sending, no responses
            recorded, no inbox rows marked.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this date (YYYY-MM-DD) or local time in the network's time zone; empty for now.
    """
    rt = open_runtime(workspace, dry_run)
    try:
        cfg, lang = rt.ws.config, rt.lang
        now = network_clock(cfg.network.timezone, as_of).now
        tab = parse_surveys_task(read_tab(rt.tables, cfg.tabs.surveys), cfg.tabs.surveys, lang)
        context = read_survey_state_task(rt.db, cfg, tab.surveys, dry_run, str(rt.ws.root / "weaver.toml"))
        started = [s for s in tab.surveys if s.status(context.network.today(now)) != "upcoming"]
        forms = build_forms(rt.ws) if needs_forms_api(started) else None
        collected = collect_responses_task(started, rt.db, forms, rt.ws.root, cfg.network.timezone, now, lang)
        ingested = ingest_responses_task(collected, context, rt.db, [s.survey_id for s in tab.surveys], dry_run)
        plans = plan_surveys_task(tab.surveys, context, ingested.responded, now)
        messages = [m for p in plans for m in (*p.invites, *p.reminders)]
        messages, approval = gated(messages, rt, FLOW, auto_approve)
        delivery = deliver_task(messages, rt.mail, rt.db, FLOW, dry_run=dry_run, previews_dir=rt.previews_dir(FLOW))
        summaries = summarise_surveys_task(plans, context, ingested, collected, delivery, lang)
        notes = [*collected.notes, *([t("survey.throwaway_key", lang)] if context.throwaway_secret else [])]
        report = build_survey_report(summaries, [*tab.rejected, *collected.rejected], notes, ingested.recorded,
                                     lang, dry_run)  # fmt: skip
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        summary = run_summary(summaries, ingested.recorded, delivery.summary())
        summary["rejected"] = len(tab.rejected) + len(collected.rejected)
        summary["approval"] = approval.describe(lang)
        summary["forms_api_calls"] = collected.calls
        if path is not None:
            summary["report"] = str(path)
        elif delivery.previews is not None:
            summary["previews"] = str(delivery.previews)
        get_run_logger().info("%s %s: %s", FLOW, "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()
