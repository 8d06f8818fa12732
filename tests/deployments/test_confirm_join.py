"""The confirm page of a join (double opt-in): one real confirmation queues the intake run; nothing else does."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette 1.x would rather drive its TestClient with httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.links import LinkSigner
from weaver.state.optin import confirmations_of, record_asked
from weaver.state.submissions import inbox_add, inbox_get

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
UNTIL = NOW + timedelta(days=7)
UTC_LATER = NOW + timedelta(days=30)


def _join(rig: LinkRig, entry: str, language: str, asked: datetime = NOW) -> str:
    fields = {"name": f"Name {entry}", "email": f"{entry.split(':')[1]}@example.org", "language": language}
    inbox_add(rig.db, entry, "tally", "join", "join", {"fields": fields, "email": fields["email"]})
    record_asked(rig.db, [(entry, asked, asked + timedelta(days=7))])
    return rig.token("confirm-join", entry, expires=asked + timedelta(days=7))


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    yield link_rig(demo_ws, clock=lambda: NOW + timedelta(hours=1))


def test_the_button_confirms_once_and_queues_the_intake_run(rig: LinkRig) -> None:
    token = _join(rig, "tally:wen", "English")
    with TestClient(rig.app) as client:
        shown = client.get(f"/l/confirm-join/{token}")  # a mail scanner opening the link confirms nothing
        assert confirmations_of(rig.db, ["tally:wen"])["tally:wen"]["confirmed_at"] is None
        first = client.post(f"/l/confirm-join/{token}", data={"action": "confirm"})
        replay = client.post(f"/l/confirm-join/{token}", data={"action": "confirm"})
    assert shown.status_code == 200 and "Yes, I want to join" in shown.text
    assert "you are confirmed" in first.text and "You confirmed already" in replay.text
    marker = inbox_get(rig.db, "confirmed:tally:wen")
    assert marker is not None and (marker["kind"], marker["form"], marker["status"]) == ("join", "join", "received")
    assert marker["payload"] == {"confirms": "tally:wen"}  # no personal data in the marker
    assert confirmations_of(rig.db, ["tally:wen"])["tally:wen"]["confirmed_at"] is not None


def test_forged_foreign_expired_and_unknown_tokens_confirm_nothing(rig: LinkRig) -> None:
    token = _join(rig, "tally:wen", "English")
    late = _join(rig, "tally:late", "English", asked=NOW - timedelta(days=8))  # its token expired a day ago
    lapsed = rig.token("confirm-join", "tally:late", expires=UTC_LATER)  # a valid token, a lapsed request
    foreign = LinkSigner(b"another network's link key").token("confirm-join", "tally:wen", expires=UNTIL)
    other_purpose = rig.token("unsubscribe", "tally:wen")
    never_asked = rig.token("confirm-join", "tally:nobody", expires=UNTIL)
    with TestClient(rig.app) as client:
        forged = client.post(f"/l/confirm-join/{token[:-2]}xx", data={"action": "confirm"})
        wrong_key = client.post(f"/l/confirm-join/{foreign}", data={"action": "confirm"})
        wrong_purpose = client.post(f"/l/confirm-join/{other_purpose}", data={"action": "confirm"})
        expired = client.post(f"/l/confirm-join/{late}", data={"action": "confirm"})
        too_late = client.post(f"/l/confirm-join/{lapsed}", data={"action": "confirm"})
        unknown = client.post(f"/l/confirm-join/{never_asked}?lang=en", data={"action": "confirm"})
    assert [r.status_code for r in (forged, wrong_key, wrong_purpose, expired)] == [403] * 4
    assert "no longer open" in too_late.text and "no longer open" in unknown.text
    assert confirmations_of(rig.db, ["tally:wen"])["tally:wen"]["confirmed_at"] is None
    assert confirmations_of(rig.db, ["tally:late"])["tally:late"]["confirmed_at"] is None
    for entry in ("tally:wen", "tally:late", "tally:nobody"):
        assert inbox_get(rig.db, f"confirmed:{entry}") is None


def test_chromium_shows_the_confirm_page_in_chinese_and_english(rig: LinkRig) -> None:
    zh_token, en_token = _join(rig, "tally:zh", "中文"), _join(rig, "tally:en", "English")
    with serving(rig.app) as base:
        zh = dump_dom(f"{base}/l/confirm-join/{zh_token}")
        en = dump_dom(f"{base}/l/confirm-join/{en_token}")
    assert 'lang="zh-Hans"' in zh and "确认加入" in zh and "是的，我要加入" in zh and "7 天后删除" in zh
    assert 'lang="en"' in en and "Confirm that you want to join" in en and "Yes, I want to join" in en
    assert '<form method="post">' in en and "zh@example.org" not in zh and "en@example.org" not in en
    assert confirmations_of(rig.db, ["tally:zh"])["tally:zh"]["confirmed_at"] is None  # opening is not confirming
