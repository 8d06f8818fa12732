"""The dispatcher: starts a flow run for each stored submission, and keeps trying while Prefect is down.

The receiver only stores and answers; this loop, in the same process, reads `received` inbox entries and
starts the mapped deployment with `run_deployment(timeout=0, idempotency_key="<provider>:<submission id>")`.
Prefect returns the same flow run for a repeated key, so a crash between starting a run and marking the
entry `dispatched` never starts a second run. While the Prefect API is unreachable the entries stay
`received` and the loop backs off (exponential, with jitter, capped); nothing is lost, and a restart picks
them up. The dispatcher is the one retry owner for these calls.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from weaver.errors import FatalError, RetriableError
from weaver.state import StateDB
from weaver.state.submissions import DISPATCHED, INBOX_FAILED, inbox_mark, inbox_note_attempt, inbox_waiting

log = logging.getLogger("weaver.webhooks.dispatch")


@dataclass(frozen=True)
class Route:
    """Where a form's submissions go: a deployment (`flow/name`) and the parameters of its runs."""

    deployment: str
    parameters: Mapping[str, Any] = field(default_factory=dict)
    pass_submission: bool = False  # the flow takes a `submission` parameter: hand it the inbox id


class Starter(Protocol):
    def start(self, deployment: str, parameters: dict[str, Any], idempotency_key: str) -> str:
        """Start a run now and return its id; RetriableError when Prefect cannot be reached."""
        ...


class PrefectStarter:
    """Starts runs through Prefect's own client (`run_deployment`), against `api_url` or the configured API."""

    def __init__(self, api_url: str | None = None) -> None:
        self.api_url = api_url

    def start(self, deployment: str, parameters: dict[str, Any], idempotency_key: str) -> str:
        import httpx
        from prefect.deployments import run_deployment
        from prefect.exceptions import ObjectNotFound, PrefectHTTPStatusError

        try:
            with self._settings():
                run = run_deployment(deployment, parameters=parameters, timeout=0,
                                     idempotency_key=idempotency_key, as_subflow=False)  # fmt: skip
        except ObjectNotFound:
            raise RetriableError(
                f"deployment {deployment!r} not found (is 'python -m deployments.serve' running?)"
            ) from None
        except PrefectHTTPStatusError as exc:
            code = exc.response.status_code
            if code >= 500 or code == 429:
                raise RetriableError(f"Prefect API answered {code}") from None
            raise FatalError(f"Prefect API refused the run of {deployment!r} ({code})") from None
        except (httpx.TransportError, OSError) as exc:
            raise RetriableError(f"Prefect API unreachable ({type(exc).__name__})") from None
        return str(run.id)

    def _settings(self) -> Any:
        """No retries inside Prefect's client: the dispatcher is the one retry owner (with its backoff)."""
        from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings

        updates: dict[Any, Any] = {PREFECT_CLIENT_MAX_RETRIES: 0}
        if self.api_url:
            updates[PREFECT_API_URL] = self.api_url
        return temporary_settings(updates)


@dataclass
class Round:
    dispatched: int = 0
    failed: int = 0
    stalled: str = ""  # why this round stopped early (Prefect unreachable); empty when it emptied the queue


class Dispatcher:
    def __init__(
        self,
        db: StateDB,
        routes: Mapping[str, Route],
        starter: Starter,
        *,
        backoff: tuple[float, float] = (1.0, 60.0),
        idle_seconds: float = 30.0,
        batch: int = 100,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.db, self.routes, self.starter = db, dict(routes), starter
        self.backoff, self.idle_seconds, self.batch, self.jitter = backoff, idle_seconds, batch, jitter
        self.failures = 0  # consecutive rounds that found Prefect unreachable
        self._wake: asyncio.Event | None = None
        self._stop = threading.Event()  # set on shutdown: a round in its thread ends after the current start

    # one round (sync: runs in a worker thread) ---------------------------------------------------------
    def dispatch_waiting(self) -> Round:
        """Start a run for every waiting entry of a routed form; stop at the first unreachable API."""
        result = Round()
        while not result.stalled and not self._stop.is_set():
            entries = inbox_waiting(self.db, list(self.routes), self.batch)
            if not entries:
                break
            for entry in entries:
                if self._stop.is_set() or not self._dispatch_one(entry, result):
                    break
        return result

    def _dispatch_one(self, entry: Mapping[str, Any], result: Round) -> bool:
        route = self.routes[entry["form"]]
        params = dict(route.parameters)
        if route.pass_submission:
            params["submission"] = entry["id"]
        try:
            run_id = self.starter.start(route.deployment, params, entry["id"])
        except RetriableError as exc:
            inbox_note_attempt(self.db, entry["id"], str(exc))
            result.stalled = str(exc)
            return False
        except FatalError as exc:
            inbox_mark(self.db, [entry["id"]], INBOX_FAILED, str(exc))
            log.warning("inbox %s: not dispatched: %s", entry["id"], exc)
            result.failed += 1
            return True
        inbox_mark(self.db, [entry["id"]], DISPATCHED, "", flow_run_id=run_id)
        log.info("inbox %s: flow run %s started on %s", entry["id"], run_id, route.deployment)
        result.dispatched += 1
        return True

    def delay(self) -> float | None:
        """Seconds to wait before the next try after `failures` stalled rounds; None: wait for work."""
        if not self.failures:
            return None
        base, cap = self.backoff
        return min(cap, base * 2 ** (self.failures - 1)) * (0.5 + self.jitter() / 2)

    # the loop ------------------------------------------------------------------------------------------
    def wake(self) -> None:
        """A submission was stored: dispatch soon (called on the event loop's thread)."""
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Dispatch now, then whenever woken (or every `idle_seconds`); back off while Prefect is down."""
        self._wake = asyncio.Event()
        self._stop.clear()
        try:
            while True:
                outcome = await asyncio.to_thread(self.dispatch_waiting)
                self._after(outcome)
                delay = self.delay()
                if delay is not None:
                    await asyncio.sleep(delay)  # new submissions wait in the inbox; no call storm on a down API
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), self.idle_seconds)
                except TimeoutError:
                    pass
                self._wake.clear()
        finally:
            self._stop.set()  # what is not started yet waits in the inbox for the next start-up

    def _after(self, outcome: Round) -> None:
        if outcome.stalled:
            self.failures += 1
            log.warning("dispatch paused (try %d): %s; submissions wait in the inbox", self.failures, outcome.stalled)
        elif self.failures:
            log.info("Prefect reachable again: dispatching resumed")
            self.failures = 0
