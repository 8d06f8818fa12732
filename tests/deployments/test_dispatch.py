"""The dispatcher: Prefect down keeps every submission; back up, each starts exactly one run."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from deployments.dispatch import Dispatcher, PrefectStarter, Route
from tests.deployments.fakes import RecordingStarter
from weaver.errors import FatalError, RetriableError
from weaver.state import StateDB
from weaver.state.submissions import inbox_add, inbox_get

ROUTES = {"join": Route("member-intake/demo", {"note": "x"}, pass_submission=True)}


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    return state_db  # on SQLite and on PostgreSQL: ids [sqlite], [postgresql]


def store(db: StateDB, *ids: str, form: str = "join") -> None:
    for entry in ids:
        assert inbox_add(db, entry, "tally", form, "join", {"email": "a@example.org"})


def test_prefect_down_keeps_submissions_and_dispatches_each_once_when_back(db: StateDB) -> None:
    store(db, "tally:a", "tally:b")
    starter = RecordingStarter(down_for=2)
    dispatcher = Dispatcher(db, ROUTES, starter)
    for attempt in (1, 2):
        outcome = dispatcher.dispatch_waiting()
        assert outcome.stalled == "Prefect API unreachable (ConnectError)"
        entry = inbox_get(db, "tally:a")
        assert (entry["status"], entry["attempts"]) == ("received", attempt)  # kept, and the try is counted
        assert inbox_get(db, "tally:b")["attempts"] == 0  # no call storm: the round stopped at the first failure
    outcome = dispatcher.dispatch_waiting()
    assert (outcome.dispatched, outcome.stalled) == (2, "")
    assert starter.started == [
        ("member-intake/demo", {"note": "x", "submission": "tally:a"}, "tally:a"),
        ("member-intake/demo", {"note": "x", "submission": "tally:b"}, "tally:b"),
    ]
    assert inbox_get(db, "tally:a")["status"] == "dispatched" and inbox_get(db, "tally:a")["flow_run_id"] == "run-1"
    assert dispatcher.dispatch_waiting().dispatched == 0  # nothing is started twice


def test_a_refused_run_is_marked_failed_and_the_rest_go_on(db: StateDB) -> None:
    store(db, "tally:a", "tally:b")

    class Refusing(RecordingStarter):
        def start(self, deployment: str, parameters: dict, idempotency_key: str) -> str:
            if idempotency_key == "tally:a":
                raise FatalError("Prefect API refused the run of 'member-intake/demo' (422)")
            return super().start(deployment, parameters, idempotency_key)

    outcome = Dispatcher(db, ROUTES, Refusing()).dispatch_waiting()
    assert (outcome.dispatched, outcome.failed) == (1, 1)
    failed = inbox_get(db, "tally:a")
    assert failed["status"] == "failed" and "422" in failed["detail"]


def test_forms_without_a_route_are_left_for_their_flows(db: StateDB) -> None:
    store(db, "typeform:r1", form="rsvp")
    starter = RecordingStarter()
    assert Dispatcher(db, ROUTES, starter).dispatch_waiting().dispatched == 0
    assert inbox_get(db, "typeform:r1")["status"] == "received" and starter.calls == 0


def test_backoff_doubles_with_jitter_up_to_the_cap(db: StateDB) -> None:
    dispatcher = Dispatcher(db, ROUTES, RecordingStarter(), backoff=(1.0, 8.0), jitter=lambda: 1.0)
    assert dispatcher.delay() is None  # healthy: wait for work, not for a timer
    delays = []
    for failures in range(1, 7):
        dispatcher.failures = failures
        delays.append(dispatcher.delay())
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    dispatcher.jitter = lambda: 0.0
    assert dispatcher.delay() == 4.0  # jitter takes up to half off, so many receivers do not retry in step


def test_the_loop_retries_after_an_outage_without_a_new_submission(db: StateDB) -> None:
    store(db, "tally:a")
    starter = RecordingStarter(down_for=3)
    dispatcher = Dispatcher(db, ROUTES, starter, backoff=(0.01, 0.02), idle_seconds=60)

    async def until_dispatched() -> None:
        loop = asyncio.create_task(dispatcher.run())
        try:
            while inbox_get(db, "tally:a")["status"] != "dispatched" or dispatcher.failures:
                await asyncio.sleep(0.01)
        finally:
            loop.cancel()

    asyncio.run(asyncio.wait_for(until_dispatched(), 20))
    assert starter.calls == 4 and len(starter.started) == 1
    assert dispatcher.failures == 0


def test_prefect_starter_reports_an_unreachable_api_as_retriable() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    starter = PrefectStarter(api_url=f"http://127.0.0.1:{port}/api")
    with pytest.raises(RetriableError) as err:
        starter.start("member-intake/demo", {}, "tally:a")
    assert str(err.value) == "Prefect API unreachable (ConnectError)"


def test_shutdown_stops_after_the_current_start_and_leaves_the_rest_waiting(db: StateDB) -> None:
    store(db, *(f"tally:{n}" for n in range(5)))
    gate = threading.Event()
    starter = RecordingStarter(gate=gate)
    dispatcher = Dispatcher(db, ROUTES, starter)

    async def start_then_stop() -> None:
        loop = asyncio.create_task(dispatcher.run())
        while starter.calls == 0:
            await asyncio.sleep(0.01)
        loop.cancel()  # the receiver shuts down while Prefect is answering the first start
        await asyncio.gather(loop, return_exceptions=True)
        gate.set()  # Prefect answers; the round's thread must end instead of taking the next entry

    asyncio.run(start_then_stop())  # returns once the round's thread has ended
    assert starter.calls == 1 and inbox_get(db, "tally:0")["status"] == "dispatched"
    assert [inbox_get(db, f"tally:{n}")["status"] for n in range(1, 5)] == ["received"] * 4
