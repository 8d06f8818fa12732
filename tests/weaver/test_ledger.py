"""The action ledger: nothing finished is repeated; a dry run claims nothing; crashes are reported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from weaver.errors import RetriableError
from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB


class Recorder:
    """A performer that records what it did; can fail chosen keys."""

    def __init__(self, fail: dict[str, Outcome] | None = None) -> None:
        self.performed: list[str] = []
        self.fail = fail or {}

    def __call__(self, batch: Sequence[Action]) -> list[Outcome]:
        self.performed.extend(a.key for a in batch)
        return [self.fail.get(a.key, Outcome.success()) for a in batch]


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    """Every ledger test runs on SQLite and on PostgreSQL (ids `[sqlite]`, `[postgresql]`)."""
    return state_db


def actions(n: int, idempotent: bool = False) -> list[Action]:
    return [Action(f"email:welcome:m-{i}", "email", f"welcome m-{i}", {"i": i}, idempotent) for i in range(n)]


def test_rerun_performs_nothing_twice(db: StateDB) -> None:
    rec = Recorder()
    first = Ledger(db, "t").apply(actions(5), rec, batch_size=2)
    second = Ledger(db, "t").apply(actions(5), rec, batch_size=2)
    assert len(first.done) == 5 and rec.performed == [a.key for a in actions(5)]
    assert len(second.already_done) == 5 and second.done == []


def test_repeated_key_in_one_plan_is_performed_once(db: StateDB) -> None:
    rec = Recorder()
    Ledger(db, "t").apply(actions(2) + actions(2), rec)
    assert rec.performed == ["email:welcome:m-0", "email:welcome:m-1"]


def test_dry_run_shows_the_plan_and_claims_nothing(db: StateDB) -> None:
    rec = Recorder()
    Ledger(db, "t").apply(actions(1), rec)
    result = Ledger(db, "t").apply(actions(3), rec, dry_run=True)
    assert [a.key for a in result.skipped] == ["email:welcome:m-1", "email:welcome:m-2"]
    assert len(result.already_done) == 1
    assert rec.performed == ["email:welcome:m-0"]
    assert {e["key"] for e in Ledger(db, "t").entries()} == {"email:welcome:m-0"}


EXPIRED = timedelta(seconds=-1)  # a claim whose owner died: its lease ran out and nobody renewed it


def test_orphaned_claim_of_an_email_becomes_unknown_and_is_not_resent(db: StateDB) -> None:
    crashed = Ledger(db, "t", lease=EXPIRED)
    crashed._claim(actions(1))  # the process died after claiming, before marking
    rec = Recorder()
    result = Ledger(db, "t").apply(actions(2), rec)
    assert [a.key for a in result.unknown] == ["email:welcome:m-0"]
    assert rec.performed == ["email:welcome:m-1"]
    assert [e["key"] for e in Ledger(db, "t").entries(status="unknown")] == ["email:welcome:m-0"]


def test_orphaned_claim_of_an_idempotent_action_is_performed_again(db: StateDB) -> None:
    Ledger(db, "t", lease=EXPIRED)._claim(actions(1, idempotent=True))
    rec = Recorder()
    result = Ledger(db, "t").apply(actions(1, idempotent=True), rec)
    assert rec.performed == ["email:welcome:m-0"] and len(result.done) == 1


def test_released_unknown_action_is_performed_on_the_next_run(db: StateDB) -> None:
    Ledger(db, "t", lease=EXPIRED)._claim(actions(1))
    Ledger(db, "t").apply(actions(1), Recorder())  # marks it unknown
    assert Ledger(db, "t").release(["email:welcome:m-0"]) == 1
    rec = Recorder()
    Ledger(db, "t").apply(actions(1), rec)
    assert rec.performed == ["email:welcome:m-0"]


def test_permanent_failure_is_recorded_and_not_retried_transient_is(db: StateDB) -> None:
    fail = {
        "email:welcome:m-0": Outcome.failure("recipient refused (550)"),
        "email:welcome:m-1": Outcome.failure("mailbox busy (451)", retry=True),
    }
    first = Ledger(db, "t").apply(actions(3), Recorder(fail))
    assert {a.key: d for a, d in first.failed} == {
        "email:welcome:m-0": "recipient refused (550)",
        "email:welcome:m-1": "mailbox busy (451)",
    }
    rec = Recorder()
    Ledger(db, "t").apply(actions(3), rec)
    assert rec.performed == ["email:welcome:m-1"]


def test_batch_that_failed_before_sending_is_released(db: StateDB) -> None:
    def broken(batch: Sequence[Action]) -> list[Outcome]:
        raise RetriableError("smtp: connection refused")

    with pytest.raises(RetriableError):
        Ledger(db, "t").apply(actions(2), broken)
    rec = Recorder()
    Ledger(db, "t").apply(actions(2), rec)
    assert rec.performed == ["email:welcome:m-0", "email:welcome:m-1"]


def test_progress_is_reported_per_batch(db: StateDB) -> None:
    seen: list[tuple[int, int]] = []
    Ledger(db, "t").apply(actions(5), Recorder(), batch_size=2, on_progress=lambda d, n: seen.append((d, n)))
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_a_planned_action_waits_until_due_then_is_performed_once(db: StateDB) -> None:
    from datetime import timedelta

    from weaver.state import utcnow

    now = utcnow()
    later = Action("email:followup-7:m-0", "email", "follow-up", {"day": 7}, due_at=now + timedelta(days=7))
    assert Ledger(db, "t").schedule([later]) == 1
    assert Ledger(db, "t").schedule([later]) == 0  # planned once
    assert Ledger(db, "t").due("email:followup-", now) == []
    [due] = Ledger(db, "t").due("email:followup-", now + timedelta(days=8))
    assert due["key"] == later.key and due["payload"] == {"day": 7}
    rec = Recorder()
    sent = Action(later.key, "email", "follow-up", {"to": "rendered"})
    Ledger(db, "t").apply([sent], rec)
    Ledger(db, "t").apply([sent], rec)
    assert rec.performed == [later.key]
    [entry] = Ledger(db, "t").entries(keys=[later.key])
    assert entry["status"] == "done" and entry["payload"] == {"to": "rendered"}  # what was sent, for a resend
    assert Ledger(db, "t").due("email:followup-", now + timedelta(days=8)) == []


def test_a_cancelled_plan_is_never_performed(db: StateDB) -> None:
    from datetime import timedelta

    from weaver.state import utcnow

    planned = Action("email:followup-30:m-0", "email", "f", due_at=utcnow() - timedelta(seconds=1))
    Ledger(db, "t").schedule([planned])
    assert Ledger(db, "t").cancel([planned.key, "email:welcome:m-9"], "member left") == 1
    rec = Recorder()
    result = Ledger(db, "t").apply([planned], rec)
    assert rec.performed == [] and result.skipped == [planned]


def test_an_uncertain_outcome_is_recorded_as_unknown_and_not_repeated(db: StateDB) -> None:
    fail = {"email:welcome:m-0": Outcome.unknown("connection lost after the message was handed over")}
    first = Ledger(db, "t").apply(actions(2), Recorder(fail))
    assert [a.key for a in first.unknown] == ["email:welcome:m-0"] and len(first.done) == 1
    rec = Recorder()
    second = Ledger(db, "t").apply(actions(2), rec)
    assert rec.performed == [] and [a.key for a in second.unknown] == ["email:welcome:m-0"]


def test_a_live_claim_of_another_run_is_left_alone_until_its_lease_expires(db: StateDB) -> None:
    other = Ledger(db, "t", run_id="run-a", lease=timedelta(hours=1))
    other._claim(actions(1))  # run-a is sending m-0 right now
    rec = Recorder()
    result = Ledger(db, "t", run_id="run-b").apply(actions(2), rec)
    assert rec.performed == ["email:welcome:m-1"] and result.unknown == []
    assert [a.key for a in result.in_flight] == ["email:welcome:m-0"]
    [live] = Ledger(db, "t").live_claims()
    assert live["key"] == "email:welcome:m-0" and live["run_id"] == "run-a"
    other.lease = EXPIRED  # run-a dies: nobody renews its lease
    assert other.renew() == 1 and Ledger(db, "t").live_claims() == []
    later = Ledger(db, "t", run_id="run-c").apply(actions(2), Recorder())
    assert [a.key for a in later.unknown] == ["email:welcome:m-0"]


def test_an_idempotent_claim_is_taken_over_only_once_its_lease_expired(db: StateDB) -> None:
    holder = Ledger(db, "t", lease=timedelta(hours=1))
    holder._claim(actions(1, idempotent=True))
    rec = Recorder()
    Ledger(db, "t").apply(actions(1, idempotent=True), rec)
    assert rec.performed == []
    holder.lease = EXPIRED
    holder.renew()
    Ledger(db, "t").apply(actions(1, idempotent=True), rec)
    assert rec.performed == ["email:welcome:m-0"]


def test_renewal_keeps_a_claim_live(db: StateDB) -> None:
    holder = Ledger(db, "t", lease=EXPIRED)
    holder._claim(actions(2))
    assert Ledger(db, "t").live_claims() == []
    holder.lease = timedelta(hours=1)
    assert holder.renew() == 2
    assert len(Ledger(db, "t").live_claims()) == 2


def test_an_expired_claim_marked_done_meanwhile_is_never_made_unknown(db: StateDB) -> None:
    slow = Ledger(db, "t", lease=EXPIRED)
    slow._claim(actions(1))
    late = Ledger(db, "t")
    seen = late._lookup(["email:welcome:m-0"])  # a second run reads the expired claim ...
    assert seen["email:welcome:m-0"][0] == "claimed"
    slow._mark([("email:welcome:m-0", "done", "")])  # ... its owner, only slow, marks it done ...
    late._orphan(["email:welcome:m-0"], late.now())  # ... and the orphaning must not overwrite that
    assert Ledger(db, "t").statuses(["email:welcome:m-0"]) == {"email:welcome:m-0": "done"}


def test_claims_record_the_run() -> None:
    from weaver.ledger import current_run_id

    assert current_run_id().endswith(f":{__import__('os').getpid()}")


# emails marked "handed" just before DATA ----------------------------------------------------------------
def emails(n: int) -> list[Action]:
    """Emails whose performer marks the hand-over point (`Ledger.hand_over`), as `deliver` does."""
    return [Action(f"email:welcome:m-{i}", "email", f"welcome m-{i}", {"i": i}, marks_hand_over=True) for i in range(n)]


class Handing:
    """A performer like `deliver`'s: hand over (durably) just before DATA, then note the outcome."""

    def __init__(self, ledger: Ledger, db: StateDB) -> None:
        self.ledger, self.db = ledger, db
        self.performed: list[str] = []
        self.seen_before_data: list[dict[str, str]] = []  # the ledger as another process sees it, at each DATA

    def __call__(self, batch: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for action in batch:
            assert self.ledger.hand_over(action.key)
            self.seen_before_data.append(Ledger(self.db, "reader").statuses(a.key for a in batch))
            self.performed.append(action.key)
            outcome = Outcome.success("sent")
            self.ledger.settle(action.key, outcome)
            outcomes.append(outcome)
        return outcomes


def test_an_email_claimed_but_never_handed_over_is_sent_again_once_its_lease_expired(db: StateDB) -> None:
    crashed = Ledger(db, "t", lease=EXPIRED)
    crashed._claim(emails(3))  # the process died after claiming, before any DATA
    ledger = Ledger(db, "t")
    perform = Handing(ledger, db)
    result = ledger.apply(emails(3), perform)
    assert perform.performed == [a.key for a in emails(3)] and result.unknown == [] and len(result.done) == 3
    assert set(Ledger(db, "t").statuses(a.key for a in emails(3)).values()) == {"done"}


def test_an_email_handed_over_when_its_sender_died_is_unknown_and_not_sent_again(db: StateDB) -> None:
    crashed = Ledger(db, "t", run_id="run-a", lease=timedelta(hours=1))
    crashed._claim(emails(2))
    assert crashed.hand_over("email:welcome:m-0")  # then the process died during m-0's DATA
    assert Ledger(db, "t").statuses(["email:welcome:m-0"]) == {"email:welcome:m-0": "handed"}
    live = Ledger(db, "t", run_id="run-b").apply(emails(2), Recorder())
    assert len(live.in_flight) == 2 and live.unknown == []  # its lease still runs: left alone
    crashed.lease = EXPIRED
    crashed.renew()
    ledger = Ledger(db, "t", run_id="run-c")
    perform = Handing(ledger, db)
    result = ledger.apply(emails(2), perform)
    assert [a.key for a in result.unknown] == ["email:welcome:m-0"]  # it may have arrived
    assert perform.performed == ["email:welcome:m-1"]  # never handed over: sent again
    assert Ledger(db, "t").statuses(a.key for a in emails(2)) == {
        "email:welcome:m-0": "unknown", "email:welcome:m-1": "done"}  # fmt: skip


def test_each_outcome_is_durable_before_the_next_message_is_handed_over(db: StateDB) -> None:
    ledger = Ledger(db, "t")
    perform = Handing(ledger, db)
    ledger.apply(emails(4), perform, batch_size=4)  # four claims in one transaction
    keys = [a.key for a in emails(4)]
    for i, seen in enumerate(perform.seen_before_data):
        # at message i's DATA: the ones before are done, i is handed, the rest only claimed
        assert [seen[k] for k in keys] == ["done"] * i + ["handed"] + ["claimed"] * (3 - i)
    assert set(Ledger(db, "t").statuses(keys).values()) == {"done"}


def test_a_claim_that_is_no_longer_ours_is_not_handed_over(db: StateDB) -> None:
    slow = Ledger(db, "t", lease=EXPIRED)
    slow._claim(emails(1))
    taker = Ledger(db, "t")
    assert taker._claim(emails(1)) == {"email:welcome:m-0"}  # the lease lapsed: another run took it
    assert not slow.hand_over("email:welcome:m-0")  # so the slow one must not send it
    assert taker.hand_over("email:welcome:m-0")


def test_a_batch_failing_midway_keeps_what_was_noted_and_sorts_the_rest(db: StateDB) -> None:
    ledger = Ledger(db, "t")

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        ledger.hand_over(batch[0].key)
        ledger.settle(batch[0].key, Outcome.success())
        ledger.hand_over(batch[1].key)  # then the line drops and cannot be reopened
        raise RetriableError("cannot reconnect")

    with pytest.raises(RetriableError):
        ledger.apply(emails(3), perform, batch_size=3)
    assert Ledger(db, "t").statuses(a.key for a in emails(3)) == {
        "email:welcome:m-0": "done", "email:welcome:m-1": "unknown", "email:welcome:m-2": "retry"}  # fmt: skip


def test_confirm_settles_a_checked_unknown_email_as_delivered(db: StateDB) -> None:
    crashed = Ledger(db, "t", lease=EXPIRED)
    crashed._claim(emails(2))
    crashed.hand_over("email:welcome:m-0")
    Ledger(db, "t").apply(emails(1), Recorder())  # m-0 becomes unknown
    ledger = Ledger(db, "t")
    assert ledger.confirm(["email:welcome:m-0", "email:welcome:m-1"]) == 1  # m-1 is not unknown: untouched
    assert ledger.statuses(a.key for a in emails(2)) == {"email:welcome:m-0": "done", "email:welcome:m-1": "claimed"}
    rec = Recorder()
    assert len(Ledger(db, "t").apply(emails(1), rec).already_done) == 1 and rec.performed == []
