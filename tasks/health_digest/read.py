"""health-digest, read: the facts that may need a person, from the state database and the run history.

Since when: the last digest that went out (its ledger entry), else one period back. Failed and crashed runs,
bounces and unsubscribes count from then; runs waiting for approval, unknown outcomes, the last member-sync's
quarantined rows and stale tabs are told as they stand now. A run history that cannot be read (Prefect
unreachable) is itself a finding, never a failed digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.run_history import RunHistory, RunProblem
from tasks.common.prefect_task import task
from weaver.state import StateDB, ledger_keys_like
from weaver.state.health import bounces_since, last_finished, suppressions_since, unknown_outcomes

EMAIL_PREFIX = "email:health-digest:"  # + the period: one digest email per day (or ISO week)
CHAT_PREFIX = "chat:health-digest:"
PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}


@dataclass
class HealthFacts:
    now: datetime
    since: datetime
    last_digest: datetime | None = None
    runs: list[RunProblem] = field(default_factory=list)
    runs_error: str = ""  # why the run history could not be read ("" when it was)
    unknown: list[dict[str, Any]] = field(default_factory=list)
    quarantined: int = 0  # rows the last member-sync quarantined
    suppressed: list[dict[str, Any]] = field(default_factory=list)  # reason, source, created_at, name
    bounce_reports: int | None = None  # rows of a `bounces` table since, when the database has one
    last_finished: dict[str, datetime] = field(default_factory=dict)


def digest_since(db: StateDB, now: datetime, period: str) -> tuple[datetime, datetime | None]:
    """(since, the last digest sent): the last digest's time, else one period before `now`."""
    sent = [at for _, at in ledger_keys_like(db, [EMAIL_PREFIX, CHAT_PREFIX])]
    last = max(sent) if sent else None
    return (last if last is not None else now - PERIODS[period]), last


def read_health(db: StateDB, history: RunHistory, workspace: Path, now: datetime, period: str) -> HealthFacts:
    since, last = digest_since(db, now, period)
    facts = HealthFacts(now=now, since=since, last_digest=last)
    try:
        facts.runs = history.problems(workspace, since)
    except Exception as exc:  # Prefect unreachable: told in the digest, the rest is still worth reading
        facts.runs_error = f"{history.describe()}: {type(exc).__name__}"
    facts.unknown = unknown_outcomes(db)
    sync = db.last_sync_run("member-sync")
    facts.quarantined = int(((sync or {}).get("summary") or {}).get("quarantined") or 0)
    facts.suppressed = suppressions_since(db, since)
    facts.bounce_reports = bounces_since(db, since)
    facts.last_finished = last_finished(db)
    return facts


read_health_task = task(name="read-health", cache_policy=NO_CACHE)(read_health)
