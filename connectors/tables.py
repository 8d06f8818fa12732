"""The tables role: members, events, opportunities and surveys as tabs of a spreadsheet.

Every backend (a local .xlsx workbook, a folder of CSV files, Google Sheets) implements `TableBackend`.
Reads return the whole tab as text in one call; writes are one batch of cells. Flows never know which
backend is configured. Each backend counts its external calls so tests and benchmarks can assert them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from weaver.errors import SourceError

Grid = list[list[str]]  # rows of cell text, the header row first; ragged rows allowed


class TableChanged(SourceError):
    """The table was saved by someone else between our read and our write: nothing was written.

    The operation re-reads, re-plans and writes again (a bounded number of times, flows/_run.py).
    """


class Cell(NamedTuple):
    """One cell to write: 1-based row and column, and its text (always written as literal text)."""

    row: int
    col: int
    value: str


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
        """Write all cells in one batch, as literal text (a value like '=HYPERLINK(...)' stays text).

        Cells past the last row or column extend the tab. An empty batch makes no call.
        """
        ...

    def tab_names(self) -> list[str]: ...


def column_letter(col: int) -> str:
    """1 -> A, 27 -> AA (for messages that name a cell, like Members!H17)."""
    letters = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell_name(tab: str, row: int, col: int) -> str:
    return f"{tab}!{column_letter(col)}{row}"
