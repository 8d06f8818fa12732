"""grant-pipeline, plan: pure functions from what was read to what the run will write and whom it reminds.

The rules themselves live in `tasks.grants.pipeline` (rows, imports, computed columns, totals) and
`tasks.grants.digests` (deadline notices and the owners' digests, built here as messages for `op.send`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid
from tasks.common.money import fee_income
from tasks.common.prefect_task import task
from tasks.common.tables import number_cell
from tasks.grants.pipeline import (
    Candidate,
    GrantPlan,
    Writes,
    computed_cells,
    flag_duplicates,
    interpret,
    locate_pipeline,
    pipeline_totals,
    plan_new_rows,
    plan_refresh,
    read_rows,
    select_imports,
    stage_since,
)
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import t

NUMBER_COLUMNS = frozenset({"days_to_deadline", "weighted_value"})  # written as numbers, not text


def plan_grant_pipeline(
    grid: Grid,
    config: WeaverConfig,
    candidates: Sequence[Candidate],
    written: Mapping[str, Mapping[str, str]],
    history: Mapping[str, tuple[str, date]],
    member_fields: Sequence[Mapping[str, str]],
    today: date,
    source: str,
) -> GrantPlan:
    """The whole plan, pure: what a dry run shows and what apply performs."""
    cfg, lang, tab = config.grants, config.network.default_language, config.tabs.opportunities
    if len(grid) < cfg.header_row:
        raise SourceError(f"{source}: tab {tab!r} has no header row {cfg.header_row}")
    layout = locate_pipeline(grid[cfg.header_row - 1], cfg, tab, source)
    opps, last_row = read_rows(grid, layout)
    flag_duplicates(opps)
    writes = Writes(cells=[Cell(layout.header_row, col + 1, text) for col, text in layout.created])
    imports = select_imports(opps, candidates, written, cfg.max_new_per_run)
    plan_refresh(imports, written, layout, writes)
    opps += plan_new_rows(imports, last_row, layout, cfg, lang, writes)
    stages: list[tuple[str, str, date]] = []
    for opp in opps:
        interpret(opp, cfg)
        if opp.duplicate_of is not None:
            opp.problems.append(("title", "grants.problem.duplicate"))
        since, changed = stage_since(opp, history, today)
        if changed and since is not None and opp.stage is not None:
            stages.append((opp.opp_id, opp.stage, since))
        for name, value in computed_cells(opp, since, today, cfg, lang).items():
            if opp.cells[name] != value:
                typed = number_cell(value) if name in NUMBER_COLUMNS else value  # SUM and sort work in the sheet
                writes.cells.append(Cell(opp.row, layout.cols[name] + 1, typed))
                opp.cells[name] = value
    totals = pipeline_totals(opps, t("grants.no_date", lang))
    fee_currency = cfg.fee_currency or cfg.base_currency
    if fee_currency:
        totals.fees = fee_income(member_fields, today, fee_currency, cfg.renewal_rate)
    return GrantPlan(tab, today, layout, opps, imports, writes, stages, totals)


def new_candidates(
    grid: Grid,
    config: WeaverConfig,
    candidates: Sequence[Candidate],
    written: Mapping[str, Mapping[str, str]],
    source: str,
) -> list[Candidate]:
    """The candidates this run would import (before their amounts are fetched): same rules as the plan."""
    cfg, tab = config.grants, config.tabs.opportunities
    if len(grid) < cfg.header_row:
        raise SourceError(f"{source}: tab {tab!r} has no header row {cfg.header_row}")
    layout = locate_pipeline(grid[cfg.header_row - 1], cfg, tab, source)
    opps, _last = read_rows(grid, layout)
    flag_duplicates(opps)
    return select_imports(opps, candidates, written, cfg.max_new_per_run).new


def enrich(candidates: Sequence[Candidate], amounts: Mapping[str, int | None]) -> list[Candidate]:
    """Give Grants.gov candidates the award ceiling fetched for them (search hits carry no money)."""
    out = []
    for cand in candidates:
        amount = amounts.get(cand.source_key)
        out.append(replace(cand, amount=str(amount), currency="USD") if amount else cand)
    return out


plan_grant_pipeline_task = task(name="plan-grant-pipeline", cache_policy=NO_CACHE)(plan_grant_pipeline)
