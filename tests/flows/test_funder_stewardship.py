"""funder-stewardship end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mail import OutboxTransport
from flows.event_invites import event_invites
from flows.funder_stewardship import funder_stewardship
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = DEMO_DAY.isoformat()


def mails(ws: Path) -> list[tuple[str, str]]:
    found = OutboxTransport(ws / "outbox", None).messages()  # type: ignore[arg-type]
    return sorted((str(m["X-Weaver-Key"]).split(":")[0], m["To"].addresses[0].addr_spec) for m in found)


def test_owners_hear_once_a_prep_sheet_is_kept_and_report_deadlines_reach_the_calendar(demo_ws: Path) -> None:
    first = funder_stewardship(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert (first["funders"], first["contacts_due"], first["reports_due"], first["meetings_soon"]) == (6, 3, 2, 1)
    assert (first["reminders_sent"], first["prep_sheets_sent"], first["prep_sheets_kept"]) == (4, 1, 1)
    assert first["without_owner"] == 1 and first["rows_to_fix"] == 1
    owner = "weaver@weaving.example.org"
    assert mails(demo_ws) == sorted([("funder-contact", owner)] * 2 + [("funder-report", owner)] * 2
                                    + [("funder-prep", owner)])  # fmt: skip
    [sheet] = (demo_ws / "reports" / "funders").glob("prep-*.html")
    assert "腾讯公益慈善基金会" in sheet.name and "社区营造伙伴计划" in sheet.read_text(encoding="utf-8")

    again = funder_stewardship(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert again["emails"]["sent"] == 0 and again["prep_sheets_kept"] == 0 and len(mails(demo_ws)) == 5

    member_sync(workspace=str(demo_ws))
    event_invites(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    calendar = (demo_ws / "calendar.ics").read_text(encoding="utf-8")
    unfolded = calendar.replace("\r\n ", "")
    assert "报告截止 (腾讯公益慈善基金会)" in unfolded and "南都公益基金会" in unfolded
    assert "网络气候行动联合声明 (决策截止)" in unfolded  # a decision round's close is in the calendar too
