"""membership-fees, apply: each payment recorded once in the ledger (the emails go through `op.send`)."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.fees.fees import FLOW
from tasks.fees.plan import FeePlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB


def record_payments(plan: FeePlan, db: StateDB, dry_run: bool) -> ApplyResult:
    """A payment seen for the first time is recorded (a rerun records nothing): the report tells new ones."""
    return Ledger(db, FLOW).apply(plan.records, _noted, dry_run=dry_run)


def _noted(batch: Sequence[Action]) -> list[Outcome]:
    return [Outcome.success("recorded") for _ in batch]  # the ledger row itself is the record


record_payments_task = task(name="record-payments", cache_policy=NO_CACHE)(record_payments)
