"""Audience filters a coordinator writes in a sheet cell or a flow parameter, in Chinese or English.

    兴趣 包含 气候                      interests contain climate
    地区 属于 华东, 华南                 region in 华东, 华南
    语言 是 中文                         language is zh
    加入日期 晚于 2024-01-01             active since 2024-01-01     joined since 90 days ago
    兴趣 包含 气候 并且 地区 属于 华东    ... and ... (also ';' or a new line)
    兴趣 包含 气候 或 兴趣 包含 教育      ... or ...
    region = 华东 | 华南; interests: 气候  the surveys tab's style is understood too
    (empty), 全部, all                   every member

A clause is `field operator value`; values are lists separated by , ， 、 or ;. `contains` matches part of a
value (兴趣 包含 气候 matches 气候行动); `in` and `is` match whole values; case and width never matter.
Parsing is pure and strict: anything not understood is an `AudienceError` whose message says what and where
(the caller adds the event and the cell). Consent is not a filter: the messaging core checks it centrally.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from tasks.common.dates import parse_date  # one table of language spellings for the whole project
from tasks.common.text import LANGUAGES
from weaver.errors import WeaverError
from weaver.i18n import t
from weaver.models import split_list

LIST_FIELDS = ("interests", "needs", "offers")
DATE_FIELDS = ("joined", "paid_until")

# our field -> the words a coordinator may write for it (English and Chinese)
FIELD_WORDS: dict[str, tuple[str, ...]] = {
    "interests": ("interests", "interest", "topics", "兴趣", "兴趣领域", "关注领域", "议题"),
    "region": ("region", "地区", "区域", "地域"),
    "language": ("language", "lang", "语言"),
    "organisation": ("organisation", "organization", "org", "机构", "组织"),
    "org_type": ("org_type", "organisation type", "organization type", "org type", "机构类型", "组织类型"),
    "joined": ("joined", "join date", "active", "加入日期", "加入时间", "入会日期", "加入"),
    "paid_until": ("paid_until", "paid until", "会费缴至"),
    "timezone": ("timezone", "time zone", "时区"),
    "needs": ("needs", "需求"),
    "offers": ("offers", "可提供", "资源"),
    "member_id": ("member_id", "member id", "member", "成员编号", "成员"),
}
OP_WORDS: dict[str, tuple[str, ...]] = {
    "not_contains": (
        "does not contain",
        "doesn't contain",
        "not contains",
        "not contain",
        "excludes",
        "不包含",
        "不含",
    ),  # fmt: skip
    "contains": ("contains", "contain", "includes", "include", "has", "包含", "包括", "含有", "含"),
    "not_in": ("not in", "not one of", "不属于", "不在"),
    "in": ("in", "one of", "属于", "在", ":"),  # ':' as the surveys tab writes it (兴趣: 气候, 教育)
    "ne": ("!=", "≠", "is not", "isn't", "不是", "不等于"),
    "eq": ("==", "=", "is", "equals", "是", "为", "等于"),
    "since": (">=", "since", "after", "from", "晚于", "之后", "以后", "以来", "起"),
    "before": ("<", "before", "until", "早于", "之前", "以前"),
}
_EVERYONE = {"", "all", "everyone", "*", "全部", "所有", "所有人", "所有成员", "全体成员"}
_OR = re.compile(r"(?:^|\s+)(?:or|或者|或)(?:\s+|$)|\s*或者\s*", re.IGNORECASE)
_AND = re.compile(r"(?:^|\s+)(?:and|并且|而且|且)(?:\s+|$)|\s*[;\n&]\s*|\s*并且\s*", re.IGNORECASE)
_DAYS_AGO = re.compile(r"^(\d+)\s*(?:days?\s+ago|天前|日前)$", re.IGNORECASE)


class AudienceError(WeaverError):
    """An audience filter that cannot be understood; the message is in the coordinator's language."""


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    values: tuple[str, ...]  # casefolded; dates as ISO; language as a code
    days_ago: int | None = None  # 'joined since 90 days ago'


@dataclass(frozen=True)
class Audience:
    """OR of AND-groups of conditions; no groups means every member."""

    text: str
    groups: tuple[tuple[Condition, ...], ...] = ()

    @property
    def everyone(self) -> bool:
        return not self.groups

    def matches(self, fields: Mapping[str, str], today: date) -> bool:
        if not self.groups:
            return True
        return any(all(_holds(c, fields, today) for c in group) for group in self.groups)


# parsing ------------------------------------------------------------------------------------------------
def parse_audience(text: str, lang: str = "en") -> Audience:
    """Parse a filter; raise AudienceError naming the clause and what is wrong with it."""
    cleaned = _fold(text)
    if cleaned.casefold() in _EVERYONE:
        return Audience(text.strip())
    groups = []
    for alternative in _OR.split(cleaned):
        clauses = [c for c in _AND.split(alternative) if c.strip()]
        if not clauses:
            raise AudienceError(t("audience.empty_part", lang))
        groups.append(tuple(_parse_clause(c.strip(), lang) for c in clauses))
    return Audience(text.strip(), tuple(groups))


def _fold(text: str) -> str:
    """NFKC (full-width letters, ：，； become ASCII) and single spaces."""
    return re.sub(r"[^\S\n]+", " ", unicodedata.normalize("NFKC", text)).strip()


@lru_cache(maxsize=1)
def _clause_pattern() -> re.Pattern[str]:
    fields = sorted({w for words in FIELD_WORDS.values() for w in words}, key=len, reverse=True)
    ops = sorted({w for words in OP_WORDS.values() for w in words}, key=len, reverse=True)
    alt = lambda words: "|".join(re.escape(w) for w in words)  # noqa: E731
    return re.compile(rf"^(?P<field>{alt(fields)})\s*(?P<op>{alt(ops)})(?=\s|$|[^a-z])\s*(?P<value>.*)$", re.I)


def _lookup(table: dict[str, tuple[str, ...]], word: str) -> str:
    folded = word.casefold()
    return next(name for name, words in table.items() if folded in (w.casefold() for w in words))


def _parse_clause(clause: str, lang: str) -> Condition:
    match = _clause_pattern().match(clause)
    if match is None:
        return _explain(clause, lang)
    field, op = _lookup(FIELD_WORDS, match["field"]), _lookup(OP_WORDS, match["op"])
    raw = match["value"].strip()
    if not raw:
        raise AudienceError(t("audience.no_value", lang, clause=clause))
    if field in DATE_FIELDS or op in ("since", "before"):
        return _date_condition(field, op, raw, clause, lang)
    values = split_list(raw)
    if op in ("eq", "ne") and len(values) > 1:
        op = "in" if op == "eq" else "not_in"  # 语言 是 中文, 英文 reads as 'in'
    if field == "language":
        values = tuple(_language(v, clause, lang) for v in values)
    return Condition(field, op, tuple(v.casefold() for v in values))


def _date_condition(field: str, op: str, raw: str, clause: str, lang: str) -> Condition:
    if field == "member_id":
        field = "joined"  # 'member since 2024-01-01'
    if field not in DATE_FIELDS or op not in ("since", "before"):
        raise AudienceError(t("audience.date_op", lang, clause=clause))
    ago = _DAYS_AGO.match(raw)
    if ago:
        return Condition(field, op, (), int(ago[1]))
    iso = parse_date(raw)
    if iso is None:
        raise AudienceError(t("audience.bad_date", lang, value=raw))
    return Condition(field, op, (iso,))


def _language(value: str, clause: str, lang: str) -> str:
    code = LANGUAGES.get(value.casefold())
    if code is None:
        raise AudienceError(t("audience.bad_language", lang, value=value))
    return code


def _explain(clause: str, lang: str) -> Condition:
    """Say which part is missing: an unknown field, or a known field without a known operator."""
    fields = sorted({w for words in FIELD_WORDS.values() for w in words}, key=len, reverse=True)
    known_field = next((w for w in fields if clause.casefold().startswith(w.casefold())), None)
    if known_field is None:
        first = clause.split(" ")[0]
        names = ", ".join(words[0] if lang == "en" else words[_zh_index(words)] for words in FIELD_WORDS.values())
        raise AudienceError(t("audience.unknown_field", lang, field=first, known=names))
    ops = "包含, 属于, 是, 晚于, 早于" if lang == "zh" else "contains, in, is, since, before"
    raise AudienceError(t("audience.no_operator", lang, clause=clause, ops=ops))


def _zh_index(words: tuple[str, ...]) -> int:
    return next((i for i, w in enumerate(words) if not w.isascii()), 0)


# evaluating ---------------------------------------------------------------------------------------------
def _holds(cond: Condition, fields: Mapping[str, str], today: date) -> bool:
    raw = fields.get(cond.field, "") or ""
    if cond.field in DATE_FIELDS:
        return _date_holds(cond, raw, today)
    items = [i.casefold() for i in split_list(raw)] if cond.field in LIST_FIELDS else [_fold(raw).casefold()]
    items = [i for i in items if i]
    if cond.op in ("contains", "not_contains"):
        found = any(v in item for v in cond.values for item in items)
        return found if cond.op == "contains" else not found
    found = any(item in cond.values for item in items)
    return found if cond.op in ("in", "eq") else not found


def _date_holds(cond: Condition, raw: str, today: date) -> bool:
    value = parse_date(raw) if raw else None
    if value is None:
        return False
    bound = (today - timedelta(days=cond.days_ago)).isoformat() if cond.days_ago is not None else cond.values[0]
    return value >= bound if cond.op == "since" else value < bound
