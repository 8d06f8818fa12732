"""event-ideas end to end on the demo workspace: the dot vote that closed yesterday becomes draft events, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.workbook import WorkbookTables
from demo.history import seed_history
from flows.event_ideas import event_ideas
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")


def events(ws: Path) -> list[list[str]]:
    return WorkbookTables(ws / "network.xlsx").read_tab("Events")


def test_the_demo_dot_vote_produces_draft_events_once(demo_ws: Path) -> None:
    seed_history(demo_ws, today=DEMO_DAY)
    member_sync(workspace=str(demo_ws))
    before = events(demo_ws)
    first = event_ideas(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), auto_approve=True)
    assert (first["status"], first["drafts_written"], first["invitations_sent"]) == ("closed", 3, 0)
    assert first["voted"] > 30 and first["rows_to_fix"] == 1
    after = events(demo_ws)
    drafts = after[len(before) :]
    assert [r[0] for r in drafts] == ["idea-river-walk", "idea-data-sprint", "idea-story-night"]
    assert all(r[9] == "draft" for r in drafts) and "需要检测包" in drafts[0][10]
    again = event_ideas(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), auto_approve=True)
    assert again["drafts_written"] == 0 and events(demo_ws) == after
