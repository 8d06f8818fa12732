"""grant-pipeline, apply: the one batch write through the ledger, and the reminders a delivered digest carried."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.grants.digests import record_reminders
from tasks.grants.pipeline import GrantPlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.grants import save_grant_state


def apply_grant_pipeline(plan: GrantPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """One batch write through the ledger, then remember what we wrote and each stage's date."""

    def write(batch: Sequence[Action]) -> list[Outcome]:
        tables.write_cells(plan.tab, plan.writes.cells)
        return [Outcome.success(f"{len(plan.writes.cells)} cells")]

    ledger = Ledger(db, "grant-pipeline")
    # Each run's write gets its own key. The write is a diff against the sheet as read, so doing it again is
    # always right; a key made of the cells alone would skip an identical diff after a coordinator's undo.
    actions = [replace(a, key=f"{a.key}:{ledger.owner[:8]}") for a in plan.writeback]
    result = ledger.apply(actions, write, dry_run=dry_run)
    if not dry_run and not result.failed:
        save_grant_state(db, plan.writes.remembered, plan.stages)
    return result


apply_grant_pipeline_task = task(name="apply-grant-pipeline", cache_policy=NO_CACHE)(apply_grant_pipeline)
record_reminders_task = task(name="record-grant-reminders", cache_policy=NO_CACHE)(record_reminders)
