"""The coordinator's workbook after member-sync, grant-pipeline and engagement-review have written back:
only the cells of our owned columns changed, in the sheet parts of the tabs written; everything else of the
package (cached formula results, chart, image, validation, comment, other tabs) byte for byte as saved."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook

from connectors.workbook import WorkbookTables
from connectors.xlsxpatch import sheet_part_of
from flows.engagement_review import engagement_review
from flows.grant_pipeline import grant_pipeline
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY
from tests.richbook import decorate, excelify, parts_of

pytestmark = pytest.mark.usefixtures("prefect_harness")

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OWNED = {"成员编号", "同步状态", "参与度", "最近活跃", "距截止天数", "阶段起始", "停滞", "逾期", "加权金额"}


def cells(xml: bytes) -> dict[str, bytes]:
    return {c.get("r"): etree.tostring(c, method="c14n") for c in etree.fromstring(xml).iter(f"{{{MAIN}}}c")}


def text(xml: bytes) -> str:
    return "".join(etree.fromstring(xml).itertext())


def column(ref: str) -> str:
    return ref.rstrip("0123456789")


def test_write_backs_change_only_owned_cells_and_keep_the_coordinators_package(demo_ws: Path) -> None:
    path = demo_ws / "network.xlsx"
    wb = load_workbook(path)
    first_name = wb["Members"]["A2"].value
    wb["Members"]["A2"] = f'="{first_name[:1]}"&"{first_name[1:]}"'  # a name typed as a formula
    decorate(wb, "Members")
    wb.save(path)
    excelify(path, {"Members": {"A2": first_name}, "汇总 Summary": {"B2": first_name, "B1": 300}})
    os.chmod(path, 0o644)
    before = parts_of(path)
    with zipfile.ZipFile(path) as zf:
        written = {sheet_part_of(zf, tab)[0] for tab in ("Members", "Opportunities")}

    member_sync(workspace=str(demo_ws))
    grant_pipeline(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    engagement_review(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())

    after = parts_of(path)
    assert set(after) == set(before)
    assert {name for name in before if before[name] != after[name]} == written
    for part in written:
        old, new = cells(before[part]), cells(after[part])
        # a header in a shared string reads as its index here, so never as one of ours: only ours can pass
        headers = {column(r): text(xml) for r, xml in new.items() if r == column(r) + "1"}
        changed = {ref for ref in set(old) | set(new) if old.get(ref) != new.get(ref)}
        assert changed and {headers.get(column(ref), "?") for ref in changed} <= OWNED, part
    assert WorkbookTables(path).read_tab("Members")[1][0] == first_name  # the formula's cached value is kept
    assert b"<v>" + first_name.encode() + b"</v>" in after["xl/worksheets/sheet1.xml"]
    assert WorkbookTables(path).read_tab("汇总 Summary")[1] == ["第一位", first_name]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    book = load_workbook(path)
    assert book["Members"]["A1"].comment is not None
    # numbers we compute are number cells (SUM works, sorting is numeric); member text stays text
    for tab, header in (("Members", "参与度"), ("Opportunities", "加权金额"), ("Opportunities", "距截止天数")):
        sheet = book[tab]
        col = next(c.column for c in sheet[1] if c.value == header)
        filled = [row[col - 1] for row in sheet.iter_rows(min_row=2) if row[col - 1].value not in (None, "")]
        assert filled and all(c.data_type == "n" and isinstance(c.value, int | float) for c in filled), header
    assert all(c.data_type == "s" for c in book["Members"]["J"][1:] if c.value), "phone numbers stay text"


def test_a_save_between_our_read_and_write_loses_nothing_of_theirs(
    demo_ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from connectors.tables import Cell

    path = demo_ws / "network.xlsx"
    grid = WorkbookTables(path).read_tab("Members")
    new_row = len(grid) + 1
    real_read = WorkbookTables.read_tab
    saves: list[str] = []

    def read_then_coordinator_saves(self: WorkbookTables, tab: str) -> list[list[str]]:
        rows = real_read(self, tab)
        if tab == "Members" and not saves:  # once: right after our first read, the coordinator saves
            saves.append(tab)
            coordinator = WorkbookTables(path)
            coordinator.write_cells("Members", [Cell(new_row, 1, "晚到的人"), Cell(new_row, 2, "late@example.org"),
                                                Cell(2, 3, "她刚改的兴趣")])  # fmt: skip
        return rows

    monkeypatch.setattr(WorkbookTables, "read_tab", read_then_coordinator_saves)
    result = member_sync(workspace=str(demo_ws))
    monkeypatch.undo()

    after = WorkbookTables(path).read_tab("Members")
    assert saves == ["Members"]
    assert after[1][2] == "她刚改的兴趣"  # their edit is kept
    header = after[0]
    member_id = header.index("成员编号")
    assert after[new_row - 1][:2] == ["晚到的人", "late@example.org"]
    assert after[new_row - 1][member_id]  # planned again on what they saved: the late member is synced too
    assert result["added"] > 0
