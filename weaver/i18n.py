"""Chinese and English as equals: every text a coordinator or member reads comes from this catalogue.

The texts live as data in `weaver/catalogue/*.toml`, one file per area, each key with its English and Chinese
side by side, so a translator edits words without touching code:

    ["sync.title"]
    en = "Member sync"
    zh = "成员同步"

The files are read once, on the first lookup (nothing is read at import time), and shipped as package data.

`t(key, lang, **values)` formats the text in the requested language, falling back to English for a language the
catalogue does not have. A key that is not in the catalogue raises `MissingText` naming the key: a raw key such as
`newsletter.approval` must never reach a reader, and raising makes tests catch it. Code that builds a key from a
variable declares the variable's possible values next to the call, so tests/weaver/test_i18n.py can check that
every key the code can ask for exists.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

LANGUAGES = ("en", "zh")
_FOLDER = "catalogue"


class MissingText(LookupError):
    """A key that is not in the catalogue: a bug in the code asking for it, never something to show a reader."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no text in weaver/catalogue/*.toml for the key {key!r}")
        self.key = key


@cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """Every key -> {"en": ..., "zh": ...}, read from the TOML files once. Read-only: the files are the source."""
    entries: dict[str, Mapping[str, str]] = {}
    folder = resources.files(__package__).joinpath(_FOLDER)
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name):
        for key, texts in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if key in entries:  # two files giving one key: which wins would depend on file order
                raise ValueError(f"catalogue key {key!r} is in more than one file (again in {path.name})")
            entries[key] = MappingProxyType(dict(texts))
    return MappingProxyType(entries)


def t(key: str, lang: str = "en", **values: object) -> str:
    """The text for `key` in `lang` (English if the catalogue has no such language), formatted with `values`.

    Raises MissingText for an unknown key, rather than showing the key to a reader.
    """
    entry = catalogue().get(key)
    if entry is None:
        raise MissingText(key)
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    """How a coordinator sees a member field's name; a column the network added itself keeps its own name."""
    key = f"field.{field}"
    return t(key, lang) if key in catalogue() else field
