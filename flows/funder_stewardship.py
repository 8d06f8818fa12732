"""funder-stewardship: remind owners to keep in touch with funders and before reports, send meeting prep sheets.

read (the Funders and opportunities tabs, one read each; the newest impact fact sheet)
-> plan (pure: contacts due by cadence, report deadlines once per threshold, meetings within prep_days)
-> apply (each prep sheet kept in reports/funders/ once; every email through `op.send`)
-> report (artifact + a report file of the run's own). Report deadlines reach calendar.ics through event-invites.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.funders.apply import keep_prep_sheets_task
from tasks.funders.plan import plan_funders_task
from tasks.funders.read import read_fact_sheet_task, read_funders_task
from tasks.funders.report import FunderSummary, build_funder_report, funder_summary


@flow(name="funder-stewardship")
def funder_stewardship(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> FunderSummary:
    """Owners reminded when a funder's contact is due and before report deadlines; prep sheets before meetings.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and send nothing; previews go to reports/previews/funder-stewardship/.
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("funder-stewardship", workspace, dry_run, as_of) as op:
        funders, pipeline = read_funders_task(op.tables, op.cfg)
        fact_sheet = read_fact_sheet_task(op.rt.ws, op.cfg)
        plan = plan_funders_task(funders, pipeline, fact_sheet, op.cfg, op.clock.today)
        kept = keep_prep_sheets_task(plan, op.rt.ws.reports, op.db, dry_run)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        summary = funder_summary(plan, kept, delivery)
        report = build_funder_report(plan, summary, delivery, op.cfg, dry_run)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
