"""event-harvest end to end on the demo workspace: the placemaking session (ended ten days before the demo
day; fourteen members checked in at the door) is thanked once with personal harvest links; answers through
the real page become Insights rows and a harvest page; one reminder to the rest; at the close the top
consented insights are offered once to the newsletter. Every rerun sends and writes nothing."""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from connectors.mail import OutboxTransport
from demo.history import seed_history
from flows._runtime import build_tables
from flows.event_harvest import event_harvest
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY
from tests.pages import link_rig
from weaver.workspace import Workspace

pytestmark = pytest.mark.usefixtures("prefect_harness")
EVENT = "placemaking-sharing"
LINK = re.compile(r"/l/harvest/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
NOTHING = {"thanks_sent": 0, "reminders_sent": 0, "insights_written": 0, "pages_written": 0, "news_offered": 0}


def day(offset: int) -> str:
    return (DEMO_DAY + timedelta(days=offset)).isoformat()


def mails(ws: Path, prefix: str) -> dict[str, str]:
    """ledger key -> text part, of the outbox's mails whose key starts with `prefix`."""
    out = {}
    for m in OutboxTransport(ws / "outbox", None).messages():  # type: ignore[arg-type]
        if str(m["X-Weaver-Key"]).startswith(prefix):
            out[str(m["X-Weaver-Key"])] = next(
                p.get_content() for p in m.walk() if p.get_content_type() == "text/plain"
            )
    return out


def quiet(summary: object) -> dict[str, int]:
    return {k: summary[k] for k in NOTHING}  # type: ignore[index]


def test_a_finished_event_is_thanked_once_harvested_reminded_once_and_offered_once(demo_ws: Path) -> None:
    ws = str(demo_ws)
    seed_history(demo_ws, today=DEMO_DAY)
    member_sync(workspace=ws, as_of=day(0))
    first = event_harvest(workspace=ws, as_of=day(0), auto_approve=True)
    thanks = mails(demo_ws, f"harvest-thanks:{EVENT}:")
    assert first["thanks_sent"] == len(thanks) == 14 and first["events"] == 1
    assert quiet(event_harvest(workspace=ws, as_of=day(0), auto_approve=True)) == NOTHING  # a rerun: nothing
    assert len(mails(demo_ws, "harvest-")) == 14

    answers = [("见到了做社区地图的伙伴，约好下月一起走街", "connection", "5", "name"),
               ("A toolkit for street surveys", "resource", "4", "anonymous"),
               ("太热了", "other", "2", "no")]  # fmt: skip
    people = sorted(thanks)[:3]
    rig = link_rig(demo_ws, clock=lambda: datetime.fromisoformat(f"{day(1)}T04:00:00+00:00"))
    with TestClient(rig.app) as client:
        for key, (quote, tag, rating, consent) in zip(people, answers, strict=True):
            path = LINK.search(thanks[key])[0]  # type: ignore[index]
            form = {"quote": quote, "tag": tag, "rating": rating, "consent": consent}
            assert client.post(path, data=form).status_code == 200
            again = client.post(path, data=form)  # a replay: recorded earlier, nothing changes
            assert again.status_code == 200 and 'name="quote"' not in again.text

    tables = build_tables(Workspace.open(demo_ws))
    later = event_harvest(workspace=ws, as_of=day(4), auto_approve=True)
    assert later["answers"] == 3 and later["insights_written"] == 3 and later["pages_written"] == 2
    reminded = mails(demo_ws, f"harvest-reminder:{EVENT}:")
    assert later["reminders_sent"] == len(reminded) == 11  # only those who have not answered
    assert not {k.rsplit(":", 1)[1] for k in reminded} & {k.rsplit(":", 1)[1] for k in people}
    insights = tables.read_tab("Insights")
    assert len(insights) == 4 and insights[0][0] == "活动编号"
    assert [r[4] for r in insights[1:]] == [a[0] for a in answers]
    assert all(r[1].startswith("社区营造分享会") and r[6] and not r[6].startswith("m-") for r in insights[1:])
    [zh] = (demo_ws / "reports" / "harvest").glob("*/harvest-zh.html")
    page = zh.read_text(encoding="utf-8")
    assert "见到了做社区地图的伙伴" in page and "A toolkit for street surveys" in page and "太热了" not in page
    assert "m-" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    assert quiet(event_harvest(workspace=ws, as_of=day(4), auto_approve=True)) == NOTHING

    news_before = tables.read_tab("News")
    closed = event_harvest(workspace=ws, as_of=day(12), auto_approve=True)  # 21 days after the end
    assert closed["news_offered"] == 1 and closed["reminders_sent"] == 0 and closed["thanks_sent"] == 0
    news = tables.read_tab("News")
    assert len(news) == len(news_before) + 1
    offer = dict(zip(news[0], news[-1], strict=False))
    assert offer["status"] == "draft" and offer["title_en"].startswith("What we learned at")
    assert "见到了做社区地图的伙伴" in offer["summary_zh"] and "太热了" not in offer["summary_zh"]
    assert quiet(event_harvest(workspace=ws, as_of=day(12), auto_approve=True)) == NOTHING
    assert tables.read_tab("News") == news and tables.read_tab("Insights") == insights
