"""The surgical sheet-part rewrite: only the cells written change, whatever shape the writer gave the XML."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from lxml import etree
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from connectors.xlsxpatch import (
    cell_xml,
    drop_from_calc_chain,
    excel_serial,
    formulas_without_value,
    patch_package,
    patch_sheet,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sheet(data: str, prefix: str = "", head: str = "") -> bytes:
    ns = f'xmlns:{prefix[:-1]}="{MAIN}"' if prefix else f'xmlns="{MAIN}"'
    return f"<{prefix}worksheet {ns}>{head}<{prefix}sheetData>{data}</{prefix}sheetData></{prefix}worksheet>".encode()


def values(xml: bytes) -> dict[str, str]:
    """ref -> its text (<v> or inline <t>), checking the part is well-formed and rows and cells are in order."""
    root = etree.fromstring(xml)
    found: dict[str, str] = {}
    rows = [int(r.get("r")) for r in root.iter(f"{{{MAIN}}}row")]
    assert rows == sorted(rows)
    for c in root.iter(f"{{{MAIN}}}c"):
        found[c.get("r")] = "".join(c.itertext())
    refs = list(found)
    assert refs == sorted(refs, key=lambda r: (int(r.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), len(r), r))
    return found


def test_cells_are_replaced_inserted_in_order_and_rows_added_in_order() -> None:
    xml = sheet(
        '<row r="1" spans="1:3"><c r="A1" s="4" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
        '<row r="3"><c r="B3"><f>1+1</f><v>2</v></c></row>'
        '<row r="4" ht="20" customHeight="1"/>',
        head='<dimension ref="A1:C4"/>',
    )
    new, formulas = patch_sheet(xml, {(1, 1): "x", (1, 2): "between", (1, 5): "after", (2, 2): "row 2",
                                      (3, 2): "over", (4, 1): "in empty", (6, 1): "last"})  # fmt: skip
    assert values(new) == {"A1": "x", "B1": "between", "C1": "1", "E1": "after", "B2": "row 2", "B3": "over",
                           "A4": "in empty", "A6": "last"}  # fmt: skip
    assert formulas == {"B3"}
    assert b'<c r="A1" s="4" t="inlineStr">' in new  # the cell's style is kept
    assert b'spans="1:5"' in new and b'ht="20" customHeight="1"' in new
    assert b'<dimension ref="A1:E6"/>' in new


def test_prefixed_namespace_and_cells_without_r_are_handled() -> None:
    xml = sheet('<x:row r="2"><x:c><x:v>1</x:v></x:c><x:c t="s"><x:v>0</x:v></x:c></x:row>', prefix="x:")
    new, _ = patch_sheet(xml, {(2, 2): "B", (2, 4): "D", (1, 1): "A"})
    root = etree.fromstring(new)
    cells = [(c.get("r"), "".join(c.itertext())) for c in root.iter(f"{{{MAIN}}}c")]
    assert cells == [("A1", "A"), (None, "1"), ("B2", "B"), ("D2", "D")]
    assert b"<x:c" in new and b"<c " not in new


def test_an_empty_sheet_gets_its_rows() -> None:
    new, _ = patch_sheet(f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode(), {(2, 1): "a", (1, 2): "b"})
    assert values(new) == {"B1": "b", "A2": "a"}


def test_text_is_always_text_and_escaped() -> None:
    assert cell_xml("", "A1", None, '=HYPERLINK("x")') == (
        '<c r="A1" t="inlineStr"><is><t>=HYPERLINK("x")</t></is></c>'
    )
    tricky = ["<&>", " padded ", "line\nbreak", "_x0041_ literal", "bell\x07"]
    wb = Workbook()
    wb.active.title = "T"
    buffer = io.BytesIO()
    wb.save(buffer)
    out = io.BytesIO()
    patch_package(io.BytesIO(buffer.getvalue()), out, "T", {(1, i + 1): t for i, t in enumerate(tricky)})
    read = CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_name("T").to_python()
    assert read[0][:4] == tricky[:4] and read[0][4] in ("bell\x07", "bell")
    assert load_workbook(io.BytesIO(out.getvalue()))["T"]["A1"].value == "<&>"  # (openpyxl keeps _x005F_ as is)


def test_numbers_dates_and_booleans_are_typed(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "T"
    wb.save(tmp_path / "t.xlsx")
    out = tmp_path / "out.xlsx"
    with open(tmp_path / "t.xlsx", "rb") as src, open(out, "wb") as dst:
        patch_package(src, dst, "T", {(1, 1): 42, (1, 2): 1234.5, (1, 3): True, (1, 4): date(2026, 12, 7)})
    cells = load_workbook(out)["T"]
    assert [cells[ref].data_type for ref in ("A1", "B1", "C1", "D1")] == ["n", "n", "b", "n"]
    assert (cells["A1"].value, cells["B1"].value, cells["C1"].value) == (42, 1234.5, True)
    assert excel_serial(date(2026, 12, 7)) == 46363 and excel_serial(datetime(2026, 12, 7, 12)) == 46363.5


def test_a_replaced_formula_leaves_the_calc_chain() -> None:
    chain = f'<calcChain xmlns="{MAIN}"><c r="B3" i="1"/><c r="C3"/><c r="B3" i="2"/></calcChain>'.encode()
    kept = etree.fromstring(drop_from_calc_chain(chain, "1", {"B3"}))
    assert [(c.get("r"), c.get("i")) for c in kept] == [("C3", "1"), ("B3", "2")]


def test_every_other_part_is_copied_unchanged(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "A"
    wb.create_sheet("B")["A1"] = "b"
    wb.save(tmp_path / "t.xlsx")
    out = io.BytesIO()
    with open(tmp_path / "t.xlsx", "rb") as src:
        result = patch_package(src, out, "B", {(2, 1): "new"})
    with zipfile.ZipFile(tmp_path / "t.xlsx") as old, zipfile.ZipFile(out) as new:
        assert old.namelist() == new.namelist()
        changed = [n for n in old.namelist() if old.read(n) != new.read(n)]
        assert [(i.date_time, i.compress_type) for i in old.infolist()] == [
            (i.date_time, i.compress_type) for i in new.infolist()
        ]
    assert changed == ["xl/worksheets/sheet2.xml"] and result.parts_rewritten == ("xl/worksheets/sheet2.xml",)


def test_formulas_saved_without_their_result_are_found_with_their_text(tmp_path: Path) -> None:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Members"
    sheet.append(["姓名", "兴趣"])
    sheet.append(['=CONCAT("Ada"," L")', '=B1&"x"'])  # openpyxl stores no result: <f>…</f><v></v>
    sheet.append(["张伟", "气候"])
    wb.save(tmp_path / "f.xlsx")
    with zipfile.ZipFile(tmp_path / "f.xlsx") as zf:
        assert formulas_without_value(zf, "Members") == [(2, 1, 'CONCAT("Ada"," L")'), (2, 2, 'B1&"x"')]
    plain = Workbook()
    plain.active.append(["no formulas here"])
    plain.save(tmp_path / "p.xlsx")
    with zipfile.ZipFile(tmp_path / "p.xlsx") as zf:
        assert formulas_without_value(zf, plain.active.title) == []


def test_a_formula_with_its_cached_result_is_not_reported() -> None:
    xml = sheet('<row r="1"><c r="A1" t="str"><f>1&amp;2</f><v>12</v></c><c r="B1"><f t="shared" si="0">A1</f><v/></c>'
                '<c r="C1"><f t="shared" si="0"/></c></row>')  # fmt: skip
    buffer = io.BytesIO()
    wb = Workbook()
    wb.active.title = "T"
    wb.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zin, zipfile.ZipFile(out := io.BytesIO(), "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, xml if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info))
    with zipfile.ZipFile(out) as zf:
        assert formulas_without_value(zf, "T") == [(1, 2, "A1"), (1, 3, "A1")]  # a shared formula takes its master's


def test_streaming_the_part_in_small_chunks_gives_the_same_bytes() -> None:
    """patch_sheet_stream (the write-back's path: never the whole part in memory) equals patch_sheet for any cut
    of the part into chunks: rows split across chunks, rows without r, empty rows, rows added before, between and
    after, a prefixed namespace, the dimension widened, an empty <sheetData/>."""
    from connectors.xlsxpatch import patch_sheet_stream

    parts = [
        sheet(
            '<row r="1" spans="1:3"><c r="A1" s="4" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
            '<row r="3"><c r="B3"><f>1+1</f><v>2</v></c></row><row r="4" ht="20" customHeight="1"/>'
            + "".join(
                f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="s"><v>7</v></c></row>' for r in range(5, 40)
            ),
            head='<dimension ref="A1:C39"/>',
        ),
        sheet(
            '<x:row r="2"><x:c><x:v>1</x:v></x:c><x:c t="s"><x:v>0</x:v></x:c></x:row><x:row><x:c><x:v>3</x:v></x:c>'
            "</x:row>",
            prefix="x:",
            head='<x:dimension ref="A2"/>',
        ),  # fmt: skip
        f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>'.encode(),
    ]
    writes = [{(1, 1): "x", (1, 2): "between", (1, 5): "after", (2, 2): "row 2", (3, 2): "over", (4, 1): "in empty",
               **{(r, 3): f"id {r}" for r in range(6, 45, 3)}, (50, 1): "last"},
              {(2, 2): "B", (2, 4): "D", (1, 1): "A", (3, 2): "C", (9, 9): "far"},
              {(2, 1): "a", (1, 2): "b"}]  # fmt: skip
    for xml, wanted in zip(parts, writes, strict=True):
        whole, formulas = patch_sheet(xml, wanted)
        for chunk in (1, 2, 7, 31, 64, 200, 1 << 20):
            out = io.BytesIO()
            assert patch_sheet_stream(io.BytesIO(xml).read, wanted, out.write, chunk) == formulas
            assert out.getvalue() == whole, chunk
