"""membership-fees: remind members before their fee falls due, send receipts for payments, list the overdue.

read (members from the state database; the Payments tab in one read; overdue emails already sent)
-> plan (pure: paid-until after payments, the reminder or overdue email due today, receipts, the overdue list)
-> apply (each payment recorded once in the ledger; every email through `op.send`, exactly once)
-> report (artifact + a report file of the run's own). The rules are in `tasks/fees/fees.py`.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.fees.apply import record_payments_task
from tasks.fees.fees import fee_currency
from tasks.fees.plan import plan_fees_task
from tasks.fees.read import read_fee_members_task, read_overdue_sent_task, read_payments_task
from tasks.fees.report import FeeSummary, build_fee_report, fee_summary


@flow(name="membership-fees")
def membership_fees(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> FeeSummary:
    """Fee reminders before paid-until (once per threshold), receipts for payments, the overdue list.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and send nothing; previews of every email go to reports/previews/membership-fees/.
        as_of: Run as if on this date (YYYY-MM-DD) or local time in the network's time zone; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("membership-fees", workspace, dry_run, as_of) as op:
        currency = fee_currency(op.cfg)
        members = read_fee_members_task(op.db)
        payments = read_payments_task(op.tables, op.cfg, currency)
        plan = plan_fees_task(members, payments, read_overdue_sent_task(op.db), op.cfg, op.clock.today, currency)
        recorded = record_payments_task(plan, op.db, dry_run)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        summary = fee_summary(plan, recorded, delivery)
        report = build_fee_report(plan, summary, delivery, op.cfg, dry_run)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
