"""member-sync, apply: the owned columns written back in one batch through the ledger, members recorded."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.members.plan import SyncPlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.models import Member
from weaver.state import StateDB, save_members
from weaver.state.self_service import settle_edits


def member_record(member: Member) -> dict[str, object]:
    return {
        "member_id": member.member_id,
        "email": member.email,
        "fields_hash": member.fields_hash,
        "fields": member.fields,
    }


def apply_member_sync(plan: SyncPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """Write owned columns back (one batch, through the ledger), then record members in the state db."""

    def write(batch: Sequence[Action]) -> list[Outcome]:
        tables.write_cells(plan.tab, plan.cells)
        return [Outcome.success(f"{len(plan.cells)} cells")]

    result = Ledger(db, "member-sync").apply(plan.writeback, write, dry_run=dry_run)
    if not dry_run:
        upserts = [member_record(m) for m in (*plan.diff.added, *plan.diff.changed)]
        save_members(db, upserts, plan.diff.gone)
        if plan.edits and not result.failed and not result.unknown:  # members' changes are in the sheet now
            settle_edits(db, [(e.edit_id, e.outcome, e.kept) for e in plan.edits])
    return result


apply_member_sync_task = task(name="apply-member-sync", cache_policy=NO_CACHE)(apply_member_sync)
