"""The tables role: members, events, opportunities and surveys as tabs of a spreadsheet.

Every backend (a local .xlsx workbook, a folder of CSV files, Google Sheets) implements `TableBackend`.
Reads return the whole tab as text in one call; writes are one batch of cells. Flows never know which
backend is configured. Each backend counts its external calls so tests and benchmarks can assert them.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable

from weaver.errors import SourceError

Grid = list[list[str]]  # rows of cell text, the header row first; ragged rows allowed
CellValue = str | int | float  # text is always written as literal text; int and float as numbers


class TableChanged(SourceError):
    """The table was saved by someone else between our read and our write: nothing was written.

    The operation re-reads, re-plans and writes again (a bounded number of times, flows/_run.py).
    """


class Cell(NamedTuple):
    """One cell to write: 1-based row and column, and its value.

    Text (`str`) is always written as literal text, never a formula, whatever it looks like: member text
    stays text. A number we computed (`int`, `float`) is written as a number, so SUM and sorting work.
    """

    row: int
    col: int
    value: CellValue


@runtime_checkable
class TableBackend(Protocol):
    calls: Counter[str]  # "read" and "write" counts, one per external call

    def describe(self) -> str:
        """A short name for messages (file name or sheet id), never credentials."""
        ...

    def read_tab(self, tab: str) -> Grid:
        """The whole tab as text, in one read. Raises SourceError if the tab does not exist."""
        ...

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        """Write all cells in one batch: text as literal text ('=HYPERLINK(...)' stays text), numbers as numbers.

        Cells past the last row or column extend the tab. An empty batch makes no call.
        """
        ...

    def tab_names(self) -> list[str]: ...


def as_text(value: CellValue) -> str:
    """A cell value as the text a text-only backend stores and our reads give back: 12, 7500.5, -3."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA (for messages that name a cell, like Members!H17)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(tab: str, row: int, col: int) -> str:
    return f"{tab}!{column_letter(col)}{row}"


# file backends: no lost edits ------------------------------------------------------------------------
class Fingerprint(NamedTuple):
    size: int
    mtime_ns: int
    sha256: str


def read_with_fingerprint(path: Path) -> tuple[bytes, Fingerprint]:
    """The file's bytes and their fingerprint, taken so that a save during the read is noticed."""
    for _ in range(5):
        before = os.stat(path)
        data = path.read_bytes()
        after = os.stat(path)
        if before.st_size == after.st_size == len(data) and before.st_mtime_ns == after.st_mtime_ns:
            return data, Fingerprint(len(data), after.st_mtime_ns, hashlib.sha256(data).hexdigest())
    raise SourceError(f"{path.name}: the file keeps changing while it is read; try again when it is saved")


def fingerprint(path: Path) -> Fingerprint:
    return read_with_fingerprint(path)[1]


def replace_checked(tmp: str, path: Path, expected: Fingerprint) -> None:
    """Rename the finished `tmp` over `path`, with path's mode and owner, if path is still `expected`.

    A file saved by someone else since `expected` was taken is left alone (TableChanged): theirs wins and
    the operation plans again on it. (A save in the instant between this check and the rename cannot be
    seen by any check; the rename is atomic, so the file is always one whole version.)
    """
    st = os.stat(path)
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except PermissionError:
            pass  # not ours to give away: the file keeps its mode; its owner becomes the one running us
    if fingerprint(path) != expected:
        raise TableChanged(f"{path.name} was saved by someone else while we wrote it")
    os.replace(tmp, path)
