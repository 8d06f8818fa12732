"""A local .xlsx workbook as the tables backend; the embedded default.

Reads use calamine (a Rust xlsx reader: 100,000 rows in about a second, where openpyxl's streaming reader
takes about 15). A write is surgical (connectors/xlsxpatch.py): only the XML of the cells written changes,
in the one sheet part of the tab; every other zip part is copied unchanged, so the coordinator's cached
formula results, charts, images, validation, comments and other tabs stay exactly as they were saved.
The new file is written beside the old one and renamed over it (a crash never leaves a half-written
file), with the old file's mode and owner.

No lost edits: the file is fingerprinted (size, mtime, SHA-256) when read; a write first checks the file is
still the one read, and checks again just before the rename. If someone saved it in between, nothing is
written and `TableChanged` is raised: the operation re-reads, re-plans and tries again (flows/_run.py).
Formula-looking text (`=HYPERLINK(...)`) is read as its text and written back as text, never a formula.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import os
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time
from itertools import repeat
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineWorkbook

from connectors.tables import (
    Cell,
    Fingerprint,
    Grid,
    TableChanged,
    cell_name,
    fingerprint,
    read_with_fingerprint,
    replace_checked,
)
from connectors.xlsxpatch import PatchResult, formulas_without_value, patch_package
from weaver.errors import SourceError


def cell_text(value: Any) -> str:
    """Our own typing of a cell: everything becomes text, dates as ISO, whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _shared_text_rows(
    rows: Iterable[list[Any]], first_col: int, total: int = 0, progress: Callable[[int, int], None] | None = None
) -> Grid:
    """Every cell as text (`cell_text`), equal texts sharing one string object, row by row.

    calamine's rows start at the sheet's first used column (`first_col`) but at row 1: the columns before it
    are put back, so row and column numbers match what the coordinator sees (as `to_python(skip_empty_area=
    False)` gives, without building every row's Python objects at once). A members tab repeats most of its
    values (consent, language, region, dates...): one object per distinct text instead of one per cell
    keeps a 100,000-row tab in about half the memory, and later passes over a column find each hash cached.
    """
    shared: dict[str, str] = {}
    share = shared.setdefault
    pad = [""] * first_col
    grid: Grid = []
    if progress is not None:
        progress(0, total)
    for row in rows:
        if not all(map(isinstance, row, _STR)):
            row = [v if type(v) is str else cell_text(v) for v in row]
        grid.append(pad + list(map(share, row, row)) if pad else list(map(share, row, row)))
        if progress is not None and len(grid) % _PROGRESS_EVERY == 0:
            progress(len(grid), max(total, len(grid)))
    if progress is not None:
        progress(len(grid), len(grid))
    return grid


_PROGRESS_EVERY = 10_000  # rows


def _give_back_freed_memory() -> None:
    """Return the C heap calamine just freed to the system (glibc keeps it otherwise, and Python's own objects,
    allocated elsewhere, would not reuse most of it): at 100,000 rows about 60 MB less for the rest of the run."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            _MALLOC_TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
            _MALLOC_TRIM = False
    if _MALLOC_TRIM:
        _MALLOC_TRIM(0)


_MALLOC_TRIM: Any = None


_STR = repeat(str)


class WorkbookTables:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.calls: Counter[str] = Counter()
        self.seen: Fingerprint | None = None  # the file as last read or written by us
        self.last_write: PatchResult | None = None
        self._data = b""
        self.unevaluated: dict[str, list[str]] = {}  # tab -> cells holding a formula saved without its result

    def describe(self) -> str:
        return self.path.name

    def _load(self) -> bytes:
        if not self.path.is_file():
            raise SourceError(f"{self.path}: workbook not found")
        data, self.seen = read_with_fingerprint(self.path)
        return data

    def _reader(self) -> CalamineWorkbook:
        self._data = data = self._load()
        try:
            return CalamineWorkbook.from_filelike(io.BytesIO(data))
        except (CalamineError, OSError, ValueError) as exc:
            raise SourceError(f"{self.path}: cannot open as an .xlsx workbook ({type(exc).__name__})") from None

    def tab_names(self) -> list[str]:
        return list(self._reader().sheet_names)

    def read_tab(self, tab: str, progress: Callable[[int, int], None] | None = None) -> Grid:
        """`progress(rows done, rows)`, if given, once the sheet is parsed and every 10,000 rows after."""
        self.calls["read"] += 1
        book = self._reader()
        if tab not in book.sheet_names:
            raise SourceError(f"{self.path.name}: no tab named {tab!r} (tabs: {', '.join(book.sheet_names)})")
        sheet = book.get_sheet_by_name(tab)  # calamine parses the whole sheet here (about 1 s per 100,000 rows)
        rows = sheet.end[0] + 1 if sheet.end else 0
        grid = _shared_text_rows(sheet.iter_rows(), sheet.start[1] if sheet.start else 0, rows, progress)
        del sheet, book  # calamine's copy of the sheet
        _give_back_freed_memory()
        self._formula_text(tab, grid)
        return grid

    def _formula_text(self, tab: str, grid: Grid) -> None:
        """A formula saved without its result reads as its formula text ("=A2&B2"), never as empty; the cells
        are kept in `unevaluated` for the report (the file needs opening and saving in Excel or LibreOffice)."""
        try:
            with zipfile.ZipFile(io.BytesIO(self._data)) as zf:
                found = formulas_without_value(zf, tab)
        except (zipfile.BadZipFile, KeyError, SourceError):
            return  # calamine read it; a package we cannot follow only means no formula text
        self.unevaluated.pop(tab, None)
        for row, col, formula in found:
            while len(grid) < row:
                grid.append([])
            line = grid[row - 1]
            line.extend([""] * (col - len(line)))
            if not line[col - 1]:
                line[col - 1] = "=" + formula
            self.unevaluated.setdefault(tab, []).append(cell_name(tab, row, col))

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        """Write the cells into the tab's sheet part only; raise TableChanged if the file is not the one read."""
        if not cells:
            return
        self.calls["write"] += 1
        if not self.path.is_file():
            raise SourceError(f"{self.path}: workbook not found")
        expected = self.seen
        data, now = read_with_fingerprint(self.path)
        if expected is not None and now != expected:
            raise TableChanged(f"{self.path.name} was saved by someone else after we read it")
        writes = {(cell.row, cell.col): cell.value for cell in cells}
        fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".xlsx", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                try:
                    result = patch_package(io.BytesIO(data), out, tab, writes)
                except SourceError as exc:
                    raise SourceError(f"{self.path.name}: {exc}") from None
                except (zipfile.BadZipFile, KeyError, ValueError) as exc:
                    raise SourceError(f"{self.path}: cannot open as an .xlsx workbook ({type(exc).__name__})") from None
                out.flush()
                os.fsync(out.fileno())
            replace_checked(tmp, self.path, now)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.seen = fingerprint(self.path)
        self.last_write = result
