"""finance: the budget against what was spent, bank exports imported once, owners alerted, the month's report.

read (the Budget and Transactions tabs, one read each; bank CSV exports in the workspace; rows imported before)
-> plan (pure: new bank rows deduplicated, actual against budget per line, period and currency, alerts due,
restricted grants, spending by month)
-> apply (new rows appended to the Transactions tab in one write through the ledger; alerts through `op.send`)
-> report (the month's finance report with charts: artifact + a report file of the run's own).
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.finance.apply import append_imports_task
from tasks.finance.plan import plan_finance_task
from tasks.finance.read import read_bank_files_task, read_finance_tabs_task, read_imported_ids_task
from tasks.finance.report import FinanceSummary, build_finance_report, finance_summary


@flow(name="finance")
def finance(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> FinanceSummary:
    """Actual against budget, bank exports into the Transactions tab, owners' alerts, the finance report.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no row appended, no alert sent (previews are written instead).
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; the report is of its month.
        auto_approve: Send the alerts without waiting for a coordinator's approval, even above
            [mail] approval_threshold.
    """
    with Operation("finance", workspace, dry_run, as_of) as op:
        budget, transactions = read_finance_tabs_task(op.tables, op.cfg)
        bank = read_bank_files_task(op.rt.ws, op.cfg)
        before = read_imported_ids_task(op.db)
        plan = plan_finance_task(budget, transactions, bank, op.cfg, op.clock.today, op.source, before)
        appended = append_imports_task(plan, op.tables, op.db, op.cfg, dry_run)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        summary = finance_summary(plan, appended, delivery, op.cfg)
        report = build_finance_report(plan, summary, op.cfg, dry_run)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
