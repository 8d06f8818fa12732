"""event-harvest, apply: the events the page may take answers for saved; each answer appended once to the
Insights tab (all new rows in one write), the harvest pages written, the newsletter offers appended once to
the News tab (one write) - every one through the action ledger. The emails go through `op.send`."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.harvest.harvest import FLOW
from tasks.harvest.plan import HarvestPlan, insight_columns, insight_header, last_row, news_columns
from tasks.harvest.read import HarvestRead
from weaver.config import WeaverConfig
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.harvest import save_harvest_events


@dataclass
class HarvestApplied:
    insights: ApplyResult = field(default_factory=ApplyResult)
    pages: ApplyResult = field(default_factory=ApplyResult)
    news: ApplyResult = field(default_factory=ApplyResult)
    files: list[tuple[str, str]] = field(default_factory=list)  # (event title, harvest page relative to reports/)


def appender(tables: TableBackend, tab: str, grid: Grid, columns: Callable[[Grid], dict[str, int]],
              header: list[str] | None) -> Callable[[Sequence[Action]], list[Outcome]]:  # fmt: skip
    def append(batch: Sequence[Action]) -> list[Outcome]:
        cells: list[Cell] = []
        start, cols = last_row(grid) + 1, columns(grid)
        if header is not None and not cols:  # an empty tab: our header first
            cells += [Cell(1, i + 1, h) for i, h in enumerate(header)]
            cols, start = {f: i for f, i in columns([header]).items()}, max(start, 2)
        for offset, action in enumerate(batch):
            values = action.payload["values"]
            cells += [Cell(start + offset, col + 1, values[f]) for f, col in cols.items() if values.get(f)]
        tables.write_cells(tab, cells)
        return [Outcome.success("appended") for _ in batch]

    return append


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def apply_harvest(plan: HarvestPlan, read: HarvestRead, tables: TableBackend, db: StateDB, config: WeaverConfig,
                  reports: Path, dry_run: bool) -> HarvestApplied:  # fmt: skip
    if not dry_run:
        save_harvest_events(db, plan.snapshots)
    ledger = Ledger(db, FLOW)
    out = HarvestApplied()
    lang = config.network.default_language
    if read.insights is not None:
        append = appender(tables, config.harvest.insights_tab, read.insights, insight_columns, insight_header(lang))
        out.insights = ledger.apply(plan.insights, append, batch_size=100_000, dry_run=dry_run)
    if read.news is not None and read.news:

        def news(grid: Grid) -> dict[str, int]:
            return news_columns(grid, lang)

        offer = appender(tables, config.tabs.news, read.news, news, None)
        out.news = ledger.apply(plan.news, offer, batch_size=100_000, dry_run=dry_run)

    def write(batch: Sequence[Action]) -> list[Outcome]:
        for action in batch:
            _write(reports / action.payload["file"], action.payload["html"])
        return [Outcome.success("written") for _ in batch]

    out.pages = ledger.apply(plan.pages, write, dry_run=dry_run)
    out.files = sorted({(a.payload["title"], a.payload["file"]) for a in plan.pages})
    return out


apply_harvest_task = task(name="apply-event-harvest", cache_policy=NO_CACHE)(apply_harvest)
