"""Grant pipeline, pure logic: read the opportunities tab, merge imports, compute owned columns and totals.

No I/O here; `tasks/grants/plan.py` composes these into the plan. Rules a coordinator relies on:

* One row per opportunity. Its identity is the source and source id (`grants.gov:356789`) when it has them,
  else its funder and title normalised (case, width, spaces and punctuation ignored). Two rows with the same
  identity are flagged and counted once.
* Imports (Grants.gov, RSS) are deduplicated on source id and on normalised funder + title, against the
  sheet and within the import. A row we imported that a coordinator deleted is never imported again.
* Never overwrite a cell a coordinator edited: we remember what we last wrote into each imported cell; a
  cell that no longer holds it is the coordinator's. Cells we never wrote are the coordinator's too.
* We only ever write: new rows (appended below the last row), imported cells nobody edited, and our own
  computed columns (days to deadline, stage since, stale, overdue, weighted value), all in one batch.
* Money is kept per currency; see `tasks/common/money.py`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from connectors.tables import Cell, Grid, cell_name
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.money import (
    FeeIncome,
    Totals,
    add,
    cell_number,
    parse_amount,
    parse_currency,
    parse_probability,
    quarter,
)
from tasks.common.text import is_valid_email, normalise_email, normalise_text
from weaver.config import GRANT_OWNED_FIELDS, OPPORTUNITY_FIELDS, GrantsConfig
from weaver.i18n import t
from weaver.ledger import Action
from weaver.models import split_list

OPEN_STAGES = ("research", "qualifying", "writing")  # still applying: deadlines and reminders matter
LIVE_STAGES = (*OPEN_STAGES, "submitted")  # counted in the weighted pipeline
REFRESHABLE = ("funder", "title", "deadline", "link")  # what a source may update later, if nobody edited it
_STAGE_WORDS = {
    "research": ("research", "researching", "prospect", "lead", "idea", "调研", "研究", "调研中", "线索", "待研究"),
    "qualifying": ("qualifying", "qualify", "qualification", "screening", "资格评估", "评估", "评估中", "筛选"),
    "writing": ("writing", "drafting", "in progress", "撰写", "撰写中", "写作中", "申请书撰写"),
    "submitted": ("submitted", "under review", "pending decision", "已提交", "已递交", "评审中", "审核中"),
    "awarded": ("awarded", "won", "funded", "granted", "已获批", "获批", "已获资助", "已资助"),
    "declined": ("declined", "rejected", "lost", "unsuccessful", "withdrawn", "未获批", "被拒", "落选", "放弃"),
}  # fmt: skip
_STAGES = {word: stage for stage, words in _STAGE_WORDS.items() for word in words}
_PUNCT = re.compile(r"[\W_]+")


def parse_stage(text: str) -> str | None:
    return _STAGES.get(normalise_text(text).casefold())


def match_key(funder: str, title: str) -> str:
    """Funder + title with case, width, spaces and punctuation ignored ('Ford Fdn.' ≠ 'Ford Foundation')."""

    def fold(text: str) -> str:
        return _PUNCT.sub("", unicodedata.normalize("NFKC", text).casefold())

    return f"{fold(funder)}|{fold(title)}"


def source_key(source: str, source_id: str) -> str:
    source, source_id = normalise_text(source).casefold(), normalise_text(source_id)
    return f"{source}:{source_id}" if source and source_id else ""


def opp_id_for(identity: str) -> str:
    return "o-" + hashlib.blake2b(identity.encode(), digest_size=6).hexdigest()


# reading the tab ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineLayout:
    header_row: int
    cols: dict[str, int]  # every opportunity field and owned column -> 0-based column
    created: tuple[tuple[int, str], ...]  # (0-based column, header) of columns we add at the right


def locate_pipeline(header: Sequence[str], cfg: GrantsConfig, tab: str, source: str) -> PipelineLayout:
    """Find each configured header; funder and title must exist, any other column is created if missing."""
    columns = Columns(header, tab, source)
    wanted = {f: cfg.column(f) for f in OPPORTUNITY_FIELDS} | {f: cfg.owned_column(f) for f in GRANT_OWNED_FIELDS}
    for name in ("funder", "title"):
        columns.require(wanted[name], f"[grants.columns] {name}")
    cols: dict[str, int] = {}
    created: list[tuple[int, str]] = []
    next_col = columns.next_free()
    for name, text in wanted.items():
        col = columns.find(text)
        if col is None:
            col, next_col = next_col, next_col + 1
            created.append((col, text))
        cols[name] = col
    return PipelineLayout(cfg.header_row, cols, tuple(created))


@dataclass
class Opportunity:
    """One row of the pipeline tab (or one appended by this run), as text and as typed values."""

    row: int
    cells: dict[str, str]  # every field and owned column -> the cell's text now (after this run's writes)
    new: bool = False
    duplicate_of: int | None = None
    stage: str | None = None
    amount: Decimal | None = None
    currency: str | None = None
    probability: Decimal | None = None  # effective: the cell, else the stage's default
    deadline: date | None = None
    next_action_date: date | None = None
    owners: tuple[str, ...] = ()
    problems: list[tuple[str, str]] = field(default_factory=list)  # (field, readable problem)

    @property
    def source_key(self) -> str:
        return source_key(self.cells["source"], self.cells["source_id"])

    @property
    def match_key(self) -> str:
        return match_key(self.cells["funder"], self.cells["title"])

    @property
    def opp_id(self) -> str:
        return opp_id_for(self.source_key or self.match_key)

    @property
    def weighted(self) -> Decimal | None:
        if self.amount is None or self.probability is None or not self.currency:
            return None
        return self.amount * self.probability


def read_rows(grid: Grid, layout: PipelineLayout) -> tuple[list[Opportunity], int]:
    """Non-blank rows as opportunities (sheet row numbers) and the last used row number."""
    rows: list[Opportunity] = []
    last = layout.header_row
    inputs = [(f, layout.cols[f]) for f in OPPORTUNITY_FIELDS]
    owned = [(f, layout.cols[f]) for f in GRANT_OWNED_FIELDS]
    for offset, raw in enumerate(grid[layout.header_row :]):
        row_no = layout.header_row + offset + 1
        width = len(raw)
        cells = {f: normalise_text(raw[c]) if c < width and raw[c] else "" for f, c in inputs}
        if not any(cells.values()):
            continue
        cells.update({f: raw[c] if c < width and raw[c] else "" for f, c in owned})  # compared verbatim
        rows.append(Opportunity(row_no, cells))
        last = row_no
    return rows, last


def flag_duplicates(opps: Sequence[Opportunity]) -> None:
    """The second row of one opportunity (same source id, or same funder + title) is counted once."""
    first: dict[str, int] = {}
    for opp in opps:
        keys = [k for k in (opp.source_key, "m:" + opp.match_key) if k and k != "m:|"]
        seen = next((first[k] for k in keys if k in first), None)
        if seen is not None:
            opp.duplicate_of = seen
        for key in keys:
            first.setdefault(key, opp.row)


# imports --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Candidate:
    """An opportunity an import source found, as the cells it would fill."""

    source: str  # "grants.gov" | "rss:<feed name>"
    source_id: str
    funder: str
    title: str
    deadline: str = ""  # ISO
    amount: str = ""
    currency: str = ""
    link: str = ""

    @property
    def source_key(self) -> str:
        return source_key(self.source, self.source_id)

    @property
    def match_key(self) -> str:
        return match_key(self.funder, self.title)

    def value(self, name: str) -> str:
        return normalise_text(str(getattr(self, name, "")))


@dataclass
class ImportPlan:
    new: list[Candidate] = field(default_factory=list)
    refresh: list[tuple[Opportunity, Candidate]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count (in the sheet, removed ...)


def select_imports(
    opps: Sequence[Opportunity], candidates: Sequence[Candidate], written: Mapping[str, Mapping[str, str]], limit: int
) -> ImportPlan:
    """Which candidates are new, which refresh a row we imported, and why the others are skipped."""
    by_source = {o.source_key: o for o in opps if o.source_key and o.duplicate_of is None}
    by_match = {o.match_key for o in opps}
    plan = ImportPlan()
    seen: set[str] = set()

    def skip(reason: str) -> None:
        plan.skipped[reason] = plan.skipped.get(reason, 0) + 1

    for cand in candidates:
        keys = {cand.source_key, "m:" + cand.match_key}
        if keys & seen:
            skip("duplicate")
            continue
        seen |= keys
        row = by_source.get(cand.source_key)
        if row is not None:
            plan.refresh.append((row, cand))
            skip("known")
        elif cand.match_key in by_match:
            skip("known")
        elif cand.source_key in written:
            skip("removed")
        elif len(plan.new) >= limit:
            skip("waiting")
        else:
            plan.new.append(cand)
    return plan


@dataclass
class Writes:
    """Everything this run writes into the tab, and what to remember about it afterwards."""

    cells: list[Cell] = field(default_factory=list)
    remembered: list[tuple[str, str, str]] = field(default_factory=list)  # (source key, field, value)
    refreshed: list[Cell] = field(default_factory=list)
    kept_edits: list[tuple[int, str]] = field(default_factory=list)  # (row, field) a refresh left alone


def plan_refresh(
    imports: ImportPlan, written: Mapping[str, Mapping[str, str]], layout: PipelineLayout, writes: Writes
) -> None:
    """Update imported cells the source changed, unless a coordinator edited them since we wrote them."""
    for opp, cand in imports.refresh:
        ours = written.get(cand.source_key)
        for name in REFRESHABLE:
            new, current = cand.value(name), opp.cells[name]
            if not new:
                continue
            if ours is None:  # written before a crash could record it: adopt the cells that still match
                if new == current:
                    writes.remembered.append((cand.source_key, name, new))
                continue
            last = ours.get(name)
            if last is None or new == current:
                continue
            if current != last:
                writes.kept_edits.append((opp.row, name))
                continue
            writes.cells.append(Cell(opp.row, layout.cols[name] + 1, new))
            writes.refreshed.append(writes.cells[-1])
            writes.remembered.append((cand.source_key, name, new))
            opp.cells[name] = new


def plan_new_rows(
    imports: ImportPlan, last_row: int, layout: PipelineLayout, cfg: GrantsConfig, lang: str, writes: Writes
) -> list[Opportunity]:
    """Append each new candidate below the last row; its cells are remembered as ours."""
    added: list[Opportunity] = []
    blank = dict.fromkeys((*OPPORTUNITY_FIELDS, *GRANT_OWNED_FIELDS), "")
    for i, cand in enumerate(imports.new):
        row = last_row + 1 + i
        values = {name: cand.value(name) for name in ("funder", "title", "deadline", "amount", "currency", "link")}
        values |= {"source": cand.source, "source_id": cand.source_id, "stage": t("stage.research", lang)}
        values["owner"] = cfg.default_owner
        for name, value in values.items():
            if value:
                writes.cells.append(Cell(row, layout.cols[name] + 1, value))
                writes.remembered.append((cand.source_key, name, value))
        added.append(Opportunity(row, {**blank, **values}, new=True))
    return added


# typed values and computed columns ------------------------------------------------------------------------
def interpret(opp: Opportunity, cfg: GrantsConfig) -> None:
    """Type the row's cells; every unreadable cell becomes a problem naming its field, never its value."""
    cells, problems = opp.cells, opp.problems
    if not cells["funder"] or not cells["title"]:
        problems.append(("title" if cells["funder"] else "funder", "grants.problem.missing"))
    opp.stage = parse_stage(cells["stage"]) if cells["stage"] else "research"
    if not cells["stage"]:
        problems.append(("stage", "grants.problem.no_stage"))
    elif opp.stage is None:
        problems.append(("stage", "grants.problem.stage"))
    _money(opp, problems)
    try:
        cell_p = parse_probability(cells["probability"])
    except ValueError:
        cell_p = None
        problems.append(("probability", "grants.problem.probability"))
    if opp.stage in ("awarded", "declined"):
        cell_p = None  # the outcome is known: awarded counts in full, declined not at all
    opp.probability = cell_p if cell_p is not None else cfg.stage_probability.get(opp.stage or "")
    opp.deadline = _date(cells["deadline"], "deadline", problems)
    opp.next_action_date = _date(cells["next_action_date"], "next_action_date", problems)
    owners = tuple(normalise_email(o) for o in split_list(cells["owner"]))
    if any(not is_valid_email(o) for o in owners):
        problems.append(("owner", "grants.problem.owner"))
    opp.owners = tuple(o for o in owners if is_valid_email(o))


def _money(opp: Opportunity, problems: list[tuple[str, str]]) -> None:
    try:
        opp.amount, symbol = parse_amount(opp.cells["amount"])
    except ValueError:
        opp.amount, symbol = None, None
        problems.append(("amount", "grants.problem.amount"))
    try:
        named = parse_currency(opp.cells["currency"])
    except ValueError:
        named = None
        problems.append(("currency", "grants.problem.currency"))
    opp.currency = named or symbol
    if opp.amount is not None and not opp.currency and not opp.cells["currency"]:
        problems.append(("currency", "grants.problem.no_currency"))


DATE_COLUMNS = ("deadline", "next_action_date")  # a date that does not parse is the problem grants.problem.<column>


def _date(text: str, name: str, problems: list[tuple[str, str]]) -> date | None:
    if not text:
        return None
    iso = parse_date(text)
    if iso is None:
        problems.append((name, f"grants.problem.{name}"))
        return None
    return date.fromisoformat(iso)


def stage_since(opp: Opportunity, history: Mapping[str, tuple[str, date]], today: date) -> tuple[date | None, bool]:
    """(since when the row is in its stage, whether that changed our record)."""
    if opp.stage is None or opp.duplicate_of is not None:
        return None, False
    known = history.get(opp.opp_id)
    if known is not None and known[0] == opp.stage:
        return known[1], False
    if known is None:  # first sight: a date already in the column is history worth keeping
        seeded = parse_date(opp.cells["stage_since"]) if opp.cells["stage_since"] else None
        if seeded and date.fromisoformat(seeded) <= today:
            return date.fromisoformat(seeded), True
    return today, True


def computed_cells(opp: Opportunity, since: date | None, today: date, cfg: GrantsConfig, lang: str) -> dict[str, str]:
    """Our five columns for one row, as the text the sheet should show."""
    out = dict.fromkeys(GRANT_OWNED_FIELDS, "")
    if opp.deadline and opp.stage in OPEN_STAGES:
        out["days_to_deadline"] = str((opp.deadline - today).days)
    if since is not None:
        out["stage_since"] = since.isoformat()
        days = (today - since).days
        if opp.stage in cfg.stale_stages and days > cfg.stale_days:
            out["stale"] = t("grants.stale_cell", lang, days=days)
    if opp.next_action_date and opp.next_action_date < today and opp.stage not in ("awarded", "declined"):
        out["overdue"] = t("grants.overdue_cell", lang, days=(today - opp.next_action_date).days)
    weighted = opp.weighted
    if weighted is not None and opp.duplicate_of is None:
        out["weighted_value"] = cell_number(weighted)
    return out


# totals ---------------------------------------------------------------------------------------------------
@dataclass
class PipelineTotals:
    count_by_stage: dict[str, int] = field(default_factory=dict)
    amount_by_stage: dict[str, Totals] = field(default_factory=dict)
    weighted_by_stage: dict[str, Totals] = field(default_factory=dict)
    weighted_by_quarter: dict[str, Totals] = field(default_factory=dict)  # live stages, by deadline quarter
    awarded: Totals = field(default_factory=dict)
    pipeline: Totals = field(default_factory=dict)  # live stages, weighted
    fees: FeeIncome | None = None


def pipeline_totals(opps: Sequence[Opportunity], no_date: str) -> PipelineTotals:
    totals = PipelineTotals()
    for opp in opps:
        if opp.duplicate_of is not None or opp.stage is None:
            continue
        stage = opp.stage
        totals.count_by_stage[stage] = totals.count_by_stage.get(stage, 0) + 1
        if opp.amount is None or not opp.currency:
            continue
        add(totals.amount_by_stage.setdefault(stage, {}), opp.currency, opp.amount)
        weighted = opp.weighted or Decimal(0)
        add(totals.weighted_by_stage.setdefault(stage, {}), opp.currency, weighted)
        if stage == "awarded":
            add(totals.awarded, opp.currency, opp.amount)
        if stage in LIVE_STAGES:
            add(totals.pipeline, opp.currency, weighted)
            when = quarter(opp.deadline) if opp.deadline else no_date
            add(totals.weighted_by_quarter.setdefault(when, {}), opp.currency, weighted)
    # quarters in time order ("2026 Q4" < "2027 Q1" as text), the undated bucket last
    totals.weighted_by_quarter = dict(
        sorted(totals.weighted_by_quarter.items(), key=lambda kv: (kv[0] == no_date, kv[0]))
    )
    return totals


# the whole plan -------------------------------------------------------------------------------------------
@dataclass
class GrantPlan:
    tab: str
    today: date
    layout: PipelineLayout
    opportunities: list[Opportunity]
    imports: ImportPlan
    writes: Writes
    stages: list[tuple[str, str, date]]  # (opp id, stage, since) to record
    totals: PipelineTotals

    @property
    def added(self) -> list[Opportunity]:
        return [o for o in self.opportunities if o.new]

    @property
    def counted(self) -> list[Opportunity]:
        return [o for o in self.opportunities if o.duplicate_of is None]

    @property
    def writeback(self) -> list[Action]:
        """The whole write as one idempotent ledger action keyed by the exact cells it writes."""
        cells = self.writes.cells
        if not cells:
            return []
        digest = hashlib.blake2b(digest_size=12)
        for c in cells:
            digest.update(f"{c.row}\x1f{c.col}\x1f{c.value}\x1e".encode())
        summary = f"write {len(cells)} cells ({len(self.added)} new rows) in {self.tab}"
        return [Action(f"sheet-write:{self.tab}:{digest.hexdigest()}", "sheet-write", summary, idempotent=True)]


def problem_rows(plan: GrantPlan, lang: str) -> list[tuple[int, str, str]]:
    """(row, cell name, readable problem) for every row to check, in sheet order."""
    out = []
    for opp in plan.opportunities:
        for name, key in opp.problems:
            where = cell_name(plan.tab, opp.row, plan.layout.cols[name] + 1)
            out.append((opp.row, where, t(key, lang, row=opp.duplicate_of or "")))
    return out
