"""decision-rounds end to end on the demo workspace: links sent, answers through the page (changeable until the
close, forged and foreign tokens refused), reminders only to non-responders, the tally written and announced once."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from connectors.mail import OutboxTransport
from connectors.workbook import WorkbookTables
from flows.decision_rounds import decision_rounds
from flows.member_sync import member_sync
from tests.browser import dump_dom
from tests.conftest import DEMO_DAY
from tests.pages import link_rig, serving
from weaver.links import LinkSigner
from weaver.state.decisions import responses

pytestmark = pytest.mark.usefixtures("prefect_harness")
VOTE = "theme-2027"  # the demo's vote: opened 14 days before the demo day, closed the day before
OPTIONS = ["社区韧性 Community resilience", "开放数据 Open data", "乡村教育 Rural education"]
LINK = re.compile(r"/l/decide/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)")


def day(offset: int) -> str:
    return (DEMO_DAY + timedelta(days=offset)).isoformat()


def mails(ws: Path) -> list[tuple[str, str]]:
    """(ledger key, text part) of every mail in the outbox."""
    out = []
    for m in OutboxTransport(ws / "outbox", None).messages():  # type: ignore[arg-type]
        text = next(p.get_content() for p in m.walk() if p.get_content_type() == "text/plain")
        out.append((str(m["X-Weaver-Key"]), text))
    return out


def kinds(ws: Path, proposal: str) -> Counter[str]:
    return Counter(k.split(":")[0] for k, _ in mails(ws) if k.split(":")[1] == proposal)


def test_a_vote_by_personal_links_from_invitation_to_announced_outcome(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    opened = decision_rounds(workspace=str(demo_ws), as_of=day(-10), auto_approve=True)
    invited = kinds(demo_ws, VOTE)["decision-invite"]
    assert opened["invitations_sent"] == invited > 30 and opened["reminders_sent"] == 0
    tokens = {key.split(":")[2]: LINK.search(text)[1] for key, text in mails(demo_ws)  # type: ignore[index]
              if key.startswith(f"decision-invite:{VOTE}:")}  # fmt: skip
    voters = sorted(tokens)[:30]

    during = datetime.fromisoformat(f"{day(-5)}T04:00:00+00:00")
    rig = link_rig(demo_ws, clock=lambda: during)
    with TestClient(rig.app) as client:
        page = client.get(f"/l/decide/{tokens[voters[0]]}")
        assert page.status_code == 200 and all(o in page.text for o in OPTIONS) and 'type="radio"' in page.text
        for i, member in enumerate(voters):
            choice = OPTIONS[1] if i < 16 else OPTIONS[0] if i < 25 else OPTIONS[2]
            assert client.post(f"/l/decide/{tokens[member]}", data={"choice": choice}).status_code == 200
        changed = client.post(f"/l/decide/{tokens[voters[29]]}", data={"choice": OPTIONS[1], "comment": "改主意了"})
        assert changed.status_code == 200 and "改主意了" in changed.text or "Open data" in changed.text
        assert client.post(f"/l/decide/{tokens[voters[0]]}", data={"choice": "Something else"}).status_code == 400
        forged = tokens[voters[1]][:-2] + ("AA" if not tokens[voters[1]].endswith("AA") else "BB")
        foreign = LinkSigner(b"another network's own key!").token("decide", voters[1], VOTE)
        for token in (forged, foreign):
            assert client.post(f"/l/decide/{token}", data={"choice": OPTIONS[2]}).status_code == 403
    stored = {r["member_id"]: r["choice"] for r in responses(rig.db, [VOTE])}
    assert len(stored) == 30 and stored[voters[29]] == OPTIONS[1] and stored[voters[1]] == OPTIONS[1]

    reminded = decision_rounds(workspace=str(demo_ws), as_of=day(-3), auto_approve=True)
    reminder_to = {k.split(":")[2] for k, _ in mails(demo_ws) if k.startswith(f"decision-reminder:{VOTE}:")}
    assert reminded["reminders_sent"] >= len(reminder_to) == invited - 30 and not reminder_to & set(voters)
    assert decision_rounds(workspace=str(demo_ws), as_of=day(-3), auto_approve=True)["emails"]["sent"] == 0

    after = datetime.fromisoformat(f"{day(0)}T01:00:00+00:00")
    late = link_rig(demo_ws, clock=lambda: after)
    with TestClient(late.app) as client:
        refused = client.post(f"/l/decide/{tokens[voters[2]]}", data={"choice": OPTIONS[2]})
    assert refused.status_code == 409 and {r["member_id"]: r["choice"] for r in responses(late.db, [VOTE])} == stored

    closed = decision_rounds(workspace=str(demo_ws), as_of=day(0), auto_approve=True)
    assert (
        closed["outcomes_recorded"] == 1 and closed["announcements_sent"] == kinds(demo_ws, VOTE)["decision-announce"]
    )
    rows = WorkbookTables(demo_ws / "network.xlsx").read_tab("Decisions")
    [row] = [r for r in rows[1:] if r and r[0] == VOTE]
    assert row[7] == f"选定：{OPTIONS[1]}" and row[5] == "30" and "开放数据 Open data 17" in row[8]
    assert closed["chat_posts"] == 1 and "决策结果：2027 年度主题" in (demo_ws / "chat.log").read_text(encoding="utf-8")

    again = decision_rounds(workspace=str(demo_ws), as_of=day(0), auto_approve=True)
    assert again["emails"]["sent"] == 0 and again["outcomes_recorded"] == 0 and again["chat_posts"] == 0
    assert WorkbookTables(demo_ws / "network.xlsx").read_tab("Decisions") == rows

    with serving(rig.app) as base:
        dom = dump_dom(f"{base}/l/decide/{tokens[voters[3]]}?lang=zh")
    assert 'lang="zh-Hans"' in dom and "您的回复" in dom and "2027 年度主题" in dom and "已截止" not in dom


def test_the_demo_reminds_the_open_round_and_closes_the_vote_once(demo_ws: Path) -> None:
    from demo.build import CLOSED_ROUND, OPEN_ROUND
    from demo.history import seed_history

    seed_history(demo_ws, today=DEMO_DAY)
    member_sync(workspace=str(demo_ws))
    first = decision_rounds(workspace=str(demo_ws), as_of=day(0), auto_approve=True)
    assert first["open_rounds"] == 1 and first["closed_rounds"] == 1 and first["outcomes_recorded"] == 1
    assert first["reminders_sent"] > 0 and first["announcements_sent"] > 0
    answered = {r["member_id"] for r in responses(link_rig(demo_ws).db, [OPEN_ROUND])}
    reminded = {k.split(":")[2] for k, _ in mails(demo_ws) if k.startswith(f"decision-reminder:{OPEN_ROUND}:")}
    assert reminded and not reminded & answered  # only those who have not answered
    rows = WorkbookTables(demo_ws / "network.xlsx").read_tab("Decisions")
    [row] = [r for r in rows[1:] if r and r[0] == CLOSED_ROUND]
    assert row[7].startswith("选定：")
    again = decision_rounds(workspace=str(demo_ws), as_of=day(0), auto_approve=True)
    assert again["emails"]["sent"] == 0 and WorkbookTables(demo_ws / "network.xlsx").read_tab("Decisions") == rows
