"""Text as people type it into sheets and forms: one normalisation for names, emails, headers and lists.

Unicode NFKC (full-width `ＡＮＡ＠ＸＹＺ．ＯＲＧ` becomes `ANA@XYZ.ORG`), trimmed, inner whitespace collapsed;
emails lowercased (and the Chinese full stop `。` read as `.`); CJK text kept intact. The columnar variants
do the same to a whole column in one C-level pass, which is what keeps the plan phase fast.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import partial
from operator import is_not

from connectors.mail import ascii_address

# Spellings of our two languages in a sheet's language column, in English and Chinese.
LANGUAGES = {
    "zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zh", "zh-hant": "zh", "cn": "zh", "chinese": "zh",
    "中文": "zh", "汉语": "zh", "普通话": "zh", "简体中文": "zh", "繁體中文": "zh", "繁体中文": "zh",
    "en": "en", "en-us": "en", "en-gb": "en", "english": "en", "英文": "en", "英语": "en",
}  # fmt: skip

_IS_NOT_NONE = partial(is_not, None)
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)


def normalise_text(value: str) -> str:
    """NFKC, trimmed, inner whitespace collapsed to one space. ASCII text skips the Unicode pass."""
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value).replace("\u200b", "").replace("\ufeff", "")
    return " ".join(value.split())


def normalise_email(value: str) -> str:
    value = normalise_text(value).replace("。", ".").replace(" ", "").lower()
    return value.removeprefix("mailto:")


def is_valid_email(value: str) -> bool:
    """A plausible address. An internationalised domain (zoe@exämple.org) is checked in its IDNA form; a
    local part may hold non-ASCII letters (EAI: 用户@例子.中国), which only a server with SMTPUTF8 takes."""
    if value.isascii():
        return len(value) <= 254 and _EMAIL.match(value) is not None
    local, at, domain = value.rpartition("@")
    if not at or not local or any(c.isspace() or c in '"(),:;<>[\\]' for c in local):
        return False
    ascii_domain = ascii_address(f"x@{domain}")
    ascii_local = local if local.isascii() else _NON_ASCII.sub("a", local)  # non-ASCII letters are allowed
    address = f"{ascii_local}@{ascii_domain.rpartition('@')[2]}" if ascii_domain else ""
    return bool(address) and len(address) <= 254 and _EMAIL.match(address) is not None


def normalise_header(value: str) -> str:
    return normalise_text(value).casefold()


# Columnar normalisation: one C-level pass over a whole column joined by NUL (NUL is not whitespace, and
# NFKC never creates or merges across it), instead of a Python call per cell. Same result as
# `normalise_text` on each cell; this is what lets the plan phase run at hundreds of thousands of rows/s.
_SEP = "\x00"
_WS = re.compile(r"\s+")
_SEP_SPACES = re.compile(" ?\x00 ?")
_ODD_SPACE = re.compile(r"[^\S ]| {2}")  # whitespace other than one plain space
_LIST_SEPS = "，、;；/|\n"  # each read as a comma
_LIST_COMMAS = re.compile(r" ?,[ ,]*")
_LIST_EDGES = re.compile(r"(^|\x00)(?:, )+|(?:, )+(?=\x00|$)")


def _normalise_joined(joined: str) -> str:
    if not joined.isascii():
        joined = unicodedata.normalize("NFKC", joined).replace("\u200b", "").replace("\ufeff", "")
    if _needs_collapse(joined):
        joined = _WS.sub(" ", joined)
    if " \x00" in joined or "\x00 " in joined:
        joined = _SEP_SPACES.sub(_SEP, joined)
    return joined.strip(" ")


def _needs_collapse(joined: str) -> bool:
    """Any whitespace other than single plain spaces? Substring scans (C speed) for ASCII text."""
    if joined.isascii():
        return (
            "  " in joined or "\t" in joined or "\n" in joined or "\r" in joined or "\x0b" in joined or "\x0c" in joined
        )
    return _ODD_SPACE.search(joined) is not None


def normalise_column(values: Sequence[str]) -> list[str]:
    joined = _SEP.join(values)
    if _already_normal(joined):
        return list(values)  # the common case: nothing to change, so no need to split a copy
    return _normalise_joined(joined).split(_SEP)


def _already_normal(joined: str) -> bool:
    if joined[:1] == " " or joined[-1:] == " " or " \x00" in joined or "\x00 " in joined:
        return False
    if not joined.isascii() and not unicodedata.is_normalized("NFKC", joined):
        return False
    return not _needs_collapse(joined) and "\u200b" not in joined and "\ufeff" not in joined


def normalise_email_column(values: Sequence[str]) -> list[str]:
    joined = _normalise_joined(_SEP.join(values)).replace("。", ".").replace(" ", "").lower()
    return (
        [v[7:] if v.startswith("mailto:") else v for v in joined.split(_SEP)]
        if "mailto:" in joined
        else joined.split(_SEP)
    )


def canonical_list_column(values: Sequence[str]) -> list[str]:
    """'气候、教育 ;art' -> '气候, 教育, art' for a whole column (repeats are kept; `split_list` drops them)."""
    joined = _SEP.join(values)
    for sep in _LIST_SEPS:  # str.replace runs in C; str.translate with a dict is a lookup per character
        if sep in joined:
            joined = joined.replace(sep, ",")
    joined = _LIST_COMMAS.sub(", ", joined)
    return _LIST_EDGES.sub(r"\1", joined).split(_SEP)


def by_distinct_value(values: Sequence[str], column_fn: Callable[[Sequence[str]], list[str]]) -> list[str]:
    """`column_fn(values)` computed once per distinct value when values repeat (a consent, language or region
    column holds a handful), every equal cell then sharing one string object; else on the whole column.

    `column_fn` must treat each cell on its own (every columnar function here does), so the result is the same.
    """
    if len(set(values[:1000])) * 4 > min(len(values), 1000):  # a sample says they hardly repeat
        return column_fn(values)
    table = dict.fromkeys(values)
    if len(table) * 4 > len(values):
        return column_fn(values)
    distinct = list(table)
    table = dict(zip(distinct, column_fn(distinct), strict=True))
    return list(map(table.__getitem__, values))


def valid_email_column(values: Sequence[str]) -> list[bool]:
    """`is_valid_email` of each value; ASCII addresses matched by one C-level map over the column."""
    if not values:
        return []
    if _SEP.join(values).isascii() and max(map(len, values)) <= 254:  # the common case: all in C-level maps
        return list(map(_IS_NOT_NONE, map(_EMAIL.match, values)))
    return list(map(is_valid_email, values))
