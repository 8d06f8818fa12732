"""Make a workbook look saved by Excel or LibreOffice: cached formula results, shared strings, a chart, an image,
data validation, a comment, more tabs. openpyxl writes formulas without their cached value (`<v></v>`) and
text as inline strings; `excelify` patches the saved package so formulas carry their results and text sits
in `xl/sharedStrings.xml`, as Excel and LibreOffice write them.
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path

from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


class RawPng(Image):
    """An image without Pillow (openpyxl only needs its bytes and size to write it)."""

    def __init__(self, data: bytes) -> None:
        self.ref, self.format, self.width, self.height = None, "png", 40, 40
        self._bytes = data

    def _data(self) -> bytes:
        return self._bytes


def decorate(wb: Workbook, members_tab: str) -> None:
    """Add what a coordinator adds: a validation and a comment on the members tab, a tab with formulas,
    a chart and an image."""
    sheet = wb[members_tab]
    sheet["A1"].comment = Comment("名字写全名 / full names please", "coordinator")
    check = DataValidation(type="list", formula1='"yes,no,是,否"', allow_blank=True)
    sheet.add_data_validation(check)
    check.add("I2:I5000")
    summary = wb.create_sheet("汇总 Summary")
    summary["A1"], summary["B1"] = "成员数", f"=COUNTA('{members_tab}'!A:A)-1"
    summary["A2"], summary["B2"] = "第一位", f"='{members_tab}'!A2"
    chart = BarChart()
    chart.add_data(Reference(summary, min_col=2, min_row=1, max_row=2))
    summary.add_chart(chart, "D2")
    image = RawPng(tiny_png())
    image.anchor = "D20"
    summary.add_image(image)


def excelify(path: Path, cached: Mapping[str, Mapping[str, str | float]]) -> None:
    """Rewrite the package at `path` as Excel saves it: `cached` = {tab: {cell ref: cached result}} filled
    into the formulas' `<v>`, and every inline string of every tab moved to a shared strings part."""
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i.filename) for i in zin.infolist()}
        infos = zin.infolist()
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    targets = dict(re.findall(r'Id="(rId\d+)"[^>]*?Target="/?(?:xl/)?([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="/?(?:xl/)?([^"]+)"[^>]*?Id="(rId\d+)"', rels)})
    strings: list[str] = []
    index: dict[str, int] = {}

    def shared(match: re.Match[str]) -> str:
        text = html.unescape(match.group(3))
        if text not in index:
            index[text] = len(strings)
            strings.append(text)
        return f'<c r="{match.group(1)}"{match.group(2)} t="s"><v>{index[text]}</v></c>'

    for name, rid in re.findall(r'<sheet [^>]*?name="([^"]+)"[^>]*?r:id="(rId\d+)"', book):
        part = "xl/" + targets[rid]
        xml = parts[part].decode()
        for ref, value in cached.get(html.unescape(name), {}).items():
            kind = ' t="str"' if isinstance(value, str) else ""
            xml = re.sub(
                rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?</c>',
                lambda m, ref=ref, kind=kind, value=value: (
                    f'<c r="{ref}"{m.group(1)}{kind}><f>{m.group(2)}</f>'
                    f"<v>{html.escape(str(value), quote=False)}</v></c>"
                ),
                xml,
            )
        xml = re.sub(r'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', shared, xml)
        parts[part] = xml.encode()
    sst = "".join(f'<si><t xml:space="preserve">{html.escape(s, quote=False)}</t></si>' for s in strings)
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{sst}</sst>'
    ).encode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>",
        '<Relationship Id="rIdSst" Target="sharedStrings.xml" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/></Relationships>',
    ).encode()
    types = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    ).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in infos:
            zout.writestr(info, parts.pop(info.filename))
        for name, data in parts.items():
            zout.writestr(name, data)


def parts_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}
