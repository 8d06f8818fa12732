"""A weaver's check-in outcome by link: the answer records a tie and adds to the member's needs, once; forged,
foreign and replayed links change nothing; the digest carries the link."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tasks.common.links import CHECKIN, checkin_url
from tasks.common.ties import load_ties
from tests.browser import fill_and_submit
from tests.pages import LinkRig, link_rig, serving
from weaver.links import LinkSigner, link_url
from weaver.state import save_members
from weaver.state.self_service import edit_rows

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def rig_with_member(ws: Path) -> LinkRig:
    rig = link_rig(ws, clock=lambda: NOW)
    fields = {"name": "李娜", "email": "li.na@example.cn", "language": "zh", "needs": "场地", "offers": ""}
    save_members(rig.db, [{"member_id": "m-li", "email": fields["email"], "fields_hash": "x", "fields": fields}], [])
    return rig


def test_the_weavers_answer_in_chromium_records_a_tie_and_the_needs_heard(demo_ws: Path) -> None:
    rig = rig_with_member(demo_ws)

    def links(purpose: str, subject: str, scope: str = "") -> str:
        return link_url(rig.ws.config, purpose, rig.token(purpose, subject, scope))

    url = checkin_url(links, "m-li", "w-wang", "2026-W48", "zh")
    path = url.split("127.0.0.1:8787", 1)[1]
    with serving(rig.app) as base:
        form, answer = fill_and_submit(base + path, {"needs": "经费、场地", "offers": "翻译"})
    assert 'lang="zh-Hans"' in form and "王敏" in form and "李娜" in form and "2026-W48" in form
    assert "回访已记录" in answer
    [made] = [x for x in load_ties(rig.db) if x.source == "checkin"]
    assert {made.a, made.b} == {"m-li", "w-wang"} and made.ref == "checkin:m-li:2026-W48"
    assert {(e["field"], e["value"]) for e in edit_rows(rig.db)} == {("needs", "场地, 经费"), ("offers", "翻译")}


def test_forged_foreign_and_replayed_checkin_links_change_nothing(demo_ws: Path) -> None:
    rig = rig_with_member(demo_ws)
    good = rig.token(CHECKIN, "m-li", "w-wang:2026-W48")
    foreign = LinkSigner(b"another network's own key").token(CHECKIN, "m-li", "w-wang:2026-W48")
    unknown_weaver = rig.token(CHECKIN, "m-li", "w-nobody:2026-W48")
    with TestClient(rig.app) as client:
        for token in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), foreign, unknown_weaver,
                      rig.token("my-details", "m-li")):  # fmt: skip
            assert client.post(f"/l/{CHECKIN}/{token}", data={"met": "yes", "needs": "x"}).status_code == 403
        assert load_ties(rig.db) == [] and edit_rows(rig.db) == []
        first = client.post(f"/l/{CHECKIN}/{good}?lang=en", data={"met": "yes", "needs": "mentoring"})
        replay = client.post(f"/l/{CHECKIN}/{good}?lang=en", data={"met": "yes", "needs": "other"})
        shown = client.get(f"/l/{CHECKIN}/{good}?lang=en")
    assert "recorded" in first.text and "already recorded" in replay.text and "already recorded" in shown.text
    assert len([x for x in load_ties(rig.db) if x.source == "checkin"]) == 1
    assert [(e["field"], e["value"]) for e in edit_rows(rig.db)] == [("needs", "场地, mentoring")]


def test_not_met_records_no_tie_but_keeps_what_was_heard(demo_ws: Path) -> None:
    rig = rig_with_member(demo_ws)
    with TestClient(rig.app) as client:
        client.post(
            f"/l/{CHECKIN}/{rig.token(CHECKIN, 'm-li', 'w-lin:2026-W48')}", data={"met": "no", "offers": "场地"}
        )
    assert load_ties(rig.db) == [] and [(e["field"], e["value"]) for e in edit_rows(rig.db)] == [("offers", "场地")]
