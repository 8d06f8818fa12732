"""event-ideas, apply: the open round saved for the page; the shortlist appended once to the Events tab as draft
rows (ledger), in the columns the events mapping names."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid, TableBackend
from tasks.common.columns import Columns
from tasks.common.prefect_task import task
from tasks.ideas.ideas import FLOW
from tasks.ideas.plan import IdeasPlan
from weaver.config import WeaverConfig
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.ideas import save_idea_round


def apply_ideas(plan: IdeasPlan, events: Grid | None, tables: TableBackend, db: StateDB, config: WeaverConfig,
                now: datetime, dry_run: bool) -> ApplyResult:  # fmt: skip
    if not dry_run and plan.snapshot:
        save_idea_round(db, plan.round_id, plan.snapshot, now)
    ledger = Ledger(db, FLOW)
    if not events or not plan.drafts:
        return ledger.apply([], _nothing, dry_run=dry_run)
    cols = Columns(events[0], config.tabs.events)
    where = {f: cols.find(config.events.columns.get(f, f)) for f in ("event_id", "title", "start", "status",
                                                                    "description")}  # fmt: skip
    last = max((i + 1 for i, r in enumerate(events) if any(c.strip() for c in r)), default=1)

    def append(batch: Sequence[Action]) -> list[Outcome]:
        cells = [Cell(last + 1 + i, col + 1, a.payload["values"][f]) for i, a in enumerate(batch)
                 for f, col in where.items() if col is not None]  # fmt: skip
        tables.write_cells(config.tabs.events, cells)
        return [Outcome.success("appended") for _ in batch]

    return ledger.apply(plan.drafts, append, batch_size=100, dry_run=dry_run)


def _nothing(batch: Sequence[Action]) -> list[Outcome]:
    return []


apply_ideas_task = task(name="apply-event-ideas", cache_policy=NO_CACHE)(apply_ideas)
