"""group-mixer end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.mail import OutboxTransport, Sender
from connectors.workbook import WorkbookTables
from flows.group_mixer import group_mixer
from flows.member_sync import member_sync
from tasks.common.ties import load_ties
from tests.conftest import DEMO_DAY
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
