"""membership-fees end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.mail import OutboxTransport
from flows.member_sync import member_sync
from flows.membership_fees import membership_fees
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = DEMO_DAY.isoformat()


def mails(ws: Path) -> list[tuple[str, str]]:
    """(ledger key, recipient) of every mail in the outbox."""
    found = OutboxTransport(ws / "outbox", None).messages()  # type: ignore[arg-type]
    return sorted((str(m["X-Weaver-Key"]), m["To"].addresses[0].addr_spec) for m in found)


def kinds(ws: Path) -> Counter[str]:
    return Counter(key.split(":")[0] for key, _ in mails(ws))


def test_the_demo_reminds_once_per_threshold_a_payment_stops_them_and_reruns_send_nothing(demo_ws: Path) -> None:
    payer = str(load_workbook(demo_ws / "network.xlsx")["Payments"]["B3"].value)  # due within weeks, paid yesterday
    member_sync(workspace=str(demo_ws))
    first = membership_fees(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert first["reminders_sent"] > 0 and first["overdue_emails_sent"] > 0
    assert (first["receipts_sent"], first["payments_unmatched"], first["payments_new"]) == (2, 1, 3)
    assert first["overdue_list_sent"] == 1 and first["renewed_by_payment"] == 2 and first["rows_to_fix"] >= 1
    assert Path(first["report"]).is_file()
    to_payer = {key.split(":")[0] for key, to in mails(demo_ws) if to == payer}
    assert to_payer == {"fee-receipt"}  # the payment stopped the reminder and sent a receipt
    sent = mails(demo_ws)

    again = membership_fees(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert again["emails"]["sent"] == 0 and again["payments_new"] == 0 and mails(demo_ws) == sent

    week = (DEMO_DAY + timedelta(days=8)).isoformat()
    later = membership_fees(workspace=str(demo_ws), as_of=week, auto_approve=True)
    assert later["reminders_sent"] > 0 and later["receipts_sent"] == 0
    assert membership_fees(workspace=str(demo_ws), as_of=week, auto_approve=True)["emails"]["sent"] == 0
    reminders = Counter(tuple(key.split(":")[1:3]) for key, _ in mails(demo_ws) if key.startswith("fee-reminder:"))
    keys = [key for key, _ in mails(demo_ws)]
    assert len(keys) == len(set(keys)) and max(reminders.values()) == 2  # a member heard at 30 days, then at 7
    thresholds = {key.rsplit(":", 1)[1] for key in keys if key.startswith("fee-reminder:")}
    assert thresholds <= {"30", "7", "1"}
    overdue = Counter(tuple(key.split(":")[1:3]) for key in keys if key.startswith("fee-overdue:"))
    assert max(overdue.values()) <= 2


def test_a_dry_run_sends_and_records_nothing(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    plan = membership_fees(workspace=str(demo_ws), as_of=DAY, dry_run=True)
    assert plan["emails"]["would_send"] > 0 and plan["payments_new"] == 3
    assert mails(demo_ws) == [] and (demo_ws / "reports/previews/membership-fees/index.html").is_file()
    assert membership_fees(workspace=str(demo_ws), as_of=DAY, auto_approve=True)["payments_new"] == 3
