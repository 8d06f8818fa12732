"""member-intake through Prefect on the demo workspace: a join submission becomes one row, once."""

from __future__ import annotations

import mailbox
import warnings
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from connectors.workbook import WorkbookTables
from deployments import samples
from deployments.submissions import parse_submission
from flows.member_intake import member_intake
from tests.conftest import DEMO_DAY
from tests.pages import link_rig
from weaver.state import StateDB, inbox
from weaver.state.optin import confirmations_of, join_confirmations, record_asked
from weaver.state.submissions import inbox_add, inbox_get
from weaver.workspace import Workspace

with warnings.catch_warnings():  # Starlette 1.x would rather drive its TestClient with httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = DEMO_DAY.isoformat()

ANSWERS = {**samples.DEMO_JOIN, "姓名 Name": '=HYPERLINK("http://x.example","Ana")'}


def submit(ws: Path, submission: str, answers: dict | None = None, confirmed: bool = True) -> StateDB:
    """A join in the inbox; `confirmed`: its person already confirmed it by the emailed link (double opt-in)."""
    fields = Workspace.open(ws).config.webhooks.forms["join"].fields
    sub = parse_submission("tally", "join", samples.tally(submission, answers or ANSWERS), fields)
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    inbox_add(db, sub.inbox_id, "tally", "join", "join", sub.payload)
    if confirmed:
        asked = datetime(2026, 11, 24, tzinfo=UTC)
        record_asked(db, [(sub.inbox_id, asked, asked + timedelta(days=7))])
        with db.begin() as conn:
            conn.execute(update(join_confirmations).values(confirmed_at=asked))
    return db


def members(ws: Path) -> list[list[str]]:
    return WorkbookTables(ws / "network.xlsx").read_tab("Members")


def test_a_join_submission_becomes_one_synced_row_and_a_rerun_adds_nothing(demo_ws: Path) -> None:
    before = members(demo_ws)
    db = submit(demo_ws, "r-1")
    summary = member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-1")
    assert (summary["added"], summary["rejected"]) == (1, 0)
    [row] = summary["rows"]
    after = members(demo_ws)
    assert len(after) == row and after[row - 1][1] == "ana.lima@example.org"
    assert after[row - 1][0] == '=HYPERLINK("http://x.example","Ana")'  # as typed ...
    assert load_workbook(demo_ws / "network.xlsx")["Members"].cell(row=row, column=1).data_type == "s"  # ... as text
    owned = after[0].index("成员编号")  # the member id column (member-sync owns it and what follows)
    assert [r[:owned] for r in after[: len(before)]] == [r[:owned] for r in before]  # nothing else moved
    assert summary["member_sync"]["added"] >= 1  # synced right away: the newcomer has a member id
    assert after[row - 1][owned].startswith("m-")
    entry = inbox_get(db, "tally:r-1")
    assert entry["status"] == "processed" and entry["detail"] == f"added as row {row}"

    again = member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-1")
    assert again["submissions"] == 0 and len(members(demo_ws)) == len(after)


def test_a_retried_submission_never_adds_a_second_row(demo_ws: Path) -> None:
    db = submit(demo_ws, "r-1")
    [row] = member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-1")["rows"]
    # the row is deleted by hand and the same submission comes round again (a retry after a lost mark)
    book = load_workbook(demo_ws / "network.xlsx")
    book["Members"].delete_rows(row)
    book.save(demo_ws / "network.xlsx")
    with db.begin() as conn:
        conn.execute(update(inbox).values(status="dispatched"))
    rows_before = len(members(demo_ws))
    summary = member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-1")
    assert (summary["added"], summary["already_added"]) == (0, 1)  # the ledger remembers the submission
    assert len(members(demo_ws)) == rows_before


def test_without_a_submission_every_waiting_join_is_taken_in_and_bad_ones_are_reported(demo_ws: Path) -> None:
    submit(demo_ws, "r-1")
    submit(demo_ws, "r-2", {**samples.DEMO_JOIN, "邮箱 Email": "ana.lima@example.org "})  # same person again
    db = submit(demo_ws, "r-3", {"姓名 Name": "No Email"})
    summary = member_intake(workspace=str(demo_ws), as_of=DAY)
    assert (summary["submissions"], summary["added"], summary["already_members"], summary["rejected"]) == (3, 1, 1, 1)
    failed = inbox_get(db, "tally:r-3")
    assert failed["status"] == "failed" and failed["detail"] in ("缺少邮箱", "email is missing")
    assert Path(summary["report"]).is_file()


def test_dry_run_writes_nothing_and_leaves_the_inbox(demo_ws: Path) -> None:
    db = submit(demo_ws, "r-1")
    workbook = (demo_ws / "network.xlsx").read_bytes()
    plan = member_intake(workspace=str(demo_ws), as_of=DAY, dry_run=True)
    assert plan["submissions"] == 1 and "member_sync" not in plan
    assert (demo_ws / "network.xlsx").read_bytes() == workbook
    assert inbox_get(db, "tally:r-1")["status"] == "received"


def mails_to(ws: Path, address: str) -> list[Message]:
    return [m for m in mailbox.Maildir(ws / "outbox", create=False) if address in str(m.get("To", ""))]


def subject(mail: Message) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def text_of(mail: Message) -> str:
    part = next(p for p in mail.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def test_a_join_is_welcomed_only_once_its_person_confirms_and_an_unconfirmed_one_expires(demo_ws: Path) -> None:
    before = members(demo_ws)
    db = submit(demo_ws, "r-9", confirmed=False)
    asked = member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-9")
    assert (asked["asked_to_confirm"], asked["added"]) == (1, 0) and "onboarding" not in asked
    assert members(demo_ws) == before  # not in the sheet, so in no digest, directory or matching
    [confirm] = mails_to(demo_ws, "ana.lima@example.org")  # the confirm email, and no welcome
    assert "confirm" in subject(confirm).lower() and "List-Unsubscribe" not in confirm
    assert inbox_get(db, "tally:r-9")["status"] == "dispatched"
    again = member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-9")
    assert (again["asked_to_confirm"], again["waiting_for_confirmation"]) == (0, 1)
    assert len(mails_to(demo_ws, "ana.lima@example.org")) == 1  # asked once

    # the person opens the link from the email and presses the button (the receiver's page)
    path = next(w for w in text_of(confirm).split() if "/l/confirm-join/" in w).split("/l/", 1)[1]
    when = confirmations_of(db, ["tally:r-9"])["tally:r-9"]["asked_at"] + timedelta(hours=2)
    with TestClient(link_rig(demo_ws, clock=lambda: when).app) as client:
        assert "confirmed" in client.post(f"/l/{path}", data={"action": "confirm"}).text
    welcomed = member_intake(workspace=str(demo_ws), as_of=DAY, submission="confirmed:tally:r-9")
    assert welcomed["added"] == 1 and welcomed["member_sync"]["added"] >= 1
    assert any("welcome" in subject(m).lower() for m in mails_to(demo_ws, "ana.lima@example.org"))
    assert inbox_get(db, "tally:r-9")["status"] == "processed"
    assert inbox_get(db, "confirmed:tally:r-9")["status"] == "processed"

    # another join is never confirmed: eight days later the run reports it and erases its answers
    submit(demo_ws, "r-10", {**samples.DEMO_JOIN, "姓名 Name": "Bo Late", "邮箱 Email": "bo@example.org"},
           confirmed=False)  # fmt: skip
    member_intake(workspace=str(demo_ws), as_of=DAY, submission="tally:r-10")
    later = (DEMO_DAY + timedelta(days=8)).isoformat()
    expired = member_intake(workspace=str(demo_ws), as_of=later, submission="tally:r-10")
    assert (expired["expired"], expired["added"]) == (1, 0)
    assert "Bo Late" in Path(expired["report"]).read_text(encoding="utf-8")
    entry = inbox_get(db, "tally:r-10")
    assert entry["status"] == "failed" and entry["payload"] == {} and entry["detail"].startswith("expired")
    assert not any("bo@example.org" in str(r) for r in members(demo_ws))
