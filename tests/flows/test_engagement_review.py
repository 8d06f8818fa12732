"""engagement-review end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

import csv
import re
import warnings
from datetime import timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from connectors.mail import OutboxTransport, Sender
from connectors.workbook import WorkbookTables
from flows.engagement_review import engagement_review
from flows.member_sync import member_sync
from tasks.common.ties import load_ties
from tests.conftest import DEMO_DAY
from tests.flows.gate import PausedRun, approval_threshold_one
from tests.pages import link_rig
from weaver.state import StateDB

pytestmark = pytest.mark.usefixtures("prefect_harness")


def outbox(ws: Path) -> list[str]:
    return sorted(m["X-Weaver-Key"] for m in OutboxTransport(ws / "outbox", Sender("a@b.org", "x")).messages())


def test_review_scores_members_briefs_weavers_and_introduces_newcomers_once(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    before = WorkbookTables(demo_ws / "network.xlsx").read_tab("Members")
    first = engagement_review(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert first["members_scored"] > 250 and first["drifting"] > 0 and first["newcomer"] > 0
    assert first["checkins_assigned"] == first["drifting"] + first["newcomer"]
    assert first["introductions"] == first["introductions_recorded"] > 0

    after = WorkbookTables(demo_ws / "network.xlsx").read_tab("Members")
    width = len(before[0])
    assert [r[:width] for r in after] == [(r + [""] * width)[:width] for r in before]  # only our columns
    assert after[0][width:] == ["参与度", "最近活跃"]
    assert all(r[width].isdigit() for r in after[1:] if r[width - 2] and r[width - 1] == "已同步")

    sent = outbox(demo_ws)
    assert sum(k.startswith("email:digest:") for k in sent) == 3  # one per weaver
    assert sum(k.startswith("email:introduction:") for k in sent) == 2 * first["introductions"]
    with open(demo_ws / "reports" / "ties-kumu.csv", encoding="utf-8") as f:
        assert next(csv.reader(f)) == ["From", "To", "Type", "Date", "Occasion"]

    second = engagement_review(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert (second["cells"], second["emails"]["sent"], second["introductions"]) == (0, 0, 0)
    assert outbox(demo_ws) == sent


def test_did_you_meet_is_asked_once_when_due(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    first = engagement_review(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    later = (DEMO_DAY + timedelta(days=14)).isoformat()
    due = engagement_review(workspace=str(demo_ws), as_of=later)
    asks = [k for k in outbox(demo_ws) if k.startswith("email:intro-followup:")]
    assert due["followups_due"] == first["introductions"] == len(asks)
    again = engagement_review(workspace=str(demo_ws), as_of=later)
    assert again["emails"]["sent"] == 0

    # the ask carries two signed links: a "yes" click makes a confirmed meeting, a "not yet" is offered once more
    links = followup_links(demo_ws)
    assert len(links) == len(asks) >= 2
    rig = link_rig(demo_ws)
    with TestClient(rig.app) as client:
        assert client.post(links[0]["yes"]).status_code == 200
        assert client.post(links[1]["not-yet"]).status_code == 200
        assert client.post(links[0]["yes"]).status_code == 200  # a replay: nothing more
    met = [x for x in load_ties(rig.db) if x.source == "meeting"]
    assert len(met) == 1 and met[0].ref in links[0]["ref"]
    offered = engagement_review(workspace=str(demo_ws), as_of=later)
    assert offered["reoffers"] == 1 and offered["emails"]["sent"] == 1
    assert sum(k.startswith("email:intro-reoffer:") for k in outbox(demo_ws)) == 1
    once = engagement_review(workspace=str(demo_ws), as_of=later)
    assert once["emails"]["sent"] == 0  # offered once: the ledger keeps it


def followup_links(ws: Path) -> list[dict[str, str]]:
    """The yes / not-yet links (paths) of each "did you meet?" email in the outbox, with the introduction."""
    found = []
    for mail in OutboxTransport(ws / "outbox", Sender("a@b.org", "x")).messages():
        key = str(mail["X-Weaver-Key"])
        if key.startswith("email:intro-followup:"):
            text = next(p.get_content() for p in mail.walk() if p.get_content_type() == "text/plain")
            urls = re.findall(r"https?://\S+?(/l/met/\S+)", text)
            found.append({"yes": urls[0], "not-yet": urls[1], "ref": key.removeprefix("email:intro-followup:")})
    return sorted(found, key=lambda x: x["ref"])


def introduction_ties(ws: Path) -> int:
    return sum(x.source == "introduction" for x in load_ties(StateDB(f"sqlite:///{ws / 'weaver.db'}")))


def test_above_the_threshold_the_review_waits_and_a_decline_sends_nothing_and_introduces_no_one(demo_ws: Path) -> None:
    approval_threshold_one(demo_ws)
    member_sync(workspace=str(demo_ws))
    day = DEMO_DAY.isoformat()
    paused = PausedRun("engagement-review", lambda: engagement_review(workspace=str(demo_ws), as_of=day))
    assert outbox(demo_ws) == []  # nothing went out while waiting
    declined = paused.answer(approve=False)
    assert declined["introductions"] > 0 and declined["introductions_recorded"] == 0
    assert declined["emails"]["sent"] == 0 and outbox(demo_ws) == [] and introduction_ties(demo_ws) == 0

    approved = engagement_review(workspace=str(demo_ws), as_of=day, auto_approve=True)  # planned again
    assert approved["introductions"] == declined["introductions"] == approved["introductions_recorded"]
    assert introduction_ties(demo_ws) == approved["introductions"]
    assert sum(k.startswith("email:introduction:") for k in outbox(demo_ws)) == 2 * approved["introductions"]

    html = Path(approved["report"]).read_text(encoding="utf-8")  # people by name, weavers by their names
    assert "林晓" in html and "w-lin" not in html and not re.search(r"\bm-[0-9a-f]{12}\b", html)
    with open(demo_ws / "reports" / "ties-kumu-elements.csv", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:3] == ["ID", "Label", "Type"]
    assert all(r[0].startswith("m-") and r[1] and not r[1].startswith("m-") for r in rows[1:])
