"""Typed records shared by every operation."""

from __future__ import annotations

from dataclasses import dataclass, field

# Values people type for "yes" and "no" in a consent column, in English and Chinese.
_YES = frozenset({"yes", "y", "true", "1", "x", "✓", "✔", "是", "同意", "好", "可以", "订阅", "subscribed", "ok"})
_NO = frozenset({"no", "n", "false", "0", "否", "不", "不同意", "拒绝", "退订", "unsubscribed", "cleaned"})


def parse_consent(text: str) -> bool | None:
    """True / False for a recognised answer, None when blank or unrecognised."""
    value = text.strip().casefold()
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


def split_list(text: str) -> tuple[str, ...]:
    """Split 'climate, 气候、art' on English and Chinese separators; order kept, repeats dropped."""
    for sep in ("，", "、", ";", "；", "/", "\n", "|"):
        if sep in text:
            text = text.replace(sep, ",")
    seen: set[str] = set()
    out: list[str] = []
    for part in text.split(","):
        part = part.strip()
        folded = part.casefold()
        if part and folded not in seen:
            seen.add(folded)
            out.append(part)
    return tuple(out)


@dataclass(slots=True)
class Member:
    """One member as read from the sheet, normalised. `fields` holds every mapped field as text."""

    row: int
    member_id: str
    email: str
    fields: dict[str, str]
    rows: tuple[int, ...] = ()  # every sheet row merged into this member (the first is `row`)
    fields_hash: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.fields.get("name", "")

    @property
    def language(self) -> str:
        return self.fields.get("language", "")

    @property
    def region(self) -> str:
        return self.fields.get("region", "")

    @property
    def interests(self) -> tuple[str, ...]:
        return split_list(self.fields.get("interests", ""))

    @property
    def consent(self) -> bool:
        """Only an explicit yes counts: blank or unclear means we never email this member."""
        return parse_consent(self.fields.get("consent", "")) is True
