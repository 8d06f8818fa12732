"""A folder of CSV files as the tables backend: one `<Tab>.csv` per tab (UTF-8, BOM tolerated).

`path` may also be a single .csv file, which is then the only tab (named after the file's stem).
A write keeps the file's mode and owner and replaces it atomically, and only if it is still the file we
read (size, mtime, SHA-256): a save by someone else in between raises TableChanged and nothing is written.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from connectors.tables import (
    Cell,
    Fingerprint,
    Grid,
    TableChanged,
    as_text,
    fingerprint,
    read_with_fingerprint,
    replace_checked,
)
from weaver.errors import SourceError


class CsvTables:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.calls: Counter[str] = Counter()
        self.seen: dict[Path, Fingerprint] = {}  # each tab's file as last read or written by us

    def describe(self) -> str:
        return self.path.name

    def _file(self, tab: str) -> Path:
        if self.path.suffix.lower() == ".csv":
            if tab != self.path.stem:
                raise SourceError(f"{self.path.name}: a single CSV file holds only the tab {self.path.stem!r}")
            return self.path
        return self.path / f"{tab}.csv"

    def tab_names(self) -> list[str]:
        if self.path.suffix.lower() == ".csv":
            return [self.path.stem]
        return sorted(p.stem for p in self.path.glob("*.csv"))

    def _grid(self, file: Path, tab: str) -> tuple[Grid, Fingerprint]:
        if not file.is_file():
            raise SourceError(f"{file}: CSV file for tab {tab!r} not found")
        data, seen = read_with_fingerprint(file)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(f"{file}: not UTF-8 text (save the CSV as UTF-8)") from None
        return [list(row) for row in csv.reader(io.StringIO(text))], seen

    def read_tab(self, tab: str) -> Grid:
        self.calls["read"] += 1
        file = self._file(tab)
        grid, self.seen[file] = self._grid(file, tab)
        return grid

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        self.calls["write"] += 1
        file = self._file(tab)
        grid, now = self._grid(file, tab)
        if file in self.seen and self.seen[file] != now:
            raise TableChanged(f"{file.name} was saved by someone else after we read it")
        for cell in cells:
            while len(grid) < cell.row:
                grid.append([])
            row = grid[cell.row - 1]
            row.extend([""] * (cell.col - len(row)))
            row[cell.col - 1] = as_text(cell.value)  # a CSV file has no types: numbers as their plain text
        fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".csv", dir=file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                csv.writer(handle).writerows(grid)
                handle.flush()
                os.fsync(handle.fileno())
            replace_checked(tmp, file, now)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.seen[file] = fingerprint(file)
