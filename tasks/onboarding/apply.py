"""onboarding, apply: pairings recorded in the ledger before any email names them; follow-ups planned."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from prefect.cache_policies import NO_CACHE

from tasks.common.delivery import Delivery
from tasks.common.prefect_task import task
from tasks.onboarding.onboarding import FLOW
from tasks.onboarding.plan import OnboardingPlan, plan_followups
from weaver.config import WeaverConfig
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB


def record_newcomers(plan: OnboardingPlan, db: StateDB, dry_run: bool) -> ApplyResult:
    """Write each new pairing into the ledger before any email names it."""
    result = Ledger(db, FLOW).apply(plan.records, _noted, dry_run=dry_run)
    if plan.cancel and not dry_run:
        Ledger(db, FLOW).cancel(plan.cancel, "not sent: the member left")
    return result


def _noted(batch: Sequence[Action]) -> list[Outcome]:
    return [Outcome.success("recorded") for _ in batch]  # the ledger row itself is the record


def schedule_followups(delivery: Delivery | None, plan: OnboardingPlan, config: WeaverConfig, db: StateDB,
                       now: datetime, dry_run: bool) -> int:  # fmt: skip
    if delivery is None or dry_run:
        return 0
    return Ledger(db, FLOW).schedule(plan_followups(delivery, plan, config.onboarding.followup_days, now))


record_newcomers_task = task(name="record-newcomers", cache_policy=NO_CACHE)(record_newcomers)
schedule_followups_task = task(name="schedule-follow-ups", cache_policy=NO_CACHE)(schedule_followups)
