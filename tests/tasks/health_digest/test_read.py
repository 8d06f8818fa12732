"""health-digest, read: what it reads of the state (weaver/state/health.py), on both dialects: unknown
outcomes, suppressions since a moment (with members' names), a `bounces` table only when one exists, and when
each operation last finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tasks.health_digest.read import digest_since, read_health
from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB, save_members, utcnow
from weaver.state.bounces import record_bounces
from weaver.state.delivery import add_suppression
from weaver.state.health import bounces_since, last_finished, suppressions_since, unknown_outcomes


class NoRuns:
    def describe(self) -> str:
        return "Prefect API"

    def problems(self, workspace: object, since: datetime) -> list[object]:
        raise ConnectionError("refused")


def test_the_facts_a_digest_reads(state_db: StateDB) -> None:
    before = utcnow() - timedelta(seconds=5)
    ledger = Ledger(state_db, "onboarding")
    ledger.apply([Action("email:onboarding:m-1:welcome", "email", "welcome")], lambda b: [Outcome.unknown("?")])
    ledger.apply([Action("email:onboarding:m-2:welcome", "email", "welcome")], lambda b: [Outcome.success()])
    save_members(state_db, [{"member_id": "m-1", "email": "wang@example.org", "fields_hash": "h",
                             "fields": {"name": "王芳"}}], [])  # fmt: skip
    add_suppression(state_db, "wang@example.org", "bounced", "smtp")
    add_suppression(state_db, "someone@example.org", "unsubscribed", "link")
    state_db.record_sync_run("member-sync", before, {"quarantined": 3})
    state_db.record_sync_run("onboarding", before, {})

    [unknown] = unknown_outcomes(state_db)
    assert unknown["flow"] == "onboarding" and unknown["updated_at"].tzinfo is not None
    found = suppressions_since(state_db, before)
    assert [(s["reason"], s["name"]) for s in found] == [("bounced", "王芳"), ("unsubscribed", "")]
    assert suppressions_since(state_db, utcnow() + timedelta(minutes=1)) == []
    assert set(last_finished(state_db)) == {"member-sync", "onboarding"}
    assert bounces_since(state_db, before) == 0  # the bounces operation's table, empty here

    facts = read_health(state_db, NoRuns(), Path("."), utcnow(), "daily")  # type: ignore[arg-type]
    assert facts.runs_error == "Prefect API: ConnectionError" and facts.quarantined == 3 and len(facts.unknown) == 1


def test_since_is_the_last_digest_sent_else_one_period_back(state_db: StateDB) -> None:
    now = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert digest_since(state_db, now, "weekly") == (now - timedelta(days=7), None)
    Ledger(state_db, "health-digest").apply([Action("email:health-digest:2026-11-23", "email", "digest")],
                                            lambda b: [Outcome.success()])  # fmt: skip
    since, last = digest_since(state_db, now, "daily")
    assert last is not None and since == last and last > now - timedelta(days=30)


def test_the_bounces_the_bounces_operation_recorded_are_counted(state_db: StateDB) -> None:
    now = utcnow()
    rows = [{"dsn_id": f"<{n}@mx>", "email": f"{n}@x.org", "member_id": None, "ledger_key": f"email:x:{n}",
             "kind": "hard", "status": "5.1.1", "diagnostic": "", "received_at": at}
            for n, at in (("a", now - timedelta(days=3)), ("b", now))]  # fmt: skip
    record_bounces(state_db, rows, [], None)
    assert bounces_since(state_db, now - timedelta(days=1)) == 1
