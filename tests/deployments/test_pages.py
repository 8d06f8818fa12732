"""The receiver's personal-link pages: only a valid token reaches a page; the page speaks the member's language."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette 1.x would rather drive its TestClient with httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from deployments.pages import PAGES, PageContext, PageReply, load_pages
from tests.browser import dump_dom
from tests.pages import LinkRig, link_rig, serving
from weaver.links import LinkSigner
from weaver.state import save_members
from weaver.state.links import first_use, link_use

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


class StampPage:
    """A page that acts once per token (like a check-in) and says so again on a replay."""

    purpose = "test-stamp"

    def get(self, ctx: PageContext) -> PageReply:
        return ctx.render("_message.html", "Stamp", message=f"{ctx.link.scope} {ctx.language}", other="")

    def post(self, ctx: PageContext) -> PageReply:
        link = ctx.link
        if first_use(ctx.db, link.id, link.purpose, link.subject, link.scope, ctx.now, {"note": ctx.form["note"]}):
            return ctx.render("_message.html", "Stamped", message="stamped", other="")
        earlier = link_use(ctx.db, link.id) or {}
        return ctx.render("_message.html", "Stamped", message=f"already: {earlier['outcome']['note']}", other="")


@pytest.fixture
def rig(demo_ws: Path) -> Iterator[LinkRig]:
    PAGES["test-stamp"] = StampPage()
    try:
        rig = link_rig(demo_ws, clock=lambda: NOW)
        save_members(rig.db, [_member("m-zh", "zh"), _member("m-en", "en")], [])
        yield rig
    finally:
        PAGES.pop("test-stamp", None)


def _member(member_id: str, language: str) -> dict[str, object]:
    fields = {"name": member_id, "email": f"{member_id}@example.org", "language": language}
    return {"member_id": member_id, "email": fields["email"], "fields_hash": member_id, "fields": fields}


def test_a_valid_link_reaches_its_page_in_the_members_language(rig: LinkRig) -> None:
    with TestClient(rig.app) as client:
        zh = client.get(f"/l/test-stamp/{rig.token('test-stamp', 'm-zh', 'evt-1')}")
        en = client.get(f"/l/test-stamp/{rig.token('test-stamp', 'm-en', 'evt-1')}")
        chosen = client.get(f"/l/test-stamp/{rig.token('test-stamp', 'm-en', 'evt-1')}?lang=zh")
    assert zh.status_code == 200 and "evt-1 zh" in zh.text and 'lang="zh-Hans"' in zh.text
    assert en.status_code == 200 and "evt-1 en" in en.text and 'lang="en"' in en.text
    assert "evt-1 zh" in chosen.text
    assert zh.headers["cache-control"] == "no-store" and zh.headers["referrer-policy"] == "no-referrer"


def test_forged_foreign_expired_and_wrong_purpose_links_never_reach_a_page(rig: LinkRig) -> None:
    good = rig.token("test-stamp", "m-en", "evt-1")
    bad = {
        "forged": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "foreign": LinkSigner(b"another network's own key").token("test-stamp", "m-en", "evt-1"),
        "expired": rig.token("test-stamp", "m-en", "evt-1", expires=NOW - timedelta(seconds=1)),
        "purpose": rig.token("other-purpose", "m-en", "evt-1"),
    }
    with TestClient(rig.app) as client:
        for case, token in bad.items():
            for answer in (
                client.get(f"/l/test-stamp/{token}"),
                client.post(f"/l/test-stamp/{token}", data={"note": "x"}),
            ):
                assert answer.status_code == 403, case
                assert "not valid" in answer.text and "链接无效" in answer.text and "m-en" not in answer.text
        assert client.get(f"/l/no-such-page/{good}").status_code == 404
    assert rig.db.engine.connect().exec_driver_sql("select count(*) from link_uses").scalar() == 0


def test_a_replayed_post_is_recognised_and_changes_nothing(rig: LinkRig) -> None:
    token = rig.token("test-stamp", "m-en", "evt-1")
    with TestClient(rig.app) as client:
        first = client.post(f"/l/test-stamp/{token}", data={"note": "first"})
        again = client.post(f"/l/test-stamp/{token}", data={"note": "second"})
    assert "stamped" in first.text and "already: first" in again.text


def test_pages_register_by_file_and_every_registered_purpose_is_url_safe() -> None:
    for purpose in load_pages():
        LinkSigner(b"k" * 32).token(purpose, "m-1")  # raises for a purpose that cannot be in a URL


def test_chromium_shows_a_page_and_the_refusal_in_both_languages(rig: LinkRig) -> None:
    with serving(rig.app) as base:
        page = dump_dom(f"{base}/l/test-stamp/{rig.token('test-stamp', 'm-zh', 'evt-1')}")
        refused = dump_dom(f"{base}/l/test-stamp/not.valid")
    assert 'lang="zh-Hans"' in page and "evt-1 zh" in page and "<footer>" in page
    assert "This link is not valid" in refused and "此链接无效" in refused
