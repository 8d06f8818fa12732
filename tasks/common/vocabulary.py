"""One vocabulary for interests, needs and offers: the zh and en spellings of one thing read as one term.

The table is small and the coordinators edit it where they edit members: a tab of the workbook or sheet
(`[matching] vocabulary_tab`, by default "Vocabulary"), one row per term, with the term in English, in
Chinese, and any other spellings people type (separated by commas or 、):

    English     | 中文      | Synonyms
    venue       | 场地      | space, meeting room, 会议室
    funding     | 资金      | grant, grants, money, 经费, 资助

Headers are found by name (English / en / 英文, 中文 / Chinese / zh, Synonyms / 同义词); a network without
the tab has an empty vocabulary and then only the same words (case and width aside) match.

A list cell ("场地、funding; help with a grant report") reads as tags, in order, repeats dropped:
* an item that is a known spelling is that term;
* a longer free-text item yields every known spelling it contains (Chinese by substring, English by whole
  word, the longest spelling first), and the item itself when it contains none;
* an item with no known spelling stays as typed (its key is the folded text): the report lists these, so a
  coordinator can add them to the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tasks.common.columns import Columns
from tasks.common.text import normalise_text
from weaver.models import split_list

HEADERS = {
    "en": ("English", "en", "英文", "Term", "术语"),
    "zh": ("中文", "Chinese", "zh", "汉语"),
    "synonyms": ("Synonyms", "同义词", "其他写法", "Other spellings"),
}


@dataclass(frozen=True)
class Tag:
    """One term as read from a cell: `key` matches, `en` / `zh` are how each language shows it."""

    key: str
    en: str
    zh: str
    known: bool = True  # False: free text the vocabulary does not know (shown as typed)

    def label(self, lang: str) -> str:
        first, second = (self.zh, self.en) if lang == "zh" else (self.en, self.zh)
        return first or second or self.key


def _fold(text: str) -> str:
    return normalise_text(text).casefold()


class Vocabulary:
    """Spelling -> term; `tags` reads a cell. Built from the table's rows with `from_grid`."""

    def __init__(self, terms: Iterable[Tag] = (), synonyms: Mapping[str, Sequence[str]] | None = None) -> None:
        self.terms: dict[str, Tag] = {}
        self.spellings: dict[str, str] = {}  # folded spelling -> term key
        for term in terms:
            self.terms.setdefault(term.key, term)
            for spelling in (term.en, term.zh, *(synonyms or {}).get(term.key, ())):
                if spelling.strip():
                    self.spellings.setdefault(_fold(spelling), term.key)
        # longest first, so "open data" is found before "data" inside "help with open data"
        ordered = sorted(self.spellings, key=lambda s: (-len(s), s))
        self._patterns = [(s, _pattern(s)) for s in ordered]

    @classmethod
    def from_grid(cls, grid: Sequence[Sequence[str]], tab: str = "Vocabulary") -> Vocabulary:
        if not grid:
            return cls()
        columns = Columns(grid[0], tab)
        at = {name: columns.first(aliases) for name, aliases in HEADERS.items()}
        terms, synonyms = [], {}

        def cell(row: Sequence[str], name: str) -> str:
            col = at[name]
            return normalise_text(str(row[col])) if col is not None and col < len(row) else ""

        for row in grid[1:]:
            en, zh = cell(row, "en"), cell(row, "zh")
            if not en and not zh:
                continue
            key = _fold(en or zh)
            terms.append(Tag(key, en, zh))
            synonyms[key] = list(split_list(cell(row, "synonyms")))
        return cls(terms, synonyms)

    def __len__(self) -> int:
        return len(self.terms)

    def tags(self, text: str) -> tuple[Tag, ...]:
        """The tags of one list cell, in the order typed, each once."""
        out: dict[str, Tag] = {}
        for item in split_list(normalise_text(text)):
            folded = item.casefold()
            key = self.spellings.get(folded)
            if key is not None:
                out.setdefault(key, self.terms[key])
                continue
            found = self._contained(folded)
            for key in found:
                out.setdefault(key, self.terms[key])
            if not found:
                out.setdefault(folded, Tag(folded, item, item, known=False))
        return tuple(out.values())

    def _contained(self, folded: str) -> list[str]:
        hits: list[tuple[int, str]] = []
        rest = folded
        for spelling, pattern in self._patterns:
            if spelling not in rest:
                continue
            match = pattern.search(rest)
            if match is None:
                continue
            hits.append((match.start(), self.spellings[spelling]))
            rest = rest[: match.start()] + "\x00" * len(spelling) + rest[match.end() :]  # a span counts once
        return [key for _at, key in sorted(hits)]


def _pattern(spelling: str) -> re.Pattern[str]:
    """English spellings match whole words; Chinese ones (no spaces between words) match anywhere."""
    if spelling.isascii():
        return re.compile(rf"(?<![a-z0-9]){re.escape(spelling)}(?![a-z0-9])")
    return re.compile(re.escape(spelling))
