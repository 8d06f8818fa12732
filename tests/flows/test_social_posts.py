"""social-posts on the demo workspace: approved posts written once to posts/ (a rerun writes none), drafts for
new events, and a coordinator approving a draft by setting its status."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows.social_posts import social_posts
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")


def posts_tab(ws: Path) -> list[list[str]]:
    sheet = load_workbook(ws / "network.xlsx")["Posts"]
    return [[str(c or "") for c in row] for row in sheet.iter_rows(values_only=True)]


def test_approved_posts_go_out_once_per_channel_and_drafts_appear_for_new_events(demo_ws: Path) -> None:
    first = social_posts(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert (first["posted"], first["waiting"], first["rejected"]) == (2, 1, 0)
    folder = demo_ws / "posts"
    assert sorted(p.name for p in folder.iterdir()) == ["welcome-winter.posts-en.txt", "welcome-winter.posts-zh.txt"]
    assert (folder / "welcome-winter.posts-zh.txt").read_text(encoding="utf-8").startswith("冬季活动季开始了")
    assert (folder / "welcome-winter.posts-en.txt").read_text(encoding="utf-8").startswith("Our winter season")

    rows = posts_tab(demo_ws)
    drafted = {row[7]: row for row in rows[1:] if row[7]}
    events = {k for k in drafted if k.startswith("event:")}
    assert events == {"event:open-data-clinic", "event:climate-roundtable", "event:berlin-commons-meetup"}
    assert first["drafts_added"] == len(drafted) and all(row[6] == "草稿" for row in drafted.values())
    climate = drafted["event:climate-roundtable"]
    assert climate[0] == "evt-climate-roundtable" and climate[3].startswith("活动预告：气候行动圆桌")
    assert "https://forms.example.org/rsvp?event=climate-roundtable" in climate[4]

    again = social_posts(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert (again["posted"], again["already_posted"], again["drafts_added"]) == (0, 2, 0)
    assert len(list(folder.iterdir())) == 2 and posts_tab(demo_ws) == rows

    # a coordinator approves the climate draft, only for the English channel: it goes out on the next run
    book = load_workbook(demo_ws / "network.xlsx")
    sheet = book["Posts"]
    at = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), 1) if row[0] == "evt-climate-roundtable")
    sheet.cell(at, 7, "批准")
    sheet.cell(at, 3, "posts-en")
    book.save(demo_ws / "network.xlsx")
    third = social_posts(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert (third["posted"], third["already_posted"]) == (1, 2)
    assert (folder / "evt-climate-roundtable.posts-en.txt").read_text(encoding="utf-8").startswith("Coming up:")
