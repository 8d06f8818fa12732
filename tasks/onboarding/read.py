"""onboarding, read: everything a run needs from the state database (members, earlier runs, the ledger)."""

from __future__ import annotations

from datetime import date, datetime

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.onboarding.onboarding import FLOW, FOLLOWUP, RECORD, OnboardingState, Record, aware, person_from_row
from weaver.ledger import Ledger
from weaver.state import StateDB
from weaver.state.delivery import suppressed_emails
from weaver.state.onboarding import newcomer_records


def read_onboarding_state(db: StateDB, now: datetime, today: date) -> OnboardingState:
    """Everything onboarding needs from the state database, in five queries."""
    people = [person_from_row(r) for r in db.member_rows("active")]
    records = {
        r["key"].removeprefix(RECORD): Record((r["payload"] or {}).get("buddy"), r["created_at"])
        for r in newcomer_records(db, RECORD)
    }
    suppressed = suppressed_emails(db)
    due = [e["key"] for e in Ledger(db, FLOW).due(FOLLOWUP, now)]
    return OnboardingState(people, _last_run(db), records, suppressed, due, now, today)


def _last_run(db: StateDB) -> datetime | None:
    """The previous onboarding run's start, if it came after the first member sync (else: a first run)."""
    first_sync = db.first_sync_run_start("member-sync")
    last = db.last_sync_run(FLOW)
    if last is None or first_sync is None or aware(last["started_at"]) < aware(first_sync):
        return None
    return aware(last["started_at"])


read_onboarding_state_task = task(name="read-onboarding-state", cache_policy=NO_CACHE)(read_onboarding_state)
