"""member-intake, apply: the new rows in one batch through the ledger, then the inbox entries moved on."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.intake.intake import IntakePlan, intake_key
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.submissions import INBOX_FAILED, PROCESSED, inbox_mark


def apply_intake(plan: IntakePlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """Write the new rows in one batch through the ledger, then move the inbox entries on."""

    def write(batch: Sequence[Action]) -> list[Outcome]:
        tables.write_cells(plan.tab, [cell for action in batch for cell in plan.cells[action.key]])
        return [Outcome.success(f"row {action.payload['row']}") for action in batch]

    result = Ledger(db, "member-intake").apply(plan.actions, write, dry_run=dry_run)
    if not dry_run:
        _mark_inbox(plan, result, db)
    return result


def _mark_inbox(plan: IntakePlan, result: ApplyResult, db: StateDB) -> None:
    by_key = {intake_key(entry): entry for entry in plan.added}
    for action in (*result.done, *result.already_done):
        entry = by_key[action.key]
        inbox_mark(db, [entry], PROCESSED, f"added as row {plan.added[entry]}")
    for entry, row in plan.known.items():
        inbox_mark(db, [entry], PROCESSED, f"already a member (row {row})")
    for entry, reason in plan.rejected.items():
        inbox_mark(db, [entry], INBOX_FAILED, reason)


apply_intake_task = task(name="apply-member-intake", cache_policy=NO_CACHE)(apply_intake)
