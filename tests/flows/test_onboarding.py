"""onboarding end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.mail import OutboxTransport
from flows.member_sync import member_sync
from flows.onboarding import onboarding
from tests.conftest import DEMO_DAY
from tests.flows.gate import PausedRun, approval_threshold_one
from weaver.ledger import Ledger
from weaver.state import StateDB

pytestmark = pytest.mark.usefixtures("prefect_harness")


DAY = DEMO_DAY.isoformat()  # the demo workbook's join dates are built for this day


def outbox(ws: Path) -> Counter[str]:
    """How many messages of each kind (welcome, buddy, digest, follow-up) the outbox holds."""
    mails = OutboxTransport(ws / "outbox", None).messages()  # type: ignore[arg-type]
    return Counter(str(m["X-Weaver-Key"]).split(":")[1] for m in mails)


def db(ws: Path) -> StateDB:
    return StateDB(f"sqlite:///{ws / 'weaver.db'}")


def add_member(ws: Path, name: str, email: str, joined: date | None, consent: str = "是") -> None:
    book = load_workbook(ws / "network.xlsx")
    sheet = book["Members"]
    sheet.append([name, email, "气候", "华东", "zh", "", "NGO", joined.isoformat() if joined else "", consent])
    book.save(ws / "network.xlsx")


def test_the_demo_welcomes_its_newcomers_and_a_rerun_adds_none(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    first = onboarding(workspace=str(demo_ws), as_of=DAY)
    assert first["newcomers"] == 12 and first["buddies_matched"] == 12
    assert outbox(demo_ws) == {"welcome": 12, "buddy": 12, "digest": 1}
    assert first["followups_planned"] == 24 and Path(first["report"]).is_file()

    member_sync(workspace=str(demo_ws))
    second = onboarding(workspace=str(demo_ws), as_of=DAY)
    assert second["newcomers"] == 0 and second["emails"]["sent"] == 0
    assert outbox(demo_ws) == {"welcome": 12, "buddy": 12, "digest": 1}


def test_follow_ups_go_out_when_due_on_a_later_run(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    onboarding(workspace=str(demo_ws), as_of=DAY)
    week_later = (DEMO_DAY + timedelta(days=7)).isoformat()  # a week passes for the day-7 follow-ups
    assert onboarding(workspace=str(demo_ws), as_of=(DEMO_DAY + timedelta(days=6)).isoformat())["followups_sent"] == 0
    later = onboarding(workspace=str(demo_ws), as_of=week_later)
    assert later["followups_sent"] == 12 and later["newcomers"] == 0
    assert outbox(demo_ws)["followup-7"] == 12
    assert onboarding(workspace=str(demo_ws), as_of=week_later)["followups_sent"] == 0  # sent once
    assert len(Ledger(db(demo_ws), "t").entries(status="planned")) == 12  # day 30 still waits


def test_a_member_added_later_is_welcomed_on_the_next_run_and_an_old_one_is_not(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    onboarding(workspace=str(demo_ws), as_of=DAY)
    add_member(demo_ws, "周新", "zhou.new@example.cn", DEMO_DAY)
    add_member(demo_ws, "钱老", "qian.old@example.cn", date(2021, 6, 1))  # a long-time member typed in late
    add_member(demo_ws, "孙静", "sun.quiet@example.cn", None, consent="否")
    member_sync(workspace=str(demo_ws))
    result = onboarding(workspace=str(demo_ws), as_of=DAY)
    assert (result["newcomers"], result["not_contacted_no_consent"], result["welcomes_sent"]) == (1, 1, 1)
    assert result["buddy_intros_sent"] == 1 and result["digests_sent"] == 1
    mails = OutboxTransport(demo_ws / "outbox", None).messages()  # type: ignore[arg-type]
    addresses = {m["To"].addresses[0].addr_spec for m in mails}
    assert "zhou.new@example.cn" in addresses
    assert not {"qian.old@example.cn", "sun.quiet@example.cn"} & addresses


def test_a_dry_run_previews_and_sends_or_records_nothing(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    plan = onboarding(workspace=str(demo_ws), dry_run=True, as_of=DAY)
    assert plan["newcomers"] == 12 and plan["emails"]["would_send"] == 25
    assert outbox(demo_ws) == {} and Path(plan["previews"]).is_file()
    assert {e["flow"] for e in Ledger(db(demo_ws), "t").entries()} == {"member-sync"}
    assert onboarding(workspace=str(demo_ws), as_of=DAY)["welcomes_sent"] == 12  # the real run still welcomes them


def test_above_the_threshold_onboarding_waits_for_approval_and_a_decline_sends_nothing(demo_ws: Path) -> None:
    approval_threshold_one(demo_ws)
    member_sync(workspace=str(demo_ws))
    paused = PausedRun("onboarding", lambda: onboarding(workspace=str(demo_ws), as_of=DAY))
    assert outbox(demo_ws) == {}  # nothing went out while waiting
    declined = paused.answer(approve=False)
    assert declined["welcomes_sent"] == 0 and outbox(demo_ws) == {}
    assert onboarding(workspace=str(demo_ws), as_of=DAY, auto_approve=True)["welcomes_sent"] == 12  # planned again
