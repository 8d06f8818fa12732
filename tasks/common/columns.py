"""Finding mapped columns in a tab's header row, the one way every operation does it.

Headers are matched as people type them: width, case and surrounding spaces ignored (`邮箱 ` is `邮箱`,
`ＥＭＡＩＬ` is `email`); where a header repeats, the first one counts. A required column that is missing
is one error naming the source, the tab, the header looked for, the config key it came from, and the
columns the tab does have.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tasks.common.text import normalise_header, normalise_text
from weaver.errors import SourceError


class Columns:
    """A tab's header row, indexed for lookups by configured header text."""

    def __init__(self, header: Sequence[str], tab: str, source: str = "") -> None:
        self.header = header
        self.tab = tab
        self.source = source
        self.index: dict[str, int] = {}
        for i, text in enumerate(header):
            self.index.setdefault(normalise_header(text), i)

    def find(self, wanted: str) -> int | None:
        """The 0-based column of a header, or None."""
        return self.index.get(normalise_header(wanted))

    def first(self, aliases: Iterable[str]) -> int | None:
        """The column of the first alias present (e.g. `email` or `邮箱`)."""
        return next((col for col in map(self.find, aliases) if col is not None), None)

    def require(self, wanted: str, key: str) -> int:
        """The column of a header the operation cannot do without; `key` says where it was configured."""
        col = self.find(wanted)
        if col is None:
            where = f"{self.source}: " if self.source else ""
            raise SourceError(
                f"{where}tab {self.tab!r} has no column {wanted!r} ({key}); its columns are: {self.known()}"
            )
        return col

    def known(self) -> str:
        return ", ".join(repr(normalise_text(h)) for h in self.header if h.strip())

    def next_free(self) -> int:
        """Where a column we add goes: right of the last non-blank header."""
        return max((i for i, h in enumerate(self.header) if h.strip()), default=-1) + 1
