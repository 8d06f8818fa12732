"""The receiver: verify, store, answer, hand off; every rejection has its status; nothing leaks into logs."""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette 1.x would rather drive its TestClient with httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from deployments import samples
from deployments.dispatch import Dispatcher
from deployments.signatures import signed_headers
from deployments.webhooks import Receiver, StateInbox, create_app, form_endpoints, form_routes
from tests.deployments.fakes import RecordingStarter
from weaver.errors import ConfigError
from weaver.state import StateDB
from weaver.state.submissions import inbox_get
from weaver.workspace import Workspace

JOIN_SECRET = "join-secret-Zq81"
RSVP_SECRET = "rsvp-secret-Kk02"
ENV = {"WEAVER_JOIN_FORM_SECRET": JOIN_SECRET, "WEAVER_RSVP_FORM_SECRET": RSVP_SECRET}


class Rig:
    def __init__(self, ws: Path, gate: threading.Event | None = None, max_body: int | None = None) -> None:
        self.workspace = Workspace.open(ws)
        self.db = StateDB(self.workspace.state_url)
        self.starter = RecordingStarter(gate=gate)
        limit = max_body or self.workspace.config.webhooks.max_body_bytes
        receiver = Receiver(form_endpoints(self.workspace, ENV), StateInbox(self.db), limit)
        dispatcher = Dispatcher(self.db, form_routes(self.workspace), self.starter, idle_seconds=0.05)
        self.app = create_app(receiver, dispatcher)

    def post_join(self, client: TestClient, submission: str = "r-1", secret: str = JOIN_SECRET, **kw: object):
        body = samples.tally(submission, **kw)  # type: ignore[arg-type]
        return client.post("/hooks/join", content=body, headers=signed_headers("tally", secret.encode(), body))


@pytest.fixture
def rig(demo_ws: Path) -> Rig:
    return Rig(demo_ws)


@pytest.fixture
def client(rig: Rig) -> Iterator[TestClient]:
    with TestClient(rig.app) as c:  # runs the lifespan, so the dispatcher loop is live
        yield c


def wait_until(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    done = threading.Event()
    for _ in range(400):
        if predicate():
            return
        done.wait(0.025)
    raise AssertionError(f"gave up waiting for {what}")


def test_a_signed_submission_is_stored_then_answered_202_then_dispatched(rig: Rig, client: TestClient) -> None:
    reply = rig.post_join(client, "r-1")
    assert reply.status_code == 202
    assert reply.json() == {"status": "accepted", "id": "tally:r-1"}
    entry = inbox_get(rig.db, "tally:r-1")
    assert entry is not None and entry["kind"] == "join" and entry["form"] == "join"
    assert entry["payload"]["fields"]["email"] == "ana.lima@example.org"
    wait_until(lambda: rig.starter.started, "the dispatcher to start a run")
    assert rig.starter.started == [("member-intake/demo", {"submission": "tally:r-1"}, "tally:r-1")]
    wait_until(lambda: inbox_get(rig.db, "tally:r-1")["status"] == "dispatched", "the entry to be marked")
    assert inbox_get(rig.db, "tally:r-1")["flow_run_id"] == "run-1"


def test_a_replayed_submission_answers_200_and_starts_nothing_more(rig: Rig, client: TestClient) -> None:
    assert rig.post_join(client, "r-1").status_code == 202
    wait_until(lambda: rig.starter.started, "the first run")
    again = rig.post_join(client, "r-1")
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "id": "tally:r-1"}
    assert rig.post_join(client, "r-2").status_code == 202  # a later, new submission still goes through
    wait_until(lambda: len(rig.starter.started) == 2, "the second submission's run")
    assert [key for _, _, key in rig.starter.started] == ["tally:r-1", "tally:r-2"]


def test_a_store_only_form_keeps_its_kind_and_starts_no_run(rig: Rig, client: TestClient) -> None:
    body = samples.typeform("tok-1", {"Email": "w@example.cn", "Coming?": "yes"}, hidden={"event": "evt-42"})
    reply = client.post("/hooks/rsvp", content=body, headers=signed_headers("typeform", RSVP_SECRET.encode(), body))
    assert reply.status_code == 202
    entry = inbox_get(rig.db, "typeform:tok-1")
    assert entry["kind"] == "rsvp" and entry["status"] == "received"
    assert entry["payload"]["hidden"] == {"event": "evt-42"}
    assert rig.starter.calls == 0


def test_a_bad_or_missing_signature_is_401_and_nothing_is_stored(rig: Rig, client: TestClient) -> None:
    assert rig.post_join(client, "r-1", secret="guessed").status_code == 401
    body = samples.tally("r-2")
    unsigned = client.post("/hooks/join", content=body, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401
    signed = signed_headers("tally", JOIN_SECRET.encode(), body)
    tampered = client.post("/hooks/join", content=body.replace(b"Ana", b"Eve"), headers=signed)
    assert tampered.status_code == 401
    wrong_scheme = signed_headers("typeform", JOIN_SECRET.encode(), body)  # right secret, another provider's header
    assert client.post("/hooks/join", content=body, headers=wrong_scheme).status_code == 401
    assert inbox_get(rig.db, "tally:r-1") is None and inbox_get(rig.db, "tally:r-2") is None


def test_malformed_json_is_400_even_when_signed(client: TestClient) -> None:
    body = b'{"eventType": "FORM_RESPONSE", "data": '
    reply = client.post("/hooks/join", content=body, headers=signed_headers("tally", JOIN_SECRET.encode(), body))
    assert reply.status_code == 400
    assert reply.json() == {"error": "the body is not JSON"}


def test_a_wrong_content_type_is_415(client: TestClient) -> None:
    body = samples.tally("r-1")
    headers = signed_headers("tally", JOIN_SECRET.encode(), body)
    headers["content-type"] = "application/x-www-form-urlencoded"
    assert client.post("/hooks/join", content=body, headers=headers).status_code == 415
    headers["content-type"] = "application/json; charset=utf-8"  # parameters are fine
    assert client.post("/hooks/join", content=body, headers=headers).status_code == 202


def test_an_oversized_body_is_413_whether_declared_or_streamed(demo_ws: Path) -> None:
    rig = Rig(demo_ws, max_body=2048)
    big = samples.tally("r-big", {"Email": "a@example.org", "About you": "x" * 4096})
    headers = signed_headers("tally", JOIN_SECRET.encode(), big)
    with TestClient(rig.app) as client:
        assert client.post("/hooks/join", content=big, headers=headers).status_code == 413
        chunks = (big[i : i + 512] for i in range(0, len(big), 512))  # chunked: no Content-Length to trust
        assert client.post("/hooks/join", content=chunks, headers=headers).status_code == 413
    assert inbox_get(rig.db, "tally:r-big") is None


def test_an_unknown_form_is_404(client: TestClient) -> None:
    body = samples.tally("r-1")
    assert client.post("/hooks/nope", content=body, headers=signed_headers("tally", b"x", body)).status_code == 404


def test_the_answer_never_waits_for_prefect(demo_ws: Path) -> None:
    gate = threading.Event()  # Prefect "hangs" until the test opens the gate
    rig = Rig(demo_ws, gate=gate)
    with TestClient(rig.app) as client:
        assert rig.post_join(client, "r-1").status_code == 202
        wait_until(lambda: rig.starter.calls == 1, "the dispatcher to be stuck in Prefect")
        for n in range(2, 6):  # answered while the first start is still hanging
            assert rig.post_join(client, f"r-{n}").status_code == 202
        assert rig.starter.started == []
        gate.set()
        wait_until(lambda: len(rig.starter.started) == 5, "every run to start once Prefect answers")


def test_a_missing_secret_stops_start_up_naming_form_and_variable(demo_ws: Path) -> None:
    ws = Workspace.open(demo_ws)
    with pytest.raises(ConfigError) as err:
        form_endpoints(ws, {"WEAVER_JOIN_FORM_SECRET": JOIN_SECRET})
    assert str(err.value) == (
        f"{demo_ws / 'weaver.toml'}: [webhooks.forms.rsvp] secret: environment variable "
        "WEAVER_RSVP_FORM_SECRET is not set or empty"
    )
    with pytest.raises(ConfigError):
        form_endpoints(ws, {**ENV, "WEAVER_RSVP_FORM_SECRET": "   "})  # blank is missing too


def test_a_form_routed_to_an_unknown_operation_is_a_config_error(demo_ws: Path) -> None:
    toml = demo_ws / "weaver.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('deployment = ""', 'deployment = "rsvp-flow"'), "utf-8")
    with pytest.raises(ConfigError) as err:
        form_routes(Workspace.open(demo_ws))
    assert str(err.value) == f"{toml}: [webhooks.forms.rsvp] key 'deployment': no operation named 'rsvp-flow'"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_logs_carry_no_secret_and_no_member_data(demo_ws: Path, capfd: pytest.CaptureFixture[str]) -> None:
    rig = Rig(demo_ws)
    rig.starter.down_for = 1  # one dispatch finds Prefect down: its message is logged too
    ours = Collect()  # on our logger tree, whatever Prefect's logging setup does to the root's handlers
    logging.getLogger("weaver").addHandler(ours)
    logging.getLogger("weaver").setLevel(logging.DEBUG)
    try:
        with TestClient(rig.app) as client:
            rig.post_join(client, "r-1")
            rig.post_join(client, "r-1")
            rig.post_join(client, "r-2", secret="guessed")
            body = samples.tally("r-3")[:-9]
            client.post("/hooks/join", content=body, headers=signed_headers("tally", JOIN_SECRET.encode(), body))
            wait_until(lambda: rig.starter.calls >= 1, "a dispatch attempt")
    finally:
        logging.getLogger("weaver").removeHandler(ours)
        logging.getLogger("weaver").setLevel(logging.NOTSET)
    text = "\n".join(ours.lines) + capfd.readouterr().err  # ours, and anything any library printed
    assert "tally:r-1" in text and "401" in text and "unreachable" in text  # the log is useful ...
    for secret_or_personal in (JOIN_SECRET, RSVP_SECRET, "ana.lima", "Ana Lima", "Latin America", "气候"):
        assert secret_or_personal not in text  # ... and says nothing it should not
