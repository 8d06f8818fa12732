"""bounces, apply: record the run's bounces, put the addresses to suppress on the list and move the mailbox
cursor, in one transaction (a crash before it leaves the cursor where it was: the next run reads the same
notifications again and records them once). A dry run records nothing."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from tasks.bounces.plan import BouncePlan
from tasks.common.prefect_task import task
from weaver.state import StateDB, utcnow
from weaver.state.bounces import record_bounces


def apply_bounces(plan: BouncePlan, db: StateDB, cursor_key: str, dry_run: bool) -> int:
    """Record the plan; returns how many addresses were put on the suppression list."""
    if dry_run:
        return 0
    now = utcnow()
    cursor = (cursor_key, plan.cursor) if plan.cursor else None
    record_bounces(db, plan.rows(now), plan.suppressions(now), cursor)
    return len(plan.suppress)


apply_bounces_task = task(name="apply-bounces", cache_policy=NO_CACHE)(apply_bounces)
