"""End to end on a real `prefect server`: served deployments, a signed Tally join, one flow run, once.

Processes: the session's `prefect server start`, `python -m deployments.serve` and `weaver webhooks`, each a
subprocess talking to that server over loopback. Deselect with `-m "not e2e"`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import mailbox
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.workbook import WorkbookTables
from demo.build import create_workspace
from deployments import samples
from deployments.dispatch import Dispatcher, PrefectStarter, Route
from deployments.signatures import signed_headers
from flows import FLOWS
from tests.conftest import PrefectServer
from tests.processes import Background, free_port, http_ok, prefect_api
from weaver.clock import network_clock, utcnow
from weaver.errors import RetriableError
from weaver.state import StateDB
from weaver.state.submissions import inbox_add, inbox_get

pytestmark = pytest.mark.e2e

SECRETS = {"WEAVER_JOIN_FORM_SECRET": "e2e-join-secret", "WEAVER_RSVP_FORM_SECRET": "e2e-rsvp-secret"}
NEWCOMER = "ana.lima@example.org"


@dataclass
class Network:
    ws: Path
    server: PrefectServer
    hooks: str  # http://127.0.0.1:PORT

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return prefect_api(self.server.api_url, method, path, body)

    def deployment(self, name: str) -> dict[str, Any]:
        return self.api("GET", f"/deployments/name/{name}")

    def runs_of(self, deployment_id: str) -> list[dict[str, Any]]:
        return self.api("POST", "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}})

    def post(self, submission: str, **kw: Any) -> tuple[int, dict[str, Any]]:
        kw.setdefault("created", utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        body = samples.tally(submission, **kw)
        headers = signed_headers("tally", SECRETS["WEAVER_JOIN_FORM_SECRET"].encode(), body)
        request = urllib.request.Request(f"{self.hooks}/hooks/join", data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())

    def wait_for_run(self, run_id: str, timeout: float = 120.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.api("GET", f"/flow_runs/{run_id}")
            if run["state_type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return run
            time.sleep(0.5)
        raise AssertionError(f"flow run {run_id} did not finish in {timeout:.0f} s")


DEMO_TIMEZONE = "Asia/Shanghai"  # demo/weaver.toml [network] timezone


# An existing network: its members synced and welcomed before the newcomer arrives (against the server).
BRING_UP_TO_DATE = """
import sys
from flows import FLOWS, load_flow
load_flow("member-sync")(workspace=sys.argv[1])
if "onboarding" in FLOWS:
    load_flow("onboarding")(workspace=sys.argv[1])
"""


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory, prefect_server: PrefectServer) -> Iterator[Network]:
    # deployments run on the wall clock (a webhook passes no as_of): the network is built for the network's
    # today, and the newcomer joins now, so the test means the same on any date
    ws = create_workspace(tmp_path_factory.mktemp("e2e") / "ws", today=network_clock(DEMO_TIMEZONE).today)
    port = free_port()
    env = prefect_server.env(PREFECT_RUNNER_POLL_FREQUENCY="1", **SECRETS)
    weaver = str(Path(sys.executable).with_name("weaver"))
    # three processes start at once: the network's history, the deployments, the receiver
    prepare = Background([sys.executable, "-c", BRING_UP_TO_DATE, str(ws)], env, ws / "prepare.log")
    serve = Background([sys.executable, "-m", "deployments.serve", "-c", str(ws)], env, ws / "serve.log")
    hooks = Background([weaver, "webhooks", "-c", str(ws), "--port", str(port)], env, ws / "hooks.log")
    net = Network(ws, prefect_server, f"http://127.0.0.1:{port}")
    try:
        prepare.finish("member-sync (and onboarding) before the test")
        hooks.wait_for(lambda: http_ok(f"{net.hooks}/health"), "weaver webhooks")
        serve.wait_for(lambda: http_ok(f"{prefect_server.api_url}/deployments/name/member-intake/demo"), "serve")
        yield net
    finally:
        for process in (prepare, hooks, serve):
            process.stop()


def test_a_signed_join_runs_intake_once_and_welcomes_the_newcomer(network: Network) -> None:
    intake = network.deployment("member-intake/demo")
    assert (intake["global_concurrency_limit"]["limit"], intake["paused"]) == (1, False)
    assert intake["concurrency_options"]["collision_strategy"] == "ENQUEUE"
    sync = network.deployment("member-sync/demo")
    assert sync["schedules"][0]["schedule"] == {"cron": "0 * * * *", "timezone": "Asia/Shanghai", "day_or": True}

    assert network.post("tj-1") == (202, {"status": "accepted", "id": "tally:tj-1"})
    db = StateDB(f"sqlite:///{network.ws / 'weaver.db'}")
    deadline = time.monotonic() + 60
    while (inbox_get(db, "tally:tj-1") or {}).get("flow_run_id") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    run_id = inbox_get(db, "tally:tj-1")["flow_run_id"]
    assert run_id, "the dispatcher started no run"
    run = network.wait_for_run(run_id)
    assert run["state_type"] == "COMPLETED", (network.ws / "serve.log").read_text(errors="replace")[-3000:]
    assert run["parameters"]["submission"] == "tally:tj-1"

    # double opt-in: the run asked the newcomer to confirm, and added or welcomed nobody
    rows = WorkbookTables(network.ws / "network.xlsx").read_tab("Members")
    assert not [r for r in rows if len(r) > 1 and r[1] == NEWCOMER]
    assert inbox_get(db, "tally:tj-1")["status"] == "dispatched"
    outbox = mailbox.Maildir(network.ws / "outbox", create=False)
    [confirm] = [m for m in outbox if NEWCOMER in str(m.get("To", ""))]
    text = next(p for p in confirm.walk() if p.get_content_type() == "text/plain")
    link = next(w for w in text.get_payload(decode=True).decode().split() if "/l/confirm-join/" in w)

    # the newcomer presses the button on the receiver's page; its dispatcher starts the intake run again
    form = urllib.request.Request(
        f"{network.hooks}/l/{link.split('/l/', 1)[1]}",
        data=b"action=confirm",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(form, timeout=30) as reply:
        assert reply.status == 200
    deadline = time.monotonic() + 90  # the dispatcher looks every 30 s when not woken by a form
    while (inbox_get(db, "confirmed:tally:tj-1") or {}).get("flow_run_id") is None and time.monotonic() < deadline:
        time.sleep(0.5)
    confirmed_run = network.wait_for_run(inbox_get(db, "confirmed:tally:tj-1")["flow_run_id"])
    assert confirmed_run["state_type"] == "COMPLETED", (network.ws / "serve.log").read_text(errors="replace")[-3000:]

    rows = WorkbookTables(network.ws / "network.xlsx").read_tab("Members")
    [newcomer] = [r for r in rows if len(r) > 1 and r[1] == NEWCOMER]
    assert newcomer[rows[0].index("成员编号")].startswith("m-")  # synced: the member id is written back
    assert inbox_get(db, "tally:tj-1")["status"] == "processed"
    if "onboarding" in FLOWS:
        outbox = mailbox.Maildir(network.ws / "outbox", create=False)
        welcomed = [m for m in outbox if NEWCOMER in str(m.get("To", ""))]
        assert len(welcomed) >= 2, "the newcomer got no welcome email"

    # the same submission again: answered 200, and no second run, even when asked for one directly
    assert network.post("tj-1") == (200, {"status": "duplicate", "id": "tally:tj-1"})
    again = start_retrying(network.server.api_url, "member-intake/demo", "tally:tj-1")
    assert again == run_id
    assert sorted(r["id"] for r in network.runs_of(intake["id"])) == sorted([run_id, confirmed_run["id"]])


def test_a_submission_kept_while_prefect_is_down_is_dispatched_when_it_is_back(network: Network) -> None:
    db = StateDB(f"sqlite:///{network.ws / 'weaver.db'}")
    wen = {"email": "wen@example.org", "name": "Wen"}
    inbox_add(db, "tally:down-1", "tally", "join", "join", {**wen, "fields": wen})
    routes = {"join": Route("member-intake/demo", {}, pass_submission=True)}
    down = PrefectStarter(f"http://127.0.0.1:{free_port()}/api")  # nothing listens there
    assert Dispatcher(db, routes, down).dispatch_waiting().stalled.startswith("Prefect API unreachable")
    assert inbox_get(db, "tally:down-1")["status"] == "received"

    # Back up, the dispatcher's own loop takes the entry; a busy server may answer 503 first, which it retries.
    back = Dispatcher(db, routes, PrefectStarter(network.server.api_url), backoff=(0.2, 2.0))
    assert asyncio.run(_run_until_dispatched(back, db, "tally:down-1")) in {"dispatched", "processed"}
    run = network.wait_for_run(inbox_get(db, "tally:down-1")["flow_run_id"])
    assert run["state_type"] == "COMPLETED"
    assert inbox_get(db, "tally:down-1")["detail"] == "waiting for the person's confirmation"  # double opt-in


async def _run_until_dispatched(dispatcher: Dispatcher, db: StateDB, entry: str, limit: float = 60.0) -> str:
    loop = asyncio.create_task(dispatcher.run())
    try:
        deadline = time.monotonic() + limit
        while (status := inbox_get(db, entry)["status"]) == "received" and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return status
    finally:
        loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await loop


def start_retrying(api_url: str, deployment: str, key: str, tries: int = 6) -> str:
    """A direct start, retried as the dispatcher retries: a busy server may answer 503 (RetriableError)."""
    for attempt in range(tries):
        try:
            return PrefectStarter(api_url).start(deployment, {}, key)
        except RetriableError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")
