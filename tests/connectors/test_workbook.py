"""The embedded tables backends: text in, text out, one call per read or write batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from connectors.csvfiles import CsvTables
from connectors.tables import Cell, TableBackend
from connectors.workbook import WorkbookTables
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
