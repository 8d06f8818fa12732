"""The embedded tables backends: text in, text out, one call per read or write batch."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook, load_workbook

from connectors.csvfiles import CsvTables
from connectors.tables import Cell, TableBackend, TableChanged
from connectors.workbook import WorkbookTables
from tests.richbook import decorate, excelify, parts_of
from weaver.errors import SourceError


@pytest.fixture
def book(tmp_path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Members"
    ws.append(["姓名", "电话", "备注"])
    ws.append(["张伟", "013800138000", '=HYPERLINK("https://x.org","主页")'])
    ws["C2"].data_type = "s"
    path = tmp_path / "n.xlsx"
    wb.save(path)
    return path


def test_read_keeps_text_leading_zeros_and_formula_text(book: Path) -> None:
    tables = WorkbookTables(book)
    assert tables.read_tab("Members") == [
        ["姓名", "电话", "备注"],
        ["张伟", "013800138000", '=HYPERLINK("https://x.org","主页")'],
    ]
    assert tables.calls == {"read": 1}


def test_write_is_one_call_and_formula_looking_text_stays_text(book: Path) -> None:
    tables = WorkbookTables(book)
    tables.write_cells("Members", [Cell(1, 4, "成员编号"), Cell(2, 4, '=IMPORTXML("x")'), Cell(3, 1, "王芳")])
    assert tables.calls == {"write": 1}
    sheet = load_workbook(book)["Members"]
    assert sheet["D2"].data_type == "s" and sheet["D2"].value == '=IMPORTXML("x")'
    assert tables.read_tab("Members")[2][0] == "王芳"


def test_empty_write_makes_no_call(book: Path) -> None:
    tables = WorkbookTables(book)
    tables.write_cells("Members", [])
    assert tables.calls == {}


def test_missing_tab_and_file_are_clear(book: Path, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"n.xlsx: no tab named 'Events' \(tabs: Members\)"):
        WorkbookTables(book).read_tab("Events")
    with pytest.raises(SourceError, match="workbook not found"):
        WorkbookTables(tmp_path / "none.xlsx").read_tab("Members")
    (tmp_path / "bad.xlsx").write_text("not a zip")
    with pytest.raises(SourceError, match="cannot open as an .xlsx workbook"):
        WorkbookTables(tmp_path / "bad.xlsx").read_tab("Members")


def test_csv_folder_round_trip(tmp_path: Path) -> None:
    (tmp_path / "Members.csv").write_text("\ufeff姓名,邮箱\n张伟,zw@example.cn\n", encoding="utf-8")
    tables = CsvTables(tmp_path)
    assert tables.read_tab("Members") == [["姓名", "邮箱"], ["张伟", "zw@example.cn"]]
    tables.write_cells("Members", [Cell(1, 3, "成员编号"), Cell(2, 3, "m-1")])
    assert tables.read_tab("Members") == [["姓名", "邮箱", "成员编号"], ["张伟", "zw@example.cn", "m-1"]]
    assert tables.calls == {"read": 2, "write": 1}


def test_backends_fit_the_protocol(book: Path, tmp_path: Path) -> None:
    assert isinstance(WorkbookTables(book), TableBackend)
    assert isinstance(CsvTables(tmp_path), TableBackend)


# the coordinator's file: a surgical write-back -----------------------------------------------------------
WRITTEN = {"xl/worksheets/sheet1.xml"}
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    """A members tab as Excel saves it: shared strings, a formula name with its cached value, a comment,
    a validation; and a second tab with formulas, a chart and an image."""
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Members"
    sheet.append(["姓名", "邮箱", "兴趣"])
    sheet.append(['=CONCAT("Ada"," Lovelace")', "ada@example.org", "math"])
    sheet.append(["张伟", "zw@example.cn", "气候 & 教育"])
    decorate(wb, "Members")
    path = tmp_path / "coordinator.xlsx"
    wb.save(path)
    excelify(path, {"Members": {"A2": "Ada Lovelace"}, "汇总 Summary": {"B1": 2, "B2": "Ada Lovelace"}})
    os.chmod(path, 0o640)
    return path


def cells_of(xml: bytes) -> dict[str, bytes]:
    root = etree.fromstring(xml)
    return {c.get("r"): etree.tostring(c, method="c14n") for c in root.iter(f"{{{MAIN}}}c")}


def test_write_back_changes_only_the_cells_written_and_keeps_everything_else(rich: Path) -> None:
    before = parts_of(rich)
    tables = WorkbookTables(rich)
    assert tables.read_tab("Members")[1][0] == "Ada Lovelace"  # the cached result of the formula
    writes = [Cell(1, 4, "成员编号"), Cell(2, 4, "m-1"), Cell(3, 4, '=HYPERLINK("x")'), Cell(3, 3, "气候")]
    tables.write_cells("Members", [*writes, Cell(5, 1, "新人")])

    after = parts_of(rich)
    assert set(after) == set(before)
    assert {name for name in before if before[name] != after[name]} == WRITTEN
    assert tables.last_write is not None and set(tables.last_write.parts_rewritten) == WRITTEN
    old, new = cells_of(before["xl/worksheets/sheet1.xml"]), cells_of(after["xl/worksheets/sheet1.xml"])
    written = {"D1", "D2", "D3", "C3", "A5"}
    assert {ref: xml for ref, xml in new.items() if ref not in written} == {
        ref: xml for ref, xml in old.items() if ref not in written
    }
    assert b"<v>Ada Lovelace</v>" in new["A2"]  # a formula keeps its cached value
    strip = [re.sub(rb"<sheetData>.*</sheetData>|<dimension [^>]*/>", b"", p["xl/worksheets/sheet1.xml"], flags=re.S)
             for p in (before, after)]  # fmt: skip
    assert strip[0] == strip[1]  # validation, legacy drawing (comments), margins: byte for byte
    assert b'<dimension ref="A1:D5"/>' in after["xl/worksheets/sheet1.xml"]

    assert WorkbookTables(rich).read_tab("Members") == [
        ["姓名", "邮箱", "兴趣", "成员编号"],
        ["Ada Lovelace", "ada@example.org", "math", "m-1"],
        ["张伟", "zw@example.cn", "气候", '=HYPERLINK("x")'],
        ["", "", "", ""],
        ["新人", "", "", ""],
    ]
    assert WorkbookTables(rich).read_tab("汇总 Summary") == [["成员数", "2"], ["第一位", "Ada Lovelace"]]
    assert stat.S_IMODE(os.stat(rich).st_mode) == 0o640
    book = load_workbook(rich)  # still a workbook openpyxl (and so Excel's rules) accepts
    assert book["Members"]["D3"].data_type == "s" and book["Members"]["A1"].comment is not None
    assert not list(rich.parent.glob(".~*"))


def test_a_save_by_someone_else_after_our_read_is_kept_and_reported(rich: Path) -> None:
    ours = WorkbookTables(rich)
    ours.read_tab("Members")
    WorkbookTables(rich).write_cells("Members", [Cell(3, 3, "theirs")])  # the coordinator saves
    saved = rich.read_bytes()
    with pytest.raises(TableChanged, match="coordinator.xlsx was saved by someone else after we read it"):
        ours.write_cells("Members", [Cell(3, 4, "ours")])
    assert rich.read_bytes() == saved
    assert ours.read_tab("Members")[2][2] == "theirs"  # read again, then the write goes through
    ours.write_cells("Members", [Cell(3, 4, "ours")])
    assert WorkbookTables(rich).read_tab("Members")[2][2:] == ["theirs", "ours"]


def test_a_save_while_we_write_wins_and_nothing_of_ours_lands(rich: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.workbook as workbook

    real = workbook.patch_package

    def saved_meanwhile(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        monkeypatch.setattr(workbook, "patch_package", real)
        WorkbookTables(rich).write_cells("Members", [Cell(2, 3, "theirs")])  # the coordinator saves meanwhile
        return result

    tables = WorkbookTables(rich)
    tables.read_tab("Members")
    monkeypatch.setattr(workbook, "patch_package", saved_meanwhile)
    with pytest.raises(TableChanged, match="while we wrote it"):
        tables.write_cells("Members", [Cell(2, 4, "ours")])
    assert WorkbookTables(rich).read_tab("Members")[1][2:] == ["theirs"]
    assert not list(rich.parent.glob(".~*"))


def test_csv_write_keeps_mode_and_refuses_to_overwrite_a_save_made_after_our_read(tmp_path: Path) -> None:
    file = tmp_path / "Members.csv"
    file.write_text("姓名,邮箱\n张伟,zw@example.cn\n", encoding="utf-8")
    os.chmod(file, 0o644)
    ours = CsvTables(tmp_path)
    ours.read_tab("Members")
    CsvTables(tmp_path).write_cells("Members", [Cell(3, 1, "王芳")])  # someone else saves a new row
    with pytest.raises(TableChanged, match="Members.csv was saved by someone else after we read it"):
        ours.write_cells("Members", [Cell(2, 3, "m-1")])
    assert ours.read_tab("Members")[2] == ["王芳"]
    ours.write_cells("Members", [Cell(2, 3, "m-1")])
    assert CsvTables(tmp_path).read_tab("Members") == [["姓名", "邮箱"], ["张伟", "zw@example.cn", "m-1"], ["王芳"]]
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o644
    assert not list(tmp_path.glob(".~*"))


def test_a_formula_saved_without_its_result_reads_as_its_formula_text(tmp_path: Path) -> None:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Members"
    sheet.append(["姓名", "兴趣"])
    sheet.append(['=CONCAT("Ada"," L")', "math"])
    wb.save(tmp_path / "f.xlsx")
    tables = WorkbookTables(tmp_path / "f.xlsx")
    assert tables.read_tab("Members")[1] == ['=CONCAT("Ada"," L")', "math"]  # not "": the name is not "missing"
    assert tables.unevaluated == {"Members": ["Members!A2"]}


def test_reading_reports_progress_in_increasing_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import connectors.workbook as workbook

    monkeypatch.setattr(workbook, "_PROGRESS_EVERY", 4)
    wb = Workbook()
    ws = wb.active
    ws.title = "Big"
    for r in range(3, 23):  # rows 1-2 blank, data in columns B-C only: the grid still starts at A1
        ws.cell(r, 2, f"name {r}")
        ws.cell(r, 3, r)
    wb.save(tmp_path / "big.xlsx")
    calls: list[tuple[int, int]] = []
    grid = WorkbookTables(tmp_path / "big.xlsx").read_tab(
        "Big", progress=lambda done, total: calls.append((done, total))
    )
    assert len(grid) == 22 and grid[2] == ["", "name 3", "3"] and grid[0] == ["", "", ""]
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] == 0 and calls[-1] == (22, 22)
    assert len(calls) >= 22 // 4 + 2  # every 4 rows, and at the start and the end
    assert all(total == 22 for _, total in calls)
