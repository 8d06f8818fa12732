"""stories end to end on the demo workspace: its first round (members voted on the page, the two most voted
authors were asked, one said yes) publishes exactly that story, once, to the News tab (the newsletter's
feature) and the impact report's stories section; the story its author did not agree to stays unpublished."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.history import EARLIER_STORIES, seed_history
from flows._runtime import build_tables
from flows.member_sync import member_sync
from flows.stories import stories
from tasks.impact.plan import plan_impact
from tasks.impact.read import read_impact
from tests.conftest import DEMO_DAY
from weaver.config import load_config
from weaver.state import StateDB
from weaver.state.stories import consents, load_rounds
from weaver.workspace import Workspace

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_only_the_consented_story_is_published_once_and_shown_in_the_impact_report(demo_ws: Path) -> None:
    ws = str(demo_ws)
    seed_history(demo_ws, today=DEMO_DAY)
    member_sync(workspace=ws, as_of=DEMO_DAY.isoformat())
    tables = build_tables(Workspace.open(demo_ws))
    news_before = tables.read_tab("News")
    first = stories(workspace=ws, as_of=DEMO_DAY.isoformat(), auto_approve=True)
    assert first["published"] == 1 and first["news_offered"] == 1
    assert first["consent_asks_sent"] == 0 and first["invitations_sent"] == 0  # the demo's past sent those
    news = tables.read_tab("News")
    assert len(news) == len(news_before) + 1
    row = dict(zip(news[0], news[-1], strict=False))
    db = StateDB(Workspace.open(demo_ws).state_url)
    [round_] = load_rounds(db)
    given = consents(db)
    [story] = [n for n in round_["nominees"] if n["story_id"] in given]
    others = [n["text"] for n in round_["nominees"] if n["story_id"] not in given]
    assert row["summary_zh"] == story["text"] and row["status"] == "publish" and row["by"] and row["by"][:2] != "m-"
    again = stories(workspace=ws, as_of=DEMO_DAY.isoformat(), auto_approve=True)
    assert (again["news_offered"], again["invitations_sent"], again["consent_asks_sent"]) == (0, 0, 0)
    assert tables.read_tab("News") == news

    config = load_config(demo_ws / "weaver.toml")
    plan = plan_impact(read_impact(tables, db, config, "zh"), config, DEMO_DAY, "zh")
    for lang in ("zh", "en"):
        page = plan.pages[lang].report
        assert story["text"] in page and row["by"] in page
        assert not [text for text in others if text in page]  # chosen or not, no yes: never published
    assert set(EARLIER_STORIES) >= {story["text"], *others}
