"""Surgical .xlsx write-back: change the XML of the cells we own, in the one sheet part that holds them.

An .xlsx file is a zip of XML parts. openpyxl re-saves the whole package from its own model, which drops
what it cannot model (cached formula results, some charts and images, pivot caches, slicers...). Here,
instead:

* the sheet part of the tab is found through the package relationships (lxml: `_rels/.rels` ->
  workbook -> its rels), whatever the writer named it;
* in that part only the `<c>` elements of the cells written are replaced (or inserted, in column order, in
  a row that is inserted in row order when missing); every other byte of the part is copied as it was:
  other cells, formulas with their cached values, styles, data validation, conditional formats, comments'
  anchors, `<extLst>`. The `<dimension>` grows when cells land past it, nothing else moves;
* every other zip part is copied unchanged (same content, same order, names, dates and compression);
* text is written as an inline string (`t="inlineStr"`), so `sharedStrings.xml` need not change; numbers
  as `<v>` numbers, booleans as `t="b"`, dates as serial numbers. A cell keeps its style (`s`). Text is
  always text: `=HYPERLINK(...)` typed by a member never becomes a formula;
* when a cell we own held a formula, its entry in `calcChain.xml` is removed (Excel refuses a chain that
  names a cell without a formula); that is the only case in which a second part changes.

The sheet part is scanned with regular expressions over its bytes rather than re-serialised through an XML
tree: re-serialising would rewrite every byte of a part we must not change, and parsing each row with
lxml costs about 20 us a row (2 s for 100,000 rows), where the scan touches only the rows we write.
Rows and cells are located by their `r` attribute (every writer we know writes it; a row or cell without
one takes the next position, as the format says).
"""

from __future__ import annotations

import functools
import html
import math
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO

from lxml import etree

from weaver.errors import SourceError

CellValue = str | int | float | bool | date | datetime | None
Writes = Mapping[tuple[int, int], CellValue]  # (row, column) 1-based -> value

_REL_OFFICE_DOC = "/officeDocument"
_EPOCH = datetime(1899, 12, 30)  # Excel's 1900 date system, as every reader maps serials after 1900-03-01


@dataclass(frozen=True)
class PatchResult:
    sheet_part: str
    parts_rewritten: tuple[str, ...]  # zip parts whose content changed (the sheet part, maybe calcChain)
    cells: int


@functools.lru_cache(maxsize=4096)
def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


@functools.lru_cache(maxsize=4096)
def col_letters(col: int) -> str:
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def excel_serial(value: date | datetime) -> float:
    moment = value if isinstance(value, datetime) else datetime.combine(value, time(0))
    days = (moment.replace(tzinfo=None) - _EPOCH).total_seconds() / 86400
    return int(days) if days.is_integer() else round(days, 10)


# locating the sheet part ---------------------------------------------------------------------------------
def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _targets(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, part name) for the relationships of `part` ("" = the package)."""
    rels_name = "_rels/.rels" if not part else _rels_of(part)
    base = posixpath.dirname(part)
    found: dict[str, tuple[str, str]] = {}
    for rel in etree.fromstring(zf.read(rels_name)):
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target", "")
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
        found[rel.get("Id", "")] = (rel.get("Type", ""), name)
    return found


def sheet_part_of(zf: zipfile.ZipFile, tab: str) -> tuple[str, str, str | None]:
    """(sheet part name, sheetId, calcChain part or None) of the tab named `tab`."""
    try:
        book = next(name for kind, name in _targets(zf, "").values() if kind.endswith(_REL_OFFICE_DOC))
        book_rels = _targets(zf, book)
        root = etree.fromstring(zf.read(book))
    except (KeyError, StopIteration, etree.XMLSyntaxError) as exc:
        raise SourceError(f"not a readable .xlsx package ({type(exc).__name__})") from None
    calc_chain = next((name for kind, name in book_rels.values() if kind.endswith("/calcChain")), None)
    for sheet in root.iter():
        if _local(sheet.tag) == "sheet" and sheet.get("name") == tab:
            rid = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), "")
            if rid in book_rels:
                return book_rels[rid][1], sheet.get("sheetId", ""), calc_chain
    raise SourceError(f"no tab named {tab!r}")


# writing cells -------------------------------------------------------------------------------------------
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile(r"_(x[0-9A-Fa-f]{4}_)")
_SPECIAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff&<>]|_x")


def _text_xml(text: str) -> str:
    # Excel reads `_xHHHH_` in text as an escaped character: a literal one is written as `_x005F_xHHHH_`;
    # characters XML 1.0 cannot carry are written in that same escape form
    if not _SPECIAL.search(text):
        return text
    text = _ESCAPE_LIKE.sub(r"_x005F_\1", text)
    text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _number(value: float) -> str:
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise SourceError(f"cannot write {value!r} in a workbook cell")
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def cell_xml(prefix: str, ref: str, style: str | None, value: CellValue) -> str:
    head = f'<{prefix}c r="{ref}"' + (f' s="{style}"' if style is not None else "")
    if value is None or value == "":
        return head + "/>"
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
        inline = f"<{prefix}is><{prefix}t{space}>{_text_xml(value)}</{prefix}t></{prefix}is>"
        return f'{head} t="inlineStr">{inline}</{prefix}c>'
    if isinstance(value, bool):
        return f'{head} t="b"><{prefix}v>{int(value)}</{prefix}v></{prefix}c>'
    if isinstance(value, (date, datetime)):
        value = excel_serial(value)
    return f"{head}><{prefix}v>{_number(value)}</{prefix}v></{prefix}c>"


def _attr(attrs: bytes, name: bytes) -> str | None:
    m = re.search(rb"(?:^|\s)" + name + rb"\s*=\s*([\"'])(.*?)\1", attrs)
    return m.group(2).decode() if m else None


def patch_sheet(xml: bytes, writes: Writes) -> tuple[bytes, set[str]]:
    """The sheet part with `writes` applied, and the refs of written cells that held a formula."""
    pieces, formulas = patch_sheet_pieces(xml, writes)
    return b"".join(pieces), formulas


def patch_sheet_pieces(xml: bytes, writes: Writes) -> tuple[list[bytes | memoryview], set[str]]:
    """`patch_sheet` as the pieces to write one after the other: the unchanged stretches of the part are
    views into `xml`, not copies, so a 100 MB part is never held twice (or four times) in memory."""
    head = _SHEET_DATA.search(xml)
    if head is None:
        raise SourceError("the sheet part has no <sheetData>")
    pb = head.group(1) or b""
    if head.group(2):  # <sheetData/>: no rows at all; open it so rows can go in
        opened = head.group(0)[:-2].rstrip() + b">"
        xml = xml[: head.start()] + opened + b"</" + pb + b"sheetData>" + xml[head.end() :]
        start = end = head.start() + len(opened)
    else:
        start = head.end()
        end = xml.find(b"</" + pb + b"sheetData>", start)
        if end < 0:
            raise SourceError("the sheet part's <sheetData> is not closed")
    walk = _RowWalk(pb, writes)
    edits = walk.edits(xml, end, last=True, start=start)
    dimension = _grow_dimension(xml, pb, writes, before=start)
    if dimension is not None:
        edits.insert(0, dimension)  # <dimension> comes before <sheetData>
    view = memoryview(xml)
    out: list[bytes | memoryview] = []
    pos = 0
    for at, until, piece in edits:  # in order of position already
        out += [view[pos:at], piece]
        pos = until
    out.append(view[pos:])
    return out, walk.rows.formulas


def patch_sheet_stream(read: Callable[[int], bytes], writes: Writes, write: Callable[[bytes], object],
                       chunk: int = 1 << 22) -> set[str]:  # fmt: skip
    """`patch_sheet` reading the part from `read` and writing the result to `write` as it goes: only about
    `chunk` bytes of the part (cut after a whole row) and that stretch's edits are in memory at a time.
    Returns the refs of written cells that held a formula."""
    buf, more = b"", b"-"
    head = None
    while head is None and more:
        more = read(chunk)
        buf += more
        head = _SHEET_DATA.search(buf)
    if head is None or head.group(2):  # no <sheetData>, or <sheetData/>: the whole part, as patch_sheet does
        while more:
            more = read(chunk)
            buf += more
        pieces, formulas = patch_sheet_pieces(buf, writes)
        for piece in pieces:
            write(piece)
        return formulas
    pb = head.group(1) or b""
    start = head.end()
    dimension = _grow_dimension(buf, pb, writes, before=start)
    if dimension is not None:
        write(buf[: dimension[0]])
        write(dimension[2])
        write(buf[dimension[1] : start])
    else:
        write(buf[:start])
    buf = buf[start:]
    walk = _RowWalk(pb, writes)
    close_data = b"</" + pb + b"sheetData>"
    while True:
        end = buf.find(close_data)
        final = end >= 0
        if not final:
            more = read(chunk)
            if not more:
                raise SourceError("the sheet part's <sheetData> is not closed")
            cut = buf.rfind(walk.rows.close_row)
            if cut < 0:  # not one whole row yet
                buf += more
                continue
            end = cut + len(walk.rows.close_row)
        view = memoryview(buf)
        pos = 0
        for at, until, piece in walk.edits(buf, end, last=final):
            write(view[pos:at])
            write(piece)
            pos = until
        if final:  # the end of <sheetData>: the rest of the part as it is
            write(view[pos:])
            while more := read(chunk):
                write(more)
            return walk.rows.formulas
        write(view[pos:end])
        buf = buf[end:] + more


class _RowWalk:
    """The rows of `<sheetData>` met in order, one stretch at a time: edits writing `writes` into them."""

    def __init__(self, pb: bytes, writes: Writes) -> None:
        self.by_row: dict[int, dict[int, CellValue]] = {}
        for (row, col), value in writes.items():
            self.by_row.setdefault(row, {})[col] = value
        self.rows = _Rows(pb)
        self.pending = sorted(self.by_row)
        self.k = 0
        self.implied = 0
        self.row_re = re.compile(rb"<" + pb + rb"row(?=[\s/>])([^>]*?)(/?)>")

    def edits(self, xml: bytes, end: int, last: bool, start: int = 0) -> list[Edit]:
        """Edits for the whole rows in xml[start:end]; `last`: `end` is where `</sheetData>` is."""
        by_row, pending, rows = self.by_row, self.pending, self.rows
        edits: list[Edit] = []
        for m in self.row_re.finditer(xml, start, end) if self.k < len(pending) else ():
            number = _R_ATTR.search(m.group(1))
            self.implied = implied = int(number.group(1)) if number else self.implied + 1
            while self.k < len(pending) and pending[self.k] < implied:  # a missing row goes before this one
                edits.append((m.start(), m.start(), rows.new(pending[self.k], by_row[pending[self.k]])))
                self.k += 1
            if self.k < len(pending) and pending[self.k] == implied:
                rows.patch(xml, m, implied, by_row[implied], edits)
                self.k += 1
            if self.k >= len(pending):
                break
        if last:
            edits.extend((end, end, rows.new(row, by_row[row])) for row in pending[self.k :])
            self.k = len(pending)
        return edits


_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData(?=[\s/>])[^>]*?(/?)>")
_R_ATTR = re.compile(rb"\sr\s*=\s*[\"'](\d+)[\"']")


Edit = tuple[int, int, bytes]  # replace xml[start:end] with these bytes


class _Rows:
    """Finds the cells we write in one row at a time; `formulas` collects the refs of formula cells replaced."""

    def __init__(self, pb: bytes) -> None:
        self.pb, self.p = pb, pb.decode()
        self.close_row = b"</" + pb + b"row>"
        self.close_c = b"</" + pb + b"c>"
        self.cell_tag = b"<" + pb + b"c"
        self.cell_re = re.compile(rb"<" + pb + rb"c(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + pb + rb"c>)", re.S)
        self.formula_re = re.compile(rb"<" + pb + rb"f[\s/>]")
        self.formulas: set[str] = set()

    def cell(self, row: int, col: int, style: str | None, value: CellValue) -> bytes:
        return cell_xml(self.p, f"{col_letters(col)}{row}", style, value).encode("utf-8")

    def new(self, row: int, cells: Mapping[int, CellValue]) -> bytes:
        inner = b"".join(self.cell(row, c, None, cells[c]) for c in sorted(cells))
        return b"<" + self.pb + b'row r="%d">' % row + inner + self.close_row

    def patch(self, xml: bytes, m: re.Match[bytes], row: int, cells: Mapping[int, CellValue], out: list[Edit]) -> None:
        """Append to `out` the edits that write `cells` into the row whose start tag `m` matched."""
        attrs = m.group(1)
        if m.group(2):  # <row .../>: an empty row element, written out whole
            inner = b"".join(self.cell(row, c, None, cells[c]) for c in sorted(cells))
            whole = b"<" + self.pb + b"row" + attrs.rstrip() + b">" + inner + self.close_row
            out.append((m.start(), m.end(), whole))
            return
        spans = _grow_spans(attrs, cells) if b"spans" in attrs else attrs
        if spans is not attrs:
            out.append((m.start(1), m.end(1), spans))
        begin, end = m.end(), xml.find(self.close_row, m.end())
        if end < 0:
            raise SourceError(f"row {row} of the sheet part is not closed")
        edits = self._fast(xml, begin, end, row, cells)
        if edits is None:
            edits = self._careful(xml, begin, end, row, cells)
        out.extend(sorted(edits, key=lambda e: e[0]) if len(edits) > 1 else edits)

    def _cell_end(self, xml: bytes, tag_end: int) -> tuple[int, bytes]:
        """(end of the cell whose start tag ends at `tag_end`, its inner XML)."""
        if xml[tag_end - 1] == 47:  # "/>"
            return tag_end + 1, b""
        close = xml.find(self.close_c, tag_end)
        if close < 0:
            raise SourceError("a cell of the sheet part is not closed")
        return close + len(self.close_c), xml[tag_end + 1 : close]

    def _cell_start(self, xml: bytes, begin: int, attr_at: int) -> int:
        start = xml.rfind(b"<", begin, attr_at)
        tag = self.cell_tag
        return start if start >= 0 and xml.startswith(tag, start) and xml[start + len(tag)] in b" \t\r\n" else -1

    def _fast(self, xml: bytes, begin: int, end: int, row: int, cells: Mapping[int, CellValue]) -> list[Edit] | None:
        """Cells found by their `r="H17"`, new ones after the last cell; None when that is not enough."""
        last = xml.rfind(b' r="', begin, end)
        if last < 0 or self._cell_start(xml, begin, last) < 0:
            return None
        quote = xml.find(b'"', last + 4, end)
        last_col = col_number(xml[last + 4 : quote].decode().rstrip("0123456789").lstrip("$"))
        last_end, _ = self._cell_end(xml, xml.find(b">", quote, end))
        if last_end < end and self.cell_re.search(xml, last_end, end):  # a cell after it without r=""
            return None
        edits: list[Edit] = []
        for col in sorted(cells) if len(cells) > 1 else cells:
            if col > last_col:
                edits.append((last_end, last_end, self.cell(row, col, None, cells[col])))
                continue
            ref = f"{col_letters(col)}{row}"
            at = xml.find(b' r="' + ref.encode() + b'"', begin, end)
            start = self._cell_start(xml, begin, at) if at >= 0 else -1
            if start < 0:
                return None  # a new cell between others: the careful way
            tag_end = xml.find(b">", at, end)
            cell_end, inner = self._cell_end(xml, tag_end)
            if inner and self.formula_re.search(inner):
                self.formulas.add(ref)
            edits.append((start, cell_end, self.cell(row, col, _attr(xml[start:tag_end], b"s"), cells[col])))
        return edits

    def _careful(self, xml: bytes, begin: int, end: int, row: int, cells: Mapping[int, CellValue]) -> list[Edit]:
        """Every cell of the row looked at, in order (cells without `r` take the next column)."""
        edits: list[Edit] = []
        pending = sorted(cells)
        k = 0
        implied = 0
        last_end = begin
        for c in self.cell_re.finditer(xml, begin, end):
            ref = _attr(c.group(1), b"r")
            implied = col_number(ref.rstrip("0123456789").lstrip("$")) if ref else implied + 1
            while k < len(pending) and pending[k] < implied:
                edits.append((c.start(), c.start(), self.cell(row, pending[k], None, cells[pending[k]])))
                k += 1
            if k < len(pending) and pending[k] == implied:
                if c.group(2) and self.formula_re.search(c.group(2)):
                    self.formulas.add(f"{col_letters(implied)}{row}")
                edits.append((c.start(), c.end(), self.cell(row, implied, _attr(c.group(1), b"s"), cells[implied])))
                k += 1
            last_end = c.end()
        edits.extend((last_end, last_end, self.cell(row, col, None, cells[col])) for col in pending[k:])
        return edits


def _grow_spans(attrs: bytes, cells: Mapping[int, CellValue]) -> bytes:
    """A row's `spans="1:14"` (an optional hint) widened to the cells written."""
    m = re.search(rb"(\sspans\s*=\s*[\"'])(\d+):(\d+)", attrs)
    if m is None:
        return attrs
    lo, hi = int(m.group(2)), int(m.group(3))
    new_lo, new_hi = min(lo, min(cells)), max(hi, max(cells))
    if (new_lo, new_hi) == (lo, hi):
        return attrs
    return attrs[: m.start(2)] + b"%d:%d" % (new_lo, new_hi) + attrs[m.end(3) :]


def _grow_dimension(xml: bytes, pb: bytes, writes: Writes, before: int) -> Edit | None:
    """The edit that widens `<dimension ref="A1:N300">` (found before offset `before`) to the cells written."""
    if not writes:
        return None
    dim = re.compile(rb"<" + pb + rb"dimension\b[^>]*?\sref\s*=\s*([\"'])([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\1")
    m = dim.search(xml, 0, before)
    if m is None:
        return None
    end_col = col_number((m.group(4) or m.group(2)).decode())
    end_row = int(m.group(5) or m.group(3))
    max_row = max(r for r, _ in writes)
    max_col = max(c for _, c in writes)
    if max_row <= end_row and max_col <= end_col:
        return None
    ref = f"{col_letters(max(end_col, max_col))}{max(end_row, max_row)}".encode()
    return m.start(2), m.end(5) if m.group(5) else m.end(3), m.group(2) + m.group(3) + b":" + ref


def drop_from_calc_chain(xml: bytes, sheet_id: str, refs: Iterable[str]) -> bytes:
    """calcChain.xml without the entries of `refs` on sheet `sheet_id` (an entry without `i` keeps the last)."""
    wanted = set(refs)
    root = etree.fromstring(xml)
    current = ""
    for entry in list(root):
        current = entry.get("i", current)
        if current == sheet_id and entry.get("r") in wanted:
            following = entry.getnext()
            if following is not None and following.get("i") is None and entry.get("i") is not None:
                following.set("i", entry.get("i"))  # the next entry inherited this one's sheet
            root.remove(entry)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# reading: formulas without a cached result -----------------------------------------------------------------
def formulas_without_value(zf: zipfile.ZipFile, tab: str) -> list[tuple[int, int, str]]:
    """(row, column, formula text) of every formula cell of `tab` saved without its result.

    A file written by a program that does not calculate (openpyxl, many exporters) holds `<f>` with an
    empty `<v>`; readers that do not recalculate see an empty cell. The part is first streamed for any
    `<f` at all (most member tabs have none, and then nothing else is done).
    """
    part = sheet_part_of(zf, tab)[0]
    with zf.open(part) as stream:
        head = stream.read(1 << 16)
        match = re.search(rb"<(\w+:)?sheetData\b", head) or re.search(rb"<(\w+:)?worksheet\b", head)
        pb = (match.group(1) or b"") if match else b""
        needle = b"<" + pb + b"f"
        seen, tail = False, b""
        chunk = head
        while chunk:
            window = tail + chunk
            if re.search(re.escape(needle) + rb"[\s/>]", window):
                seen = True
                break
            tail = window[-(len(needle) + 1) :]
            chunk = stream.read(1 << 22)
    if not seen:
        return []
    xml = zf.read(part)
    cell_re = re.compile(rb"<" + pb + rb"c(?=[\s>])([^>]*)>(.*?)</" + pb + rb"c>", re.S)
    formula_re = re.compile(rb"<" + pb + rb"f(?=[\s/>])([^>]*?)(?:/>|>(.*?)</" + pb + rb"f>)", re.S)
    value_re = re.compile(rb"<" + pb + rb"v(?:\s[^>]*)?>([^<]+)</" + pb + rb"v>")
    masters: dict[bytes, bytes] = {}
    found: list[tuple[int, int, str]] = []
    pos = 0
    while (at := xml.find(needle, pos)) >= 0:
        start = xml.rfind(b"<" + pb + b"c ", 0, at)
        cell = cell_re.match(xml, start) if start >= 0 else None
        if cell is None or cell.end() < at:
            pos = at + 1
            continue
        pos = cell.end()
        formula = formula_re.search(cell.group(2))
        if formula is None:
            continue
        shared = _attr(formula.group(1), b"si")
        text = formula.group(2) or b""
        if shared is not None and text:
            masters[shared.encode()] = text
        if value_re.search(cell.group(2)):
            continue  # saved with its result: the reader has it
        ref = _attr(cell.group(1), b"r")
        if not ref:
            continue
        letters = ref.rstrip("0123456789")
        text = text or (masters.get(shared.encode(), b"") if shared is not None else b"")
        found.append((int(ref[len(letters) :]), col_number(letters.lstrip("$")), html.unescape(text.decode())))
    return found


# the package -------------------------------------------------------------------------------------------
def patch_package(source: IO[bytes], target: IO[bytes], tab: str, writes: Writes) -> PatchResult:
    """Copy the .xlsx package from `source` to `target` with `writes` applied to `tab`.

    The sheet part is patched as it streams from one zip to the other (`patch_sheet_stream`), so a big tab is
    never held whole in memory; `calcChain.xml`, when a formula cell was overwritten, is rewritten after it.
    """
    with zipfile.ZipFile(source) as zin:
        part, sheet_id, calc_chain = sheet_part_of(zin, tab)
        names = [info.filename for info in zin.infolist()]
        if calc_chain in zin.NameToInfo and names.index(calc_chain) < names.index(part):
            return _patch_package_whole(zin, target, part, sheet_id, calc_chain, writes)  # the chain comes first
        rewritten = [part]
        with zipfile.ZipFile(target, "w") as zout:
            formulas: set[str] = set()
            for info in zin.infolist():
                copy = _copy_info(info)
                if info.filename == part:
                    copy._compresslevel = 1  # type: ignore[attr-defined]  # the big part: fast deflate (as writestr)
                    with zin.open(info) as src, zout.open(copy, "w") as dest:
                        formulas = patch_sheet_stream(src.read, writes, dest.write)
                elif info.filename == calc_chain and formulas:
                    zout.writestr(copy, drop_from_calc_chain(zin.read(calc_chain), sheet_id, formulas), compresslevel=1)
                    rewritten.append(calc_chain)
                else:
                    zout.writestr(copy, zin.read(info.filename))
            zout.comment = zin.comment
    return PatchResult(part, tuple(rewritten), len(writes))


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(info.filename, info.date_time)
    copy.compress_type = info.compress_type
    copy.external_attr = info.external_attr
    copy.create_system = info.create_system
    copy.comment = info.comment
    return copy


def _patch_package_whole(zin: zipfile.ZipFile, target: IO[bytes], part: str, sheet_id: str, calc_chain: str | None,
                         writes: Writes) -> PatchResult:  # fmt: skip
    new_sheet, formulas = patch_sheet_pieces(zin.read(part), writes)
    replaced: dict[str, Sequence[bytes | memoryview]] = {part: new_sheet}
    if formulas and calc_chain and calc_chain in zin.NameToInfo:
        replaced[calc_chain] = [drop_from_calc_chain(zin.read(calc_chain), sheet_id, formulas)]
    with zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            copy = _copy_info(info)
            pieces = replaced.get(info.filename)
            if pieces is None:
                zout.writestr(copy, zin.read(info.filename))
                continue
            copy._compresslevel = 1  # type: ignore[attr-defined]  # the big part: fast deflate (as writestr)
            with zout.open(copy, "w") as dest:  # written piece by piece: the part is never joined
                for piece in pieces:
                    dest.write(piece)
        zout.comment = zin.comment
    return PatchResult(part, tuple(replaced), len(writes))
