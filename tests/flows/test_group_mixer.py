"""group-mixer end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.mail import OutboxTransport, Sender
from connectors.workbook import WorkbookTables
from flows.group_mixer import group_mixer
from flows.member_sync import member_sync
from tasks.common.ties import load_ties
from tests.conftest import DEMO_DAY
from tests.flows.gate import PausedRun, approval_threshold_one
from weaver.ledger import Ledger
from weaver.state import StateDB

pytestmark = pytest.mark.usefixtures("prefect_harness")
TODAY = DEMO_DAY.isoformat()
NEXT = f"evt-{(DEMO_DAY + timedelta(days=7)).isoformat()}"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outbox(ws: Path) -> list[str]:
    return sorted(m["X-Weaver-Key"] for m in OutboxTransport(ws / "outbox", Sender("a@b.org", "x")).messages())


def test_mixes_the_next_event_and_a_rerun_writes_and_sends_nothing(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    first = group_mixer(workspace=str(demo_ws), as_of=TODAY)
    assert (first["event"], first["people"], first["rounds"], first["groups"]) == (NEXT, 36, 2, 6)
    assert first["repeat_pairs"] < first["random_split_repeat_pairs"]
    assert first["groups_without_facilitator"] == 0
    rows = WorkbookTables(demo_ws / "network.xlsx").read_tab("Groups")[1:]
    seats = Counter((r[1], r[3]) for r in rows if r[0] == NEXT)
    assert len(seats) == 2 * 36 and set(seats.values()) == {1}  # everyone once per round
    sent = outbox(demo_ws)
    assert len(sent) == first["emails"]["sent"] > 0 and first["emails"]["suppressed"] > 0  # no-consent skipped
    assert Path(first["cards"]).is_file() and Path(first["report"]).is_file()

    book = digest(demo_ws / "network.xlsx")
    second = group_mixer(workspace=str(demo_ws), as_of=TODAY)
    assert (second["cells"], second["emails"]["sent"]) == (0, 0)
    assert digest(demo_ws / "network.xlsx") == book and outbox(demo_ws) == sent


def test_a_remix_replaces_the_events_groups_and_ties(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    group_mixer(workspace=str(demo_ws), as_of=TODAY, email_participants=False)
    remix = group_mixer(workspace=str(demo_ws), as_of=TODAY, seed=7, group_size=4, rounds=1, email_participants=False)
    assert remix["groups"] == 9 and remix["cells"] > 0
    group_ties = [t for t in load_ties(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}")) if t.source == "group"]
    assert {t.ref.split("/")[1] for t in group_ties} == {"r1"}  # the two-round mix is gone
    assert len(group_ties) == remix["new_pairs"] + remix["repeat_pairs"]
    rows = WorkbookTables(demo_ws / "network.xlsx").read_tab("Groups")[1:]
    assert len([r for r in rows if r[0] == NEXT]) == 36


def test_dry_run_changes_nothing(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    book, db = digest(demo_ws / "network.xlsx"), digest(demo_ws / "weaver.db")
    plan = group_mixer(workspace=str(demo_ws), as_of=TODAY, dry_run=True)
    assert plan["people"] == 36 and plan["emails"]["would_send"] > 0
    assert digest(demo_ws / "network.xlsx") == book and digest(demo_ws / "weaver.db") == db
    assert outbox(demo_ws) == []


def test_without_a_groups_tab_the_error_says_what_to_add(demo_ws: Path) -> None:
    from openpyxl import load_workbook

    from tasks.mixing.mix import MixError

    member_sync(workspace=str(demo_ws))
    book = load_workbook(demo_ws / "network.xlsx")
    del book["Groups"]
    book.save(demo_ws / "network.xlsx")
    with pytest.raises(MixError, match="network.xlsx：没有名为 'Groups' 的工作表：请新建一个空白工作表"):
        group_mixer(workspace=str(demo_ws), as_of=TODAY)


def test_above_the_threshold_the_emails_wait_for_approval_and_a_decline_sends_nothing(demo_ws: Path) -> None:
    approval_threshold_one(demo_ws)
    member_sync(workspace=str(demo_ws))
    paused = PausedRun("group-mixer", lambda: group_mixer(workspace=str(demo_ws), as_of=TODAY))
    assert outbox(demo_ws) == []  # nothing went out while waiting
    declined = paused.answer(approve=False)
    assert declined["emails"]["held"] > 0 and declined["emails"]["sent"] == 0 and outbox(demo_ws) == []
    ledger = Ledger(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}"), "t").entries()
    assert not [e for e in ledger if str(e["key"]).startswith("email:")]  # no email recorded
    again = group_mixer(workspace=str(demo_ws), as_of=TODAY, auto_approve=True)  # the same emails, planned again
    emails = again["emails"]
    assert again["cells"] == 0 and emails["sent"] + emails["suppressed"] == declined["emails"]["held"]
    assert len(outbox(demo_ws)) == again["emails"]["sent"] > 0


def test_emails_and_the_report_name_people_and_the_event_not_ids(demo_ws: Path) -> None:
    book = load_workbook(demo_ws / "network.xlsx")
    day = (DEMO_DAY + timedelta(days=7)).isoformat()
    book["Events"].append([NEXT, "织网年会 · Weavers' Gathering", f"{day} 14:00"])
    book.save(demo_ws / "network.xlsx")
    member_sync(workspace=str(demo_ws))
    result = group_mixer(workspace=str(demo_ws), as_of=TODAY)
    mails = OutboxTransport(demo_ws / "outbox", Sender("a@b.org", "x")).messages()
    assert mails and all("织网年会" in str(m["Subject"]) and NEXT not in str(m["Subject"]) for m in mails)
    assert all(NEXT not in m.get_body(("plain",)).get_content() for m in mails)
    report = Path(result["report"]).read_text(encoding="utf-8")
    assert "织网年会" in report and not re.search(r"m-[0-9a-f]{12}", report)
    assert "织网年会" in Path(result["cards"]).read_text(encoding="utf-8")
