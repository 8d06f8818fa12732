"""asks-offers end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.mail import OutboxTransport, Sender
from connectors.workbook import WorkbookTables
from flows.asks_offers import asks_offers
from flows.member_sync import member_sync
from tasks.asks_offers.matching import opted_in
from tasks.asks_offers.plan import read_members
from tests.conftest import DEMO_DAY
from tests.flows.gate import PausedRun, approval_threshold_one
from weaver.config import load_config

pytestmark = pytest.mark.usefixtures("prefect_harness")


def outbox(ws: Path) -> list[tuple[str, str]]:
    box = OutboxTransport(ws / "outbox", Sender("a@b.org", "x"))
    return sorted((m["X-Weaver-Key"], m["To"]) for m in box.messages())


def test_the_week_introduces_needs_to_offers_once_and_digests_only_those_who_opted_in(demo_ws: Path) -> None:
    day = DEMO_DAY.isoformat()
    member_sync(workspace=str(demo_ws))  # who may be emailed: the state's members (consent checked at send)
    first = asks_offers(workspace=str(demo_ws), as_of=day)
    assert first["opted_in"] > 10 and first["introductions"] == first["introductions_recorded"] > 0
    assert first["digests"] == first["opted_in"] and first["chat"]["done"] == 1
    sent = outbox(demo_ws)
    assert sum(k.startswith("email:asks-offers:") for k, _ in sent) == first["digests"]
    assert sum(k.startswith("email:match:") for k, _ in sent) == 2 * first["introductions"]

    cfg = load_config(demo_ws / "weaver.toml")
    members = read_members(WorkbookTables(demo_ws / "network.xlsx").read_tab("Members"), cfg, "demo", "zh")
    outsiders = [f for f in members.values() if not opted_in(f) and (f.get("needs") or f.get("offers"))]
    assert outsiders  # the demo has members with needs or offers who did not say yes
    addresses = {to for _, to in sent}
    assert not any(f["email"] in to for f in outsiders for to in addresses)
    chat = (demo_ws / "chat.log").read_text(encoding="utf-8")
    box = OutboxTransport(demo_ws / "outbox", Sender("a@b.org", "x"))
    texts = [m.get_body(("plain",)).get_content() for m in box.messages()]
    taking_part = {f["name"] for f in members.values() if opted_in(f)}
    for f in [f for f in outsiders if f["name"] not in taking_part]:  # (the demo repeats some names)
        # nobody who did not opt in is named in any digest, introduction or chat post
        assert all(f"{f['name']}（" not in x and f"- {f['name']}" not in x for x in texts), f["name"]
        assert f"• {f['name']}:" not in chat

    again = asks_offers(workspace=str(demo_ws), as_of=(DEMO_DAY + timedelta(days=3)).isoformat())  # same week
    assert again["emails"]["sent"] == 0 and again["introductions"] == 0 and again["chat"]["done"] == 0
    assert outbox(demo_ws) == sent

    later = asks_offers(workspace=str(demo_ws), as_of=(DEMO_DAY + timedelta(days=14)).isoformat())
    asks = [k for k, _ in outbox(demo_ws) if k.startswith("email:match-followup:")]
    assert later["followups_due"] == first["introductions"] == len(asks)
    assert sum(k.startswith("email:asks-offers:") for k, _ in outbox(demo_ws)) == 2 * first["digests"]


def test_a_dry_run_or_a_declined_send_sends_records_and_posts_nothing(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    day = DEMO_DAY.isoformat()
    plan = asks_offers(workspace=str(demo_ws), as_of=day, dry_run=True)
    assert plan["introductions"] > 0 and plan["emails"]["would_send"] > 0 and plan["introductions_recorded"] == 0
    assert outbox(demo_ws) == [] and not (demo_ws / "chat.log").exists()

    approval_threshold_one(demo_ws)
    paused = PausedRun("asks-offers", lambda: asks_offers(workspace=str(demo_ws), as_of=day))
    declined = paused.answer(approve=False)
    assert declined["introductions"] > 0 and declined["introductions_recorded"] == 0 and declined["chat"]["done"] == 0
    assert outbox(demo_ws) == [] and not (demo_ws / "chat.log").exists()
    approved = asks_offers(workspace=str(demo_ws), as_of=day, auto_approve=True)  # planned again, in full
    assert approved["introductions"] == declined["introductions"] == approved["introductions_recorded"]
