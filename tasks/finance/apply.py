"""finance, apply: new bank rows appended to the Transactions tab in one write, each row once (ledger)."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.finance.finance import FLOW
from tasks.finance.plan import FinancePlan, cells_of
from weaver.config import WeaverConfig
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB


def append_imports(plan: FinancePlan, tables: TableBackend, db: StateDB, config: WeaverConfig,
                   dry_run: bool) -> ApplyResult:  # fmt: skip
    """Claimed rows are written in one batch; a rerun finds their ids in the tab (or the ledger) and adds none."""
    tab = config.finance.transactions_tab

    def write(batch: Sequence[Action]) -> list[Outcome]:
        tables.write_cells(tab, cells_of(batch))
        return [Outcome.success("appended") for _ in batch]

    return Ledger(db, FLOW).apply(plan.writes, write, batch_size=500, dry_run=dry_run)


append_imports_task = task(name="append-bank-rows", cache_policy=NO_CACHE)(append_imports)
