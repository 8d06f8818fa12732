"""member-intake, apply: the new rows in one batch through the ledger, then the inbox entries moved on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.delivery import Delivery
from tasks.common.prefect_task import task
from tasks.intake.intake import IntakePlan, intake_key
from tasks.intake.optin import OptInPlan, confirm_key
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.optin import expire_joins, record_asked
from weaver.state.submissions import DISPATCHED, INBOX_FAILED, PROCESSED, inbox_mark


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


def record_optin(plan: OptInPlan, delivery: Delivery, db: StateDB, now: datetime, dry_run: bool) -> list[str]:
    """Joins whose confirm email went out now wait for it (their inbox entries stay open, as dispatched);
    expired ones, and those the central consent check would not mail (suppressed, forgotten, a member who
    said no), are closed and their answers erased; confirmation markers are settled. Returns the entry ids
    now waiting for their confirmation."""
    if dry_run:
        return []
    sent = {a.key for a in (*delivery.result.done, *delivery.result.already_done)}
    asked = [j.entry_id for j in plan.asked if confirm_key(j.entry_id) in sent]
    record_asked(db, [(entry, now, plan.expires_at or now) for entry in asked])
    inbox_mark(db, asked, DISPATCHED, "waiting for the person's confirmation")
    expire_joins(db, [j.entry_id for j in plan.expired], now, f"expired: not confirmed within {plan.days} days")
    refused = {s.message.key: s.reason for s in delivery.suppressed}  # the central check would not mail them
    for joiner in plan.asked:  # closed now, else they would wait for a confirmation that cannot come
        reason = refused.get(confirm_key(joiner.entry_id))
        if reason:
            expire_joins(db, [joiner.entry_id], now, f"not asked to confirm: {reason}")
    inbox_mark(db, plan.markers, PROCESSED, "confirmation taken in")
    return asked


record_optin_task = task(name="record-join-confirmations", cache_policy=NO_CACHE)(record_optin)
