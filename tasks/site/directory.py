"""The public member directory, pure: only members who said yes, only the fields they allowed.

The members tab's directory column (mapped as `directory` in `[members.columns]`, e.g. 公开名录) decides:

* blank, "no" / 否, or anything we cannot read: the member is not listed (unclear never means yes);
* "yes" / 是: listed with `[site] directory_fields` (by default name, organisation and region);
* a list of fields, in Chinese or English ("姓名, 地区, 兴趣" or "name, interests"): listed with exactly those.
  A list without the name is not listed (an entry is a named member). Fields outside `DIRECTORY_FIELDS`
  (email, phone, fees ...) are never shown, even when a member lists them.
* Only active members (as member-sync last saw them) appear; a duplicate row saying no wins (member-sync).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tasks.common.text import normalise_header
from weaver.config import DIRECTORY_FIELDS
from weaver.models import parse_consent, split_list

_ALIASES = {
    "name": ("name", "姓名", "名字", "名称"),
    "organisation": ("organisation", "organization", "org", "机构", "单位", "组织"),
    "org_type": ("org type", "org_type", "organisation type", "organization type", "机构类型"),
    "region": ("region", "地区", "地域", "所在地"),
    "interests": ("interests", "interest", "兴趣", "关注领域"),
    "offers": ("offers", "can offer", "能提供", "可提供"),
    "needs": ("needs", "looking for", "需要", "需求"),
}
_FIELD_OF = {normalise_header(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


@dataclass(frozen=True)
class Entry:
    name: str
    fields: tuple[tuple[str, str], ...]  # (field, value) in DIRECTORY_FIELDS order, name excluded, blanks dropped


@dataclass
class Directory:
    entries: list[Entry] = field(default_factory=list)
    declined: int = 0  # said no, left it blank, or wrote something unclear
    unnamed: int = 0  # listed fields without the name


def allowed_fields(cell: str, default: Sequence[str]) -> tuple[str, ...]:
    """The fields a member allows to be shown; () means not listed."""
    answer = parse_consent(cell)
    if answer is True:
        return tuple(default)
    if answer is False or not cell.strip():
        return ()
    wanted = {_FIELD_OF.get(normalise_header(part)) for part in split_list(cell)}
    return tuple(name for name in DIRECTORY_FIELDS if name in wanted)


def build_directory(members: Sequence[Mapping[str, str]], default: Sequence[str]) -> Directory:
    """Each member's fields (as member-sync stored them) -> the public entries, sorted by name."""
    out = Directory()
    for fields in members:
        allowed = allowed_fields(fields.get("directory", ""), default)
        if not allowed:
            out.declined += 1
        elif "name" not in allowed or not fields.get("name", "").strip():
            out.unnamed += 1
        else:
            shown = tuple((f, fields[f]) for f in allowed if f != "name" and fields.get(f, "").strip())
            out.entries.append(Entry(fields["name"].strip(), shown))
    out.entries.sort(key=lambda e: (e.name.casefold(), e.fields))
    return out
