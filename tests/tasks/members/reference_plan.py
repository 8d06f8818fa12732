"""The member-sync plan as it was before it went column-wise (row by row, one Python call per cell), kept
verbatim as the reference the column-wise plan must equal (tests/tasks/members/test_plan_columns.py)."""

# ruff: noqa

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from operator import itemgetter

from connectors.tables import Cell, Grid
from tasks.common.text import (
    _LIST_COMMAS,
    _LIST_EDGES,
    _SEP,
    is_valid_email,
    normalise_column,
    normalise_email_column,
)
from tasks.members.plan import (
    Deduped,
    Layout,
    Parsed,
    Rejected,
    _digest,
    fields_hash,
    member_id_for,
)
from weaver.config import MembersConfig
from weaver.i18n import field_label, t
from weaver.models import Member, parse_consent, split_list
from tasks.common.dates import parse_date
from tasks.common.text import LANGUAGES

_COMBINING = re.compile(r"[\u0300-\u036f]")
_DATE_FIELDS = ("joined", "paid_until")
_NUMBER_FIELDS = ("fee",)
_LIST_SEPS = str.maketrans({c: "," for c in "，、;；/|\n"})


def canonical_list_column(values: Sequence[str]) -> list[str]:
    joined = _SEP.join(values).translate(_LIST_SEPS)
    joined = _LIST_COMMAS.sub(", ", joined)
    return _LIST_EDGES.sub(r"\1", joined).split(_SEP)


def parse_members(grid: Grid, layout: Layout, cfg: MembersConfig, default_language: str, lang: str) -> Parsed:
    """Turn the tab's rows into normalised members and quarantined rows (row numbers are the sheet's)."""
    members: list[Member] = []
    rejected: list[Rejected] = []
    blank: list[int] = []
    body = grid[layout.header_row :]
    names = sorted(layout.field_cols)  # sorted, so every member's fields share one key order
    width = min(map(len, body), default=0)
    columns = [_column(body, layout.field_cols[name], name, width) for name in names]
    raw_rows = list(zip(*columns, strict=True))  # before typing: a blank row is blank as typed
    problems, warnings = _type_columns(names, columns, default_language, lang, set(cfg.required))
    id_col = layout.owned_cols.get("member_id")
    ids = _column(body, id_col, "member_id", width) if id_col is not None else [""] * len(body)
    required = [(names.index(n), t("reason.missing", lang, field=field_label(n, lang))) for n in cfg.required]
    email_at = names.index("email")
    invalid_email = t("reason.invalid_email", lang)
    signature = "\x1e".join(names)
    typed_rows = zip(*columns, strict=True)
    for i, (raw, values, existing_id) in enumerate(zip(raw_rows, typed_rows, ids, strict=True)):
        row_no = layout.header_row + 1 + i
        if not any(raw):
            blank.append(row_no)
            continue
        email = values[email_at]
        problem = None
        for at, reason in required:
            if not values[at]:
                problem = reason
                break
        if problem is None and email and not is_valid_email(email):
            problem = invalid_email
        problem = problem or problems[i]
        if problem is not None:
            rejected.append(Rejected(row_no, problem, existing_id))
            continue
        fields = dict(zip(names, values, strict=True))  # sorted keys, so the digest equals fields_hash
        digest = _digest(signature, values)
        member = Member(row_no, existing_id or member_id_for(email), email, fields, (row_no,), digest)
        if warnings[i]:
            member.warnings.extend(warnings[i])
        members.append(member)
    return Parsed(members, rejected, blank, len(body))


def _type_columns(
    names: list[str], columns: list[list[str]], default_language: str, lang: str, required: set[str] = frozenset()
) -> tuple[list[str | None], list[list[str] | None]]:
    """Type-check and canonicalise typed fields column by column (values repeat, so each is checked once).

    Returns, per row, the first quarantine reason (or None) and the warnings (or None); columns are
    rewritten in place with canonical values (ISO dates, language codes). A value that cannot be read in
    an optional field (a join date that is not a date) is a warning on the row and the field is left
    empty; only a required field quarantines the member.
    """
    n = len(columns[0]) if columns else 0
    problems: list[str | None] = [None] * n
    warnings: list[list[str] | None] = [None] * n
    checks = [(f, _check_date) for f in _DATE_FIELDS] + [(f, _check_number) for f in _NUMBER_FIELDS]
    checks += [("language", _check_language), ("consent", _check_consent)]
    for name, check in checks:
        if name not in names:
            continue
        col = columns[names.index(name)]
        cache: dict[str, tuple[str, str | None, str | None]] = {}
        for i, value in enumerate(col):
            result = cache.get(value)
            if result is None:
                result = cache[value] = check(value, name, default_language, lang)
            canonical, problem, warning = result
            if problem and name not in required:
                canonical, problem, warning = "", None, t("warn.unreadable", lang, reason=problem)
            col[i] = canonical
            if problem and problems[i] is None:
                problems[i] = problem
            if warning:
                warnings[i] = [*(warnings[i] or []), warning]
    return problems, warnings


Checked = tuple[str, str | None, str | None]  # canonical value, quarantine reason, warning


def _check_date(value: str, name: str, _default: str, lang: str) -> Checked:
    if not value:
        return value, None, None
    iso = parse_date(value)
    return (iso, None, None) if iso else (value, t("reason.invalid_date", lang, field=field_label(name, lang)), None)


def _check_number(value: str, name: str, _default: str, lang: str) -> Checked:
    try:
        if value:
            float(value.replace(",", ""))
        return value, None, None
    except ValueError:
        return value, t("reason.invalid_number", lang, field=field_label(name, lang)), None


def _check_language(value: str, _name: str, default: str, lang: str) -> Checked:
    code = LANGUAGES.get(value.casefold())
    return code or default, None, (t("warn.language", lang) if value and code is None else None)


def _check_consent(value: str, _name: str, _default: str, lang: str) -> Checked:
    unclear = bool(value) and parse_consent(value) is None
    return value, None, (t("warn.consent", lang) if unclear else None)


def _column(body: Grid, col: int, name: str, width: int) -> list[str]:
    """One column's normalised text; `width` is the shortest row's length (shorter rows are padded)."""
    if not body:
        return []
    if width > col:
        values = list(map(itemgetter(col), body))
    else:
        values = [row[col] if col < len(row) else "" for row in body]
    if name == "email":
        return normalise_email_column(values)
    if name == "interests":
        return canonical_list_column(normalise_column(values))
    return normalise_column(values)


def dedupe(members: Sequence[Member], lang: str) -> Deduped:
    by_email: dict[str, Member] = {}
    merged: dict[int, int] = {}
    for member in members:
        primary = by_email.get(member.email)
        if primary is None:
            by_email[member.email] = member
        else:
            _merge_into(primary, member)
            merged[member.row] = primary.row
    unique = list(by_email.values())
    reassigned = _unique_ids(unique, lang)
    for member in unique:
        if len(member.rows) > 1 or not member.fields_hash:  # merged since parsing, or built elsewhere
            member.fields_hash = fields_hash(member.fields)
    return Deduped(unique, merged, _near_duplicates(unique, lang), reassigned)


def _merge_into(primary: Member, dup: Member) -> None:
    for name, value in dup.fields.items():
        if name == "interests":
            both = split_list(f"{primary.fields.get(name, '')},{value}")
            primary.fields[name] = ", ".join(both)
        elif name in ("consent", "directory"):  # any "no" wins, for mail and for the public directory
            answers = [parse_consent(primary.fields.get(name, "")), parse_consent(value)]
            if False in answers:
                primary.fields[name] = value if answers[1] is False else primary.fields[name]
        elif not primary.fields.get(name) and value:
            primary.fields[name] = value
    primary.rows = (*primary.rows, dup.row)
    primary.warnings.extend(dup.warnings)


def _unique_ids(members: Sequence[Member], lang: str) -> dict[int, int]:
    """A copied row can carry another member's id: the first keeps it, later ones get their own."""
    holder: dict[str, int] = {}
    reassigned: dict[int, int] = {}
    for member in members:
        if member.member_id in holder:
            reassigned[member.row] = holder[member.member_id]
            member.warnings.append(t("warn.id_reused", lang, row=holder[member.member_id]))
            member.member_id = member_id_for(member.email)
        holder.setdefault(member.member_id, member.row)
    return reassigned


def _name_key(name: str) -> str:
    """Case, width, accents, spacing and word order do not make a different name (Wei Zhang = zhang wei)."""
    folded = name.casefold()
    if not folded.isascii() and not unicodedata.is_normalized("NFKD", folded):
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    if folded.isascii():
        return " ".join(sorted(folded.split()))
    return "".join(folded.split())


def _near_duplicates(members: Sequence[Member], lang: str) -> list[tuple[int, ...]]:
    """Same name (by `_name_key`) and one more shared trait: organisation or phone.

    A name alone is not enough: common names (王伟, 张伟) recur in any large network.
    """
    groups: dict[str, list[Member]] = {}
    for member in members:
        fields = member.fields
        org, phone = fields.get("organisation"), fields.get("phone")
        if not member.name or not (org or phone):
            continue
        key = _name_key(member.name)
        if org:
            groups.setdefault(f"{key}\x00o\x00{org.casefold()}", []).append(member)
        if phone and phone != org:
            groups.setdefault(f"{key}\x00p\x00{phone}", []).append(member)
    flagged: dict[tuple[int, ...], list[Member]] = {}
    for group in groups.values():
        if len(group) > 1:
            flagged.setdefault(tuple(sorted({m.row for m in group})), group)
    for rows, group in flagged.items():
        for m in {id(m): m for m in group}.values():
            others = ", ".join(str(r) for r in rows if r != m.row)
            m.warnings.append(t("warn.near_duplicate", lang, rows=others))
    return list(flagged)


def plan_writeback(
    grid: Grid, layout: Layout, deduped: Deduped, parsed: Parsed, cfg: MembersConfig, lang: str
) -> list[Cell]:
    """Cells of our owned columns whose text differs from what we want; never a coordinator's column."""
    cols = dict(layout.owned_cols)
    cells: list[Cell] = []
    for offset, name in enumerate(layout.missing_owned):
        cols[name] = layout.next_free_col + offset
        cells.append(Cell(layout.header_row, cols[name] + 1, cfg.owned_columns[name]))
    ok = t("status.ok", lang)
    wanted: list[tuple[int, str, str]] = []  # (row, member id, sync status)
    for member in deduped.members:
        wanted.append((member.row, member.member_id, ok))
        for dup_row in member.rows[1:]:
            wanted.append((dup_row, member.member_id, t("status.duplicate", lang, row=member.row)))
    for rej in parsed.rejected:
        wanted.append((rej.row, rej.member_id, t("status.quarantined", lang, reason=rej.reason)))
    id_col, status_col = cols.get("member_id"), cols.get("sync_status")
    for row_no, member_id, status in wanted:
        raw = grid[row_no - 1]
        for col, value in ((id_col, member_id), (status_col, status)):
            if col is not None and (raw[col] if col < len(raw) else "") != value:
                cells.append(Cell(row_no, col + 1, value))
    return cells
