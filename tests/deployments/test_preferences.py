"""The preference page behind every member email's unsubscribe link, in a browser and without one (RFC 8058)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette 1.x would rather drive its TestClient with httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.state import save_members, suppressions
from weaver.state.preferences import preferences_of, suppression_of

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _member(member_id: str, language: str) -> dict[str, object]:
    fields = {"name": member_id, "email": f"{member_id}@example.org", "language": language, "consent": "yes"}
    return {"member_id": member_id, "email": fields["email"], "fields_hash": member_id, "fields": fields}


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    rig = link_rig(demo_ws, clock=lambda: NOW)
    save_members(rig.db, [_member("m-zh", "zh"), _member("m-en", "en")], [])
    yield rig


def test_one_click_post_without_a_browser_unsubscribes_at_once(rig: LinkRig) -> None:
    token = rig.token("unsubscribe", "m-en")
    with TestClient(rig.app) as client:  # what Gmail's Unsubscribe button sends (RFC 8058 section 3.2)
        answer = client.post(f"/l/unsubscribe/{token}", content=b"List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        again = client.get(f"/l/unsubscribe/{token}")
    assert answer.status_code == 200 and "You are unsubscribed" in answer.text
    entry = suppression_of(rig.db, "m-en@example.org")
    assert entry is not None and (entry["reason"], entry["source"]) == ("unsubscribed", "link")
    assert "You are unsubscribed" in again.text and 'value="unsubscribe"' not in again.text
    assert suppression_of(rig.db, "m-zh@example.org") is None


def test_saving_topics_and_language_takes_effect_and_ticking_again_resubscribes(rig: LinkRig) -> None:
    token = rig.token("unsubscribe", "m-zh")
    with TestClient(rig.app) as client:
        client.post(f"/l/unsubscribe/{token}", data={"action": "unsubscribe"})
        saved = client.post(f"/l/unsubscribe/{token}",
                            data={"action": "save", "topic": ["events", "surveys"], "language": "en"})  # fmt: skip
    assert "您的设置已保存" in saved.text
    prefs = preferences_of(rig.db, ["m-zh"])["m-zh"]
    assert prefs["topics_off"] == ["introductions", "newsletter"] and prefs["language"] == "en"
    assert suppression_of(rig.db, "m-zh@example.org") is None  # their own unsubscribe, lifted by their own choice


def test_a_bounce_is_not_lifted_by_the_page(rig: LinkRig) -> None:
    with rig.db.begin() as conn:
        conn.execute(suppressions.insert().values(email="m-en@example.org", reason="bounced", source="smtp",
                                                  created_at=NOW))  # fmt: skip
    token = rig.token("unsubscribe", "m-en")
    with TestClient(rig.app) as client:
        page = client.get(f"/l/unsubscribe/{token}")
        client.post(f"/l/unsubscribe/{token}", data={"action": "save", "topic": "events"})
    assert "do-not-email list" in page.text and "<form" not in page.text
    entry = suppression_of(rig.db, "m-en@example.org")
    assert entry is not None and entry["reason"] == "bounced"


def test_chromium_shows_the_preference_page_in_chinese_and_english(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        zh = dump_dom(f"{base}/l/unsubscribe/{rig.token('unsubscribe', 'm-zh')}")
        en = dump_dom(f"{base}/l/unsubscribe/{rig.token('unsubscribe', 'm-en')}")
    assert 'lang="zh-Hans"' in zh and "邮件偏好设置" in zh and "全部退订" in zh
    for label in ("通讯", "活动邀请、变更与提醒", "问卷调查", "成员介绍与分组通知"):
        assert label in zh
    assert zh.count('type="checkbox"') == 4 and zh.count("checked") >= 4
    assert 'lang="en"' in en and "Your email preferences" in en and "Unsubscribe from everything" in en
    assert "Introductions to other members and group assignments" in en and "m-en@example.org" not in en


@pytest.mark.usefixtures("prefect_harness")
def test_a_language_chosen_on_the_page_reaches_the_sheet_at_the_next_member_sync(demo_ws: Path) -> None:
    from flows.member_sync import member_sync
    from tasks.common.unsubscribe import TOPICS
    from tests.deployments.test_my_details import cell_changes, members_tab
    from weaver.state.self_service import edit_rows

    member_sync(workspace=str(demo_ws))
    rig = link_rig(demo_ws)
    member = sorted((r for r in rig.db.member_rows() if r["fields"].get("language") == "zh"),
                    key=lambda r: r["member_id"])[0]  # fmt: skip
    token = rig.token("unsubscribe", member["member_id"])
    with TestClient(rig.app) as client:
        client.post(f"/l/unsubscribe/{token}", data={"action": "save", "topic": list(TOPICS), "language": "en"})
    assert [(e["field"], e["value"]) for e in edit_rows(rig.db)] == [("language", "en")]

    before = members_tab(demo_ws)
    member_sync(workspace=str(demo_ws), dry_run=True)  # a dry run changes nothing
    assert members_tab(demo_ws) == before and len(edit_rows(rig.db)) == 1

    synced = member_sync(workspace=str(demo_ws))
    after = members_tab(demo_ws)
    row = next(i for i, r in enumerate(after, start=1) if member["email"] in r[1].lower())
    assert cell_changes(before, after) == {(row, "语言"): "en"}  # only the member's own language cell
    assert synced["member_changes"] == {"applied": 1}
    state = next(r for r in rig.db.member_rows() if r["member_id"] == member["member_id"])
    assert state["fields"]["language"] == "en"  # what every later run's planning reads for this member


def test_a_chosen_language_counts_for_the_next_run_before_member_sync_writes_it(rig: LinkRig) -> None:
    from tasks.common.unsubscribe import TOPICS
    from tasks.newsletter.compile import Edition
    from tasks.newsletter.delivery import newsletter_messages

    token = rig.token("unsubscribe", "m-zh")
    with TestClient(rig.app) as client:
        client.post(f"/l/unsubscribe/{token}", data={"action": "save", "topic": list(TOPICS), "language": "en"})
    editions = [Edition("2026-11", lang, f"News {lang}", f"text {lang}", f"<p>{lang}</p>", {}) for lang in ("zh", "en")]
    messages, _ = newsletter_messages(editions, rig.db, rig.ws.config)
    assert {m.member_id: m.language for m in messages} == {"m-zh": "en", "m-en": "en"}  # the planning reads it
    synced = {r["member_id"]: r["fields"]["language"] for r in rig.db.member_rows(as_synced=True)}
    assert synced == {"m-zh": "zh", "m-en": "en"}  # member-sync still compares against what the sheet held
