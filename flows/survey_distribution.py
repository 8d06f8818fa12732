"""survey-distribution: personal survey links, reminders to non-responders, responses in, a summary out.

read (the surveys tab; responses from the webhook inbox, CSV exports and the Google Forms API; state)
-> ingest (attribute each response by its token; record it and the member's engagement)
-> plan (invitations and the due reminder, pure) -> send (`op.send`: consent, the approval gate, the ledger
sends each message once) -> report (artifact + a report file of the run's own, with charts).
Responses are ingested before planning, so a member who just answered is not reminded.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_forms
from tasks.surveys.apply import ingest_responses_task
from tasks.surveys.plan import plan_surveys_task, started_surveys, survey_messages
from tasks.surveys.read import collect_responses_task, needs_forms_api, read_survey_state_task, read_surveys_task
from tasks.surveys.report import DistributionSummary, summarise_run, survey_report
from tasks.surveys.summary import summarise_surveys_task

FLOW = "survey-distribution"


@flow(name=FLOW)
def survey_distribution(
    workspace: str = ".", dry_run: bool = False, auto_approve: bool = False, as_of: date | None = None
) -> DistributionSummary:
    """Send each member their personal survey link, remind those who have not answered, summarise responses.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: previews of the emails instead of sending, no responses
            recorded, no inbox rows marked.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this date (YYYY-MM-DD) or local time in the network's time zone; empty for now.
    """
    with Operation(FLOW, workspace, dry_run, as_of) as op:
        ws, now = op.rt.ws, op.clock.now
        tab = read_surveys_task(op.tables, op.cfg.tabs.surveys, op.lang)
        context = read_survey_state_task(op.db, op.cfg, tab.surveys, dry_run, str(ws.root / "weaver.toml"))
        started = started_surveys(tab.surveys, op.clock.today)
        forms = build_forms(ws) if needs_forms_api(started) else None
        collected = collect_responses_task(started, op.db, forms, ws.root, op.cfg.network.timezone, now, op.lang)
        ingested = ingest_responses_task(collected, context, op.db, [s.survey_id for s in tab.surveys], dry_run)
        plans = plan_surveys_task(tab.surveys, context, ingested.responded, op.clock)
        delivery = op.send(survey_messages(plans), auto_approve=auto_approve)
        summaries = summarise_surveys_task(plans, context, ingested, collected, delivery, op.lang)
        report = survey_report(summaries, tab, collected, context, ingested, op.lang, dry_run)
        return op.finish(report, summarise_run(summaries, tab, collected, ingested, delivery), deliveries=[delivery])
