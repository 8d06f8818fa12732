"""impact-report: the quarter's impact report, the network map, a PDF and a one-page fact sheet for funders.

read (members as recorded, attendance, events and surveys tabs, ties, engagement, survey answers) -> plan
(pure, tasks/impact/: figures, the networkx map and its change since the quarter before, zh and en pages)
-> apply (each language's files written once through the ledger, printed to PDF with headless Chromium) ->
report (where the files are, headline figures). Run it as of any day: the quarter of that day, up to it.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_printer
from tasks.impact.apply import folder, write_impact_task
from tasks.impact.plan import plan_impact_task
from tasks.impact.read import read_impact_task
from tasks.impact.report import ImpactSummary, build_impact_report, summarise_impact


@flow(name="impact-report")
def impact_report(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, quarter: str = ""
) -> ImpactSummary:
    """Write the quarter's impact report (HTML and PDF, zh and en), the network map and the funders' fact sheet.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Compute and show the figures, write no file.
        as_of: Count up to this day (YYYY-MM-DD); empty for today.
        quarter: The quarter to report: empty for the quarter of `as_of`, "previous" for the one before it (all
            of it), or e.g. "2026-Q3".
    """
    with Operation("impact-report", workspace, dry_run, as_of) as op:
        read = read_impact_task(op.tables, op.db, op.cfg, op.lang)
        printer = build_printer(op.rt.ws)  # none without a browser: the report says no PDF was made
        plan = plan_impact_task(read, op.cfg, op.clock.today, op.lang, pdf=printer is not None, quarter_name=quarter)
        target = folder(op.rt.ws.reports, plan)
        applied = write_impact_task(plan, op.db, op.rt.ws.reports, printer, dry_run)
        report = build_impact_report(plan, applied, target, op.lang, dry_run)
        return op.finish(report, summarise_impact(plan, applied, target))
