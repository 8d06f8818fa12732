"""Member sync, pure logic: parse -> normalise -> validate -> dedupe -> diff -> plan write-back.

No I/O here; `flows/member_sync.py` wraps these in tasks. Rules a coordinator can rely on:

* Normalisation: Unicode NFKC (full-width `ＡＮＡ＠ＸＹＺ．ＯＲＧ` becomes `ANA@XYZ.ORG`), trimmed, inner
  whitespace collapsed; emails lowercased (and the Chinese full stop `。` read as `.`); CJK text kept intact.
* Every non-blank row ends in exactly one place: a member, merged into a member, or quarantined with its
  row number and reason. Nothing is dropped.
* Dedupe: rows with the same normalised email are one member. The first row is the primary; each field
  takes the primary's value, or the first non-empty value below it; interests are the union; consent is
  the most cautious answer (any "no" wins). Near-duplicate names with different emails are only flagged.
* Identity: the owned `member_id` column, once written, is the member's identity (an email can change).
  A new member gets `m-` + a hash of the email, so a crash before write-back gives the same id next time.
"""

from __future__ import annotations

import gc
import hashlib
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, compress, repeat
from operator import and_, attrgetter, itemgetter, methodcaller, ne, not_, or_

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.prefect_task import task
from tasks.common.text import (
    LANGUAGES,
    by_distinct_value,
    canonical_list_column,
    normalise_column,
    normalise_email_column,
    valid_email_column,
)
from tasks.members.self_service import EditOutcome, MemberEdits, plan_edits
from weaver.config import MembersConfig, WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import field_label, t
from weaver.ledger import Action, ProgressFn
from weaver.models import Member, parse_consent, split_list
from weaver.progress import StepProgress

_COMBINING = re.compile(r"[\u0300-\u036f]")  # accents, after NFKD (García -> garcia)
_SEP = "\x00"  # joins a column into one string (not whitespace; no normalisation crosses it)
_DATE_FIELDS = ("joined", "paid_until")
_NUMBER_FIELDS = ("fee",)


def member_id_for(email: str) -> str:
    return "m-" + hashlib.sha1(email.encode()).hexdigest()[:12]


def fields_hash(fields: Mapping[str, str]) -> str:
    """A digest of the synced fields, independent of the order the config maps them in."""
    keys = sorted(fields)
    return _digest("\x1e".join(keys), [fields[k] for k in keys])


def _digest(signature: str, values: Sequence[str]) -> str:
    text = signature + "\x1d" + "\x1f".join(values)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layout:
    """Where each mapped field and owned column sits in the tab (0-based column indexes)."""

    header_row: int
    field_cols: dict[str, int]
    owned_cols: dict[str, int]  # existing owned columns
    missing_owned: tuple[str, ...]  # owned columns to create at the right
    next_free_col: int  # 0-based index where a missing owned column is created


def locate_columns(header: Sequence[str], cfg: MembersConfig, tab: str, source: str) -> Layout:
    """Match the configured headers to the sheet's (trailing spaces and width ignored)."""
    columns = Columns(header, tab, source)
    field_cols = {
        name: columns.require(wanted, f"mapped from [members.columns] {name}") for name, wanted in cfg.columns.items()
    }
    owned = {k: columns.find(v) for k, v in cfg.owned_columns.items()}
    owned_cols = {k: col for k, col in owned.items() if col is not None}
    missing = tuple(k for k in cfg.owned_columns if k not in owned_cols)
    return Layout(cfg.header_row, field_cols, owned_cols, missing, columns.next_free())


@dataclass(frozen=True)
class Rejected:
    row: int
    reason: str  # readable, in the network's language; names the field, never the value
    member_id: str = ""  # an id already on the row, so a known member is kept rather than "gone"


@dataclass
class Parsed:
    members: list[Member]
    rejected: list[Rejected]
    blank_rows: list[int]
    rows_read: int


def parse_members(
    grid: Grid,
    layout: Layout,
    cfg: MembersConfig,
    default_language: str,
    lang: str,
    columns_done: Callable[[], None] | None = None,
) -> Parsed:
    """Turn the tab's rows into normalised members and quarantined rows (row numbers are the sheet's).

    Column-wise: each check runs over a whole column (C-level maps, one call per distinct value where values
    repeat); only building each member's record is per row.
    """
    body = grid[layout.header_row :]
    n = len(body)
    names = sorted(layout.field_cols)  # sorted, so every member's fields share one key order
    width = min(map(len, body), default=0)
    if body and width == max(map(len, body)):  # every row as wide: one transposition gives every column
        transposed = list(zip(*body, strict=True))
        columns = [_column(body, layout.field_cols[name], name, width, transposed) for name in names]
        del transposed
    else:
        columns = [_column(body, layout.field_cols[name], name, width) for name in names]
    if columns_done is not None:
        columns_done()
    nonblank = list(map(any, zip(*columns, strict=True))) if columns else [False] * n  # blank as typed
    problems, warnings = _type_columns(names, columns, default_language, lang, set(cfg.required))
    id_col = layout.owned_cols.get("member_id")
    ids = _column(body, id_col, "member_id", width) if id_col is not None else [""] * n
    emails = columns[names.index("email")]
    # The first reason wins: a missing required field (in the configured order), an invalid email, a typed field
    reasons = problems
    invalid_email = t("reason.invalid_email", lang)
    for i in compress(range(n), map(not_, valid_email_column(emails))):
        if emails[i]:
            reasons[i] = invalid_email
    for name in reversed(cfg.required):
        reason = t("reason.missing", lang, field=field_label(name, lang))
        for i in compress(range(n), map(not_, columns[names.index(name)])):
            reasons[i] = reason
    first = layout.header_row + 1  # the sheet's row number of body[0]
    blank = [first + i for i in compress(range(n), map(not_, nonblank))]
    rejected = [Rejected(first + i, reasons[i], ids[i]) for i in compress(range(n), nonblank) if reasons[i] is not None]
    good = [i for i in compress(range(n), nonblank) if reasons[i] is None]
    if len(good) == n:
        kept, row_nos, good_ids = columns, range(first, first + n), ids
    else:
        pick = itemgetter(*good) if len(good) > 1 else (lambda seq: tuple(seq[i] for i in good))
        kept = [pick(c) for c in columns] if good else [[] for _c in columns]
        row_nos, good_ids = [first + i for i in good], (list(pick(ids)) if good else [])
    good_emails = emails if len(good) == n else (list(pick(emails)) if good else [])
    # rows are zipped from the columns twice rather than kept: 100,000 row tuples would be ~20 MB more at the peak
    fields = _field_dicts(names, zip(*kept, strict=True))  # sorted keys, so the digest equals fields_hash
    digests = _digests("\x1e".join(names), zip(*kept, strict=True))
    members = list(map(Member, row_nos, _member_ids(good_ids, good_emails), good_emails, fields, zip(row_nos), digests))
    if any(warnings):
        at = {row: k for k, row in enumerate(row_nos)} if len(good) != n else None
        for i in compress(range(n), warnings):
            k = i if at is None else at.get(first + i)
            if k is not None:
                members[k].warnings.extend(warnings[i])
    return Parsed(members, rejected, blank, n)


def _field_dicts(names: Sequence[str], rows: Iterable[Sequence[str]]) -> list[dict[str, str]]:
    """`dict(zip(names, row))` for every row, as dicts that share one table of keys (an instance `__dict__`
    of a class made for these names): plain dicts in every way, at about half the memory of separate ones
    (100,000 members: ~24 MB instead of ~47 MB)."""
    holder = _FIELDS_HOLDERS.get(tuple(names))
    if holder is None:
        holder = _FIELDS_HOLDERS[tuple(names)] = type("MemberFields", (), {"__module__": __name__})
    out: list[dict[str, str]] = []
    append = out.append
    for row in rows:
        fields = holder().__dict__
        fields.update(zip(names, row, strict=True))
        append(fields)
    return out


_FIELDS_HOLDERS: dict[tuple[str, ...], type] = {}  # one class per mapping of fields: its instances share keys


def _member_ids(ids: Sequence[str], emails: Sequence[str]) -> list[str]:
    """The id already on each row, else `member_id_for(email)` (hashed in C, for the rows that need one)."""
    if all(ids):
        return list(ids)
    needed = list(compress(range(len(ids)), map(not_, ids)))
    hexed = map(methodcaller("hexdigest"), map(hashlib.sha1, map(str.encode, map(emails.__getitem__, needed))))
    new = map("m-".__add__, map(itemgetter(slice(12)), hexed))
    if len(needed) == len(ids):
        return list(new)
    out = list(ids)
    for i, member_id in zip(needed, new, strict=True):
        out[i] = member_id
    return out


def _digests(signature: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """`_digest(signature, row)` for every row (the same text hashed, in C-level maps)."""
    texts = map((signature + "\x1d").__add__, map("\x1f".join, rows))
    hashed = map(partial(hashlib.blake2b, digest_size=16), map(str.encode, texts))
    return list(map(methodcaller("hexdigest"), hashed))


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
        results: dict[str, Checked] = {}
        for value in dict.fromkeys(col):  # each distinct value checked once
            canonical, problem, warning = check(value, name, default_language, lang)
            if problem and name not in required:
                canonical, problem, warning = "", None, t("warn.unreadable", lang, reason=problem)
            results[value] = (canonical, problem, warning)
        flagged = {value for value, (_c, problem, warning) in results.items() if problem or warning}
        if flagged:
            for i in compress(range(n), map(flagged.__contains__, col)):
                _canonical, problem, warning = results[col[i]]
                if problem and problems[i] is None:
                    problems[i] = problem
                if warning:
                    warnings[i] = [*(warnings[i] or []), warning]
        if any(value != result[0] for value, result in results.items()):
            col[:] = map(itemgetter(0), map(results.__getitem__, col))
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


def _column(
    body: Grid, col: int, name: str, width: int, transposed: Sequence[Sequence[str]] | None = None
) -> list[str]:
    """One column's normalised text; `width` is the shortest row's length (shorter rows are padded)."""
    if not body:
        return []
    values: Sequence[str]
    if transposed is not None and col < len(transposed):
        values = transposed[col]
    elif width > col:
        values = list(map(itemgetter(col), body))
    else:
        values = [row[col] if col < len(row) else "" for row in body]
    if name == "email":
        return normalise_email_column(values)
    if name == "interests":
        return by_distinct_value(values, _interests_column)
    return by_distinct_value(values, normalise_column)


def _interests_column(values: Sequence[str]) -> list[str]:
    return canonical_list_column(normalise_column(values))


# ------------------------------------------------------------------------------------------------------
@dataclass
class Deduped:
    members: list[Member]
    merged: dict[int, int]  # duplicate row -> primary row
    near_duplicates: list[tuple[int, ...]]  # rows whose names look alike, emails differ
    id_reassigned: dict[int, int]  # row whose sheet id was already taken -> row that holds it


def dedupe(members: Sequence[Member], lang: str) -> Deduped:
    by_email: dict[str, Member] = {}
    primaries = map(by_email.setdefault, map(attrgetter("email"), members), members)  # the first row is kept
    merged: dict[int, int] = {}
    for member, primary in zip(members, primaries, strict=True):
        if primary is not member:
            _merge_into(primary, member)
            merged[member.row] = primary.row
    unique = list(by_email.values())
    reassigned = _unique_ids(unique, lang)
    # merged since parsing, or built elsewhere
    multi = map((1).__lt__, map(len, map(attrgetter("rows"), unique)))
    for member in compress(unique, map(or_, multi, map(not_, map(attrgetter("fields_hash"), unique)))):
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
    if len(set(map(attrgetter("member_id"), members))) == len(members):
        return {}  # the common case, checked in one C-level pass
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


def _name_keys(names: Sequence[str]) -> list[str]:
    """`_name_key` of each name: ASCII names in C-level maps over the column, the others one by one."""
    if not names:
        return []
    folded = _SEP.join(names).casefold().split(_SEP)  # casefold maps each character on its own
    keys = list(map(" ".join, map(sorted, map(str.split, folded))))
    other = list(compress(range(len(folded)), map(not_, map(str.isascii, folded))))
    if not other:
        return keys
    others = list(map(folded.__getitem__, other))
    if unicodedata.is_normalized("NFKD", _SEP.join(others)):  # so is each name (NUL is a starter): no accents
        keys_of_others = map("".join, map(str.split, others))
    else:
        keys_of_others = map(_name_key, map(names.__getitem__, other))
    for i, key in zip(other, keys_of_others, strict=True):
        keys[i] = key
    return keys


def _near_duplicates(members: Sequence[Member], lang: str) -> list[tuple[int, ...]]:
    """Same name (by `_name_key`) and one more shared trait: organisation or phone.

    A name alone is not enough: common names (王伟, 张伟) recur in any large network.
    """
    fields = list(map(attrgetter("fields"), members))
    names = list(map(methodcaller("get", "name", ""), fields))
    orgs = map(bool, map(methodcaller("get", "organisation"), fields))
    phones = map(bool, map(methodcaller("get", "phone"), fields))
    candidates = list(compress(range(len(members)), map(and_, map(bool, names), map(or_, orgs, phones))))
    keys = _name_keys([names[i] for i in candidates])
    repeated = {key for key, count in Counter(keys).items() if count > 1}  # only these can form a group
    groups: dict[str, list[Member]] = {}
    for i, key in zip(candidates, keys, strict=True):
        if key not in repeated:
            continue
        member = members[i]
        org, phone = fields[i].get("organisation"), fields[i].get("phone")
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


# ------------------------------------------------------------------------------------------------------
@dataclass
class MemberDiff:
    added: list[Member] = field(default_factory=list)
    changed: list[Member] = field(default_factory=list)
    unchanged: list[Member] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # member ids


def diff_members(members: Sequence[Member], snapshot: Mapping[str, tuple[str, str]], kept_ids: set[str]) -> MemberDiff:
    """Compare with the state database. `kept_ids`: ids on quarantined rows, never reported gone."""
    result = MemberDiff()
    ids = list(map(attrgetter("member_id"), members))
    if not snapshot:  # a first sync: everyone is new
        result.added = list(members)
        return result
    for member, known in zip(members, map(snapshot.get, ids), strict=True):
        if known is None or known[1] != "active":
            result.added.append(member)
        elif known[0] != member.fields_hash:
            result.changed.append(member)
        else:
            result.unchanged.append(member)
    missing = snapshot.keys() - set(ids) - kept_ids  # set operations in C; then in the snapshot's order
    if missing:
        result.gone = [i for i in snapshot if i in missing and snapshot[i][1] == "active"]
    return result


def plan_writeback(
    grid: Grid, layout: Layout, deduped: Deduped, parsed: Parsed, cfg: MembersConfig, lang: str
) -> list[Cell]:
    """Cells of our owned columns whose text differs from what we want; never a coordinator's column."""
    cols = dict(layout.owned_cols)
    cells: list[Cell] = []
    for offset, name in enumerate(layout.missing_owned):
        cols[name] = layout.next_free_col + offset
        cells.append(Cell(layout.header_row, cols[name] + 1, cfg.owned_columns[name]))
    members = deduped.members
    rows: list[int] = list(map(attrgetter("row"), members))  # wanted: (row, member id, sync status)
    ids: list[str] = list(map(attrgetter("member_id"), members))
    statuses: list[str] = [t("status.ok", lang)] * len(members)
    merged = list(compress(range(len(members)), map((1).__lt__, map(len, map(attrgetter("rows"), members)))))
    if merged:  # each duplicate row right after its primary's
        base = rows, ids, statuses
        rows, ids, statuses = [], [], []
        start = 0
        for k in merged:
            member = members[k]
            for out, values in zip((rows, ids, statuses), base, strict=True):
                out += values[start : k + 1]
            rows += member.rows[1:]
            ids += [member.member_id] * (len(member.rows) - 1)
            statuses += [t("status.duplicate", lang, row=member.row)] * (len(member.rows) - 1)
            start = k + 1
        for out, values in zip((rows, ids, statuses), base, strict=True):
            out += values[start:]
    rows.extend(rej.row for rej in parsed.rejected)
    ids.extend(rej.member_id for rej in parsed.rejected)
    statuses.extend(t("status.quarantined", lang, reason=rej.reason) for rej in parsed.rejected)
    targets = [(col, values) for col, values in ((cols.get("member_id"), ids), (cols.get("sync_status"), statuses))
               if col is not None]  # fmt: skip
    differs = [list(map(ne, map(_raw_column(grid, col).__getitem__, map((-1).__add__, rows)), values))
               for col, values in targets]  # fmt: skip
    make = partial(tuple.__new__, Cell)
    if all(map(all, differs)):  # a first run: every owned cell is new, in row order, column by column
        row_nos = chain.from_iterable(zip(*([rows] * len(targets)), strict=True))
        col_nos = chain.from_iterable(repeat(tuple(col + 1 for col, _v in targets), len(rows)))
        texts = chain.from_iterable(zip(*(values for _c, values in targets), strict=True))
        cells.extend(map(make, zip(row_nos, col_nos, texts, strict=True)))
        return cells
    for k in compress(range(len(rows)), map(any, zip(*differs, strict=True))) if differs else ():
        for (col, values), differ in zip(targets, differs, strict=True):
            if differ[k]:
                cells.append(Cell(rows[k], col + 1, values[k]))
    return cells


def _raw_column(grid: Grid, col: int) -> list[str]:
    """One column of the grid as typed ("" where a row is too short)."""
    width = min(map(len, grid), default=0)
    if width > col:
        return list(map(itemgetter(col), grid))
    if col >= max(map(len, grid), default=0):  # a column we are about to create
        return [""] * len(grid)
    return [row[col] if col < len(row) else "" for row in grid]


# ------------------------------------------------------------------------------------------------------
@dataclass
class SyncPlan:
    tab: str
    parsed: Parsed
    deduped: Deduped
    diff: MemberDiff
    cells: list[Cell]
    edits: list[EditOutcome] = field(default_factory=list)  # members' own changes, settled (self_service)
    # The plan itself is idempotent (it only lists cells that differ from the sheet), so the write is keyed
    # per plan: a key made from the cells alone would skip a rewrite after a coordinator undid our write.
    plan_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @property
    def writeback(self) -> list[Action]:
        """The write-back as one idempotent ledger action: this plan's cells, written once."""
        if not self.cells:
            return []
        summary = f"write {len(self.cells)} cells of owned columns in {self.tab}"
        return [Action(f"sheet-write:{self.tab}:{self.plan_id}", "sheet-write", summary, idempotent=True)]


def plan_member_sync(
    grid: Grid,
    config: WeaverConfig,
    snapshot: Mapping[str, tuple[str, str]],
    source: str,
    edits: MemberEdits | None = None,
    progress: ProgressFn | None = None,
) -> SyncPlan:
    """The whole plan phase, pure: what a dry run shows and what apply performs. `edits`: members' own
    changes from their "my details" page (tasks/members/self_service.py), written as a coordinator would.
    `progress(rows, total rows)`: how far the plan's passes over the rows have got (increasing, ends at total)."""
    with _gc_paused():
        return _plan(
            grid, config, snapshot, source, edits, _Passes(progress, max(len(grid) - config.members.header_row, 0))
        )


class _Passes:
    """The plan's progress, in rows: each pass over the whole tab moves it on by its share of the work."""

    def __init__(self, progress: ProgressFn | None, rows: int) -> None:
        self.progress, self.rows, self.done = progress, rows, 0.0
        self.step(0.0)

    def step(self, share: float) -> None:
        if self.progress is not None:
            self.done = min(1.0, self.done + share)
            self.progress(round(self.rows * self.done), self.rows)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The plan allocates a few objects per row and frees none: cyclic GC passes over the growing heap
    would cost more than the plan itself at 100,000 rows. Nothing here creates reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan(grid: Grid, config: WeaverConfig, snapshot: Mapping[str, tuple[str, str]], source: str,
          edits: MemberEdits | None, passes: _Passes) -> SyncPlan:  # fmt: skip
    cfg, lang = config.members, config.network.default_language
    if len(grid) < cfg.header_row:
        raise SourceError(f"{source}: tab {cfg.tab!r} has no header row {cfg.header_row}")
    layout = locate_columns(grid[cfg.header_row - 1], cfg, cfg.tab, source)
    parsed = parse_members(grid, layout, cfg, config.network.default_language, lang, partial(passes.step, 0.3))
    passes.step(0.3)  # shares of the plan's CPU time at 100,000 rows (benchmarks/member_sync.py)
    deduped = dedupe(parsed.members, lang)
    passes.step(0.2)
    edit_cells, settled = [], []
    if edits is not None and (edits.pending or edits.applied):
        edit_cells, settled = plan_edits(edits.pending, edits.applied, deduped.members, layout.field_cols,
                                         edits.synced, cfg.self_service)  # fmt: skip
        for member in deduped.members:
            if member.member_id in edits.synced or any(e.member_id == member.member_id for e in settled):
                member.fields_hash = fields_hash(member.fields)  # the state records what the sheet will hold
    kept = {r.member_id for r in parsed.rejected if r.member_id}
    diff = diff_members(deduped.members, snapshot, kept)
    passes.step(0.1)
    cells = plan_writeback(grid, layout, deduped, parsed, cfg, lang) + edit_cells
    passes.step(1.0)  # the rest: all rows planned
    return SyncPlan(cfg.tab, parsed, deduped, diff, cells, settled)


def plan_member_sync_reporting(
    grid: Grid,
    config: WeaverConfig,
    snapshot: Mapping[str, tuple[str, str]],
    source: str,
    edits: MemberEdits | None = None,
) -> SyncPlan:
    """`plan_member_sync` showing its progress in the run: a log line every 2 s and a progress bar."""
    return plan_member_sync(grid, config, snapshot, source, edits, StepProgress("member-sync: planning"))


# Thin Prefect wrapper: one task over the whole batch (never one task per member).
plan_member_sync_task = task(name="plan-member-sync", cache_policy=NO_CACHE)(plan_member_sync_reporting)
