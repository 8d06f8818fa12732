"""A folder of CSV files as the tables backend: one `<Tab>.csv` per tab (UTF-8, BOM tolerated).

`path` may also be a single .csv file, which is then the only tab (named after the file's stem).
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from connectors.tables import Cell, Grid
from weaver.errors import SourceError


class CsvTables:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.calls: Counter[str] = Counter()

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

    def read_tab(self, tab: str) -> Grid:
        self.calls["read"] += 1
        file = self._file(tab)
        if not file.is_file():
            raise SourceError(f"{file}: CSV file for tab {tab!r} not found")
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(f"{file}: not UTF-8 text (save the CSV as UTF-8)") from None
        return [list(row) for row in csv.reader(io.StringIO(text))]

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        grid = self.read_tab(tab)
        self.calls["read"] -= 1  # the read inside a write is part of the one write call
        self.calls["write"] += 1
        for cell in cells:
            while len(grid) < cell.row:
                grid.append([])
            row = grid[cell.row - 1]
            row.extend([""] * (cell.col - len(row)))
            row[cell.col - 1] = cell.value
        file = self._file(tab)
        fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".csv", dir=file.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(grid)
        os.replace(tmp, file)
