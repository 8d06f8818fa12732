"""My details: a member changes their own needs and language on their page (in Chromium); member-sync writes
exactly those cells; a coordinator's later edit wins; the sync reports list both; bad or replayed forms
change nothing."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from connectors.workbook import WorkbookTables
from flows.member_sync import member_sync
from tests.browser import fill_and_submit
from tests.pages import LinkRig, link_rig, serving
from weaver.links import LinkSigner
from weaver.state.self_service import edit_rows

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def members_tab(ws: Path) -> list[list[str]]:
    return WorkbookTables(ws / "network.xlsx").read_tab("Members")


def a_member(rig: LinkRig, language: str = "zh") -> dict:
    rows = sorted(rig.db.member_rows(), key=lambda r: r["member_id"])
    return next(r for r in rows if r["fields"].get("language") == language and r["fields"].get("needs") == "")


def cell_changes(before: list[list[str]], after: list[list[str]]) -> dict[tuple[int, str], str]:
    header = after[0]
    out = {}
    for r, row in enumerate(after[1:], start=2):
        old = before[r - 1] if r - 1 < len(before) else []
        for c, value in enumerate(row):
            if (old[c] if c < len(old) else "") != value:
                out[(r, header[c])] = value
    return out


@pytest.mark.usefixtures("prefect_harness")
def test_a_members_change_on_their_page_reaches_the_sheet_and_a_later_coordinator_edit_wins(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    rig = link_rig(demo_ws)
    member = a_member(rig)
    token = rig.token("my-details", member["member_id"])
    with serving(rig.app) as base:
        form, answer = fill_and_submit(f"{base}/l/my-details/{token}", {"needs": "场地、翻译",
                                                                        "language": "en"})  # fmt: skip
    assert 'lang="zh-Hans"' in form and member["fields"]["name"] in form and "我的信息" in form
    assert 'lang="en"' in answer and "Thank you, saved" in answer  # the answer in the language just chosen
    assert [(e["field"], e["value"]) for e in edit_rows(rig.db)] == [("language", "en"), ("needs", "场地、翻译")]

    before = members_tab(demo_ws)
    synced = member_sync(workspace=str(demo_ws))
    after = members_tab(demo_ws)
    row = next(i for i, r in enumerate(after, start=1) if member["email"] in r[1].lower())
    assert cell_changes(before, after) == {(row, "需求"): "场地、翻译", (row, "语言"): "en"}  # exactly those cells
    assert synced["member_changes"] == {"applied": 2} and synced["changed"] == 1
    first_report = Path(synced["report"]).read_text(encoding="utf-8")
    assert "成员自行修改的信息" in first_report and "场地、翻译" in first_report and "已写入表格" in first_report

    book = load_workbook(demo_ws / "network.xlsx")  # later, a coordinator types over the member's needs
    sheet = book["Members"]
    column = next(c.column for c in sheet[1] if c.value == "需求")
    sheet.cell(row, column, "经费")
    book.save(demo_ws / "network.xlsx")
    later = member_sync(workspace=str(demo_ws))
    assert members_tab(demo_ws)[row - 1][column - 1] == "经费"  # the coordinator's edit stays
    assert later["member_changes"] == {"overridden": 1} and later["cells"] == 0
    report = Path(later["report"]).read_text(encoding="utf-8")
    assert "场地、翻译" in report and "经费" in report and "协调人之后的修改优先" in report  # both listed
    assert member_sync(workspace=str(demo_ws))["member_changes"] == {}  # settled: reported once


def test_forged_foreign_and_replayed_forms_change_nothing(demo_ws: Path) -> None:
    from tests.deployments.test_pages import _member
    from weaver.state import save_members

    rig = link_rig(demo_ws, clock=lambda: NOW)
    save_members(rig.db, [_member("m-zh", "zh"), _member("m-en", "en")], [])
    page = f"/l/my-details/{rig.token('my-details', 'm-zh')}"
    with TestClient(rig.app) as client:
        html = client.get(page).text
        form = html.split('name="form" value="')[1].split('"')[0]
        other = client.get(f"/l/my-details/{rig.token('my-details', 'm-en')}").text
        others_form = other.split('name="form" value="')[1].split('"')[0]
        foreign = LinkSigner(b"another network's own key").token("my-details", "m-zh")
        refused = [
            client.post(f"/l/my-details/{foreign}", data={"form": form, "needs": "x"}),  # a foreign page link
            client.post(page, data={"form": form[:-2] + "AA", "needs": "x"}),  # a forged form
            client.post(page, data={"form": others_form, "needs": "x"}),  # another member's form
            client.post(page, data={"form": rig.token("my-details", "m-zh"), "needs": "x"}),  # wrong purpose
        ]
        assert [r.status_code for r in refused] == [403, 403, 403, 403]
        assert edit_rows(rig.db) == []
        first = client.post(page, data={"form": form, "needs": "志愿者"})
        replay = client.post(page, data={"form": form, "needs": "别的"})
    assert "已保存" in first.text and "已提交过" in replay.text
    assert [(e["field"], e["value"]) for e in edit_rows(rig.db)] == [("needs", "志愿者")]
