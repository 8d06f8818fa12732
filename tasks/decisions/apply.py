"""decision-rounds, apply: open rounds saved for the page (what it shows), each outcome appended once to the
Decisions tab (ledger); the emails go through `op.send`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect.cache_policies import NO_CACHE

from connectors.chat import ChatChannel
from connectors.tables import Cell, Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.decisions.decisions import FLOW
from tasks.decisions.plan import DecisionPlan
from weaver.config import WeaverConfig
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.decisions import save_rounds


def apply_decisions(plan: DecisionPlan, decisions_grid: Grid | None, tables: TableBackend, db: StateDB,
                    config: WeaverConfig, now: datetime, dry_run: bool) -> ApplyResult:  # fmt: skip
    """Save the open rounds' snapshots; append each closed round's outcome below the Decisions tab's rows."""
    if not dry_run and plan.snapshots:
        save_rounds(db, plan.snapshots, now)
    if decisions_grid is None:
        return Ledger(db, FLOW).apply([], _nothing, dry_run=dry_run)
    tab = config.decisions.decisions_tab
    last = max((i + 1 for i, r in enumerate(decisions_grid) if any(c.strip() for c in r)), default=0)

    def append(batch: Sequence[Action]) -> list[Outcome]:
        cells = [Cell(last + 1 + i, col, value) for i, a in enumerate(batch)
                 for col, value in enumerate(a.payload["values"], start=1)]  # fmt: skip
        tables.write_cells(tab, cells)
        return [Outcome.success("appended") for _ in batch]

    return Ledger(db, FLOW).apply(plan.outcome_rows, append, batch_size=500, dry_run=dry_run)


def post_outcomes(plan: DecisionPlan, chat: ChatChannel | None, db: StateDB, dry_run: bool) -> ApplyResult:
    """Each closed round's outcome posted to the network's chat once (a post is not idempotent: never repeated)."""

    def post(batch: Sequence[Action]) -> list[Outcome]:
        assert chat is not None
        return [chat.post(a.payload["title"], a.payload["body"]) for a in batch]

    actions = plan.chat_posts if chat is not None or dry_run else []
    return Ledger(db, FLOW).apply(actions, post, batch_size=1, dry_run=dry_run)


def _nothing(batch: Sequence[Action]) -> list[Outcome]:
    return []


apply_decisions_task = task(name="apply-decision-rounds", cache_policy=NO_CACHE)(apply_decisions)
post_outcomes_task = task(name="post-decision-outcomes", cache_policy=NO_CACHE)(post_outcomes)
