"""member-intake through Prefect on the demo workspace: a join submission becomes one row, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from connectors.workbook import WorkbookTables
from deployments import samples
from deployments.submissions import parse_submission
from flows.member_intake import member_intake
from tests.conftest import DEMO_DAY
from weaver.state import StateDB, inbox
from weaver.state.submissions import inbox_add, inbox_get
from weaver.workspace import Workspace

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = DEMO_DAY.isoformat()

ANSWERS = {**samples.DEMO_JOIN, "姓名 Name": '=HYPERLINK("http://x.example","Ana")'}


def submit(ws: Path, submission: str, answers: dict | None = None) -> StateDB:
    fields = Workspace.open(ws).config.webhooks.forms["join"].fields
    sub = parse_submission("tally", "join", samples.tally(submission, answers or ANSWERS), fields)
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    inbox_add(db, sub.inbox_id, "tally", "join", "join", sub.payload)
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
