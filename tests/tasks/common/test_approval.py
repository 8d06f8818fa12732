"""The approval gate: small or auto-approved sends pass; a large one pauses the run for a coordinator."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.flow_runs import resume_flow_run
from prefect.input.run_input import keyset_from_paused_state

from connectors.mail import Message, OutboxTransport
from flows._runtime import open_runtime
from tasks.common.approval import SendPlan, approve_send, needs_approval, summarise_send
from tasks.common.approval_notice import preview_link
from tasks.common.delivery import deliver
from weaver.clock import utcnow
from weaver.links import LinkSigner, link_secret
from weaver.state.approvals import approval_preview

pytestmark = pytest.mark.usefixtures("prefect_harness")

STARTED: queue.Queue[UUID] = queue.Queue()


def staff_messages(count: int) -> list[Message]:
    return [
        Message(
            f"approval-test:note:s-{i}",
            f"staff{i}@example.org",
            "王芳",
            "通知",
            "text",
            "<p>html</p>",
            "zh" if i % 2 else "en",
            None,
            "note",
        )  # fmt: skip
        for i in range(count)
    ]


@flow(name="approval-test")
def send_flow(workspace: str, count: int, auto_approve: bool = False) -> dict[str, Any]:
    ctx = FlowRunContext.get()
    assert ctx is not None
    STARTED.put(ctx.flow_run.id)
    rt = open_runtime(workspace)
    messages = staff_messages(count)
    secret, _ = link_secret(rt.db, rt.ws.config, False, workspace)
    run_id = str(ctx.flow_run.id)

    def link(plan: SendPlan, pending: Sequence[Message]) -> str:  # as flows/_run.Operation.preview_link does
        return preview_link(plan, pending, rt.ws.config, rt.db, LinkSigner(secret), run_id, utcnow())

    approval = approve_send(messages, rt, "approval-test", auto_approve=auto_approve, poll_seconds=1, link=link)
    sent = deliver(messages, rt.mail, rt.db, "approval-test").summary()["sent"] if approval.approved else 0
    return {"how": approval.how, "sent": sent}


@pytest.fixture
def ws(demo_ws: Path) -> Path:
    """The demo workspace with an approval threshold of 3 messages."""
    config = demo_ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    assert "approval_threshold = 50" in text
    text = text.replace("approval_threshold = 50", "approval_threshold = 3")
    config.write_text(text, encoding="utf-8")
    while not STARTED.empty():
        STARTED.get_nowait()
    return demo_ws


def outbox_count(ws: Path) -> int:
    return len(OutboxTransport(ws / "outbox", None).messages())  # type: ignore[arg-type]


def test_approval_is_needed_only_above_the_threshold_unless_auto_approved() -> None:
    assert not needs_approval(3, 3, False) and needs_approval(4, 3, False) and not needs_approval(400, 3, True)
    plan = summarise_send("x", staff_messages(5))
    assert (plan.recipients, plan.templates, plan.languages) == (5, {"note": 5}, {"en": 3, "zh": 2})
    twice = staff_messages(2) + [replace(m, key=m.key + ":again") for m in staff_messages(2)]
    assert (summarise_send("x", twice).recipients, summarise_send("x", twice).messages) == (2, 4)  # people count


def test_a_small_send_is_not_held(ws: Path) -> None:
    assert send_flow(str(ws), 3) == {"how": "under-threshold", "sent": 3}


def test_auto_approve_lets_a_large_send_through(ws: Path) -> None:
    assert send_flow(str(ws), 5, auto_approve=True) == {"how": "auto-approved", "sent": 5}
    assert outbox_count(ws) == 5


def test_a_large_send_waits_for_a_coordinator_and_goes_out_when_approved(ws: Path) -> None:
    run, flow_run_id = _start(ws, 5)
    description = _wait_until_paused(flow_run_id)
    assert "5" in description and "note 5" in description and "index.html" in description
    # the previews as a link a browser opens: the receiver's signed preview page of this pause, kept in the state
    [url] = re.findall(r"\[打开预览\]\((http[^)]+)\)", description)
    assert url.startswith("http://127.0.0.1:8787/l/approval-preview/")
    rt = open_runtime(str(ws))
    try:
        secret, _ = link_secret(rt.db, rt.ws.config, False, "")
        pause = LinkSigner(secret).verify(url.rsplit("/", 1)[1], "approval-preview", utcnow())
        shown = approval_preview(rt.db, pause.subject)
    finally:
        rt.close()
    assert shown is not None and shown["recipients"] == 5 and {r["purpose"] for r in shown["rows"]} == {"note"}
    assert outbox_count(ws) == 0  # nothing went out while waiting
    resume_flow_run(flow_run_id, run_input={"approve": True})
    assert run() == {"how": "approved", "sent": 5}
    assert outbox_count(ws) == 5 and (ws / "reports/previews/approval-test/index.html").is_file()


def test_a_declined_send_sends_nothing(ws: Path) -> None:
    run, flow_run_id = _start(ws, 4)
    _wait_until_paused(flow_run_id)
    resume_flow_run(flow_run_id, run_input={"approve": False})
    assert run() == {"how": "declined", "sent": 0}
    assert outbox_count(ws) == 0


def test_outside_a_server_run_a_large_send_is_held_not_sent(ws: Path) -> None:
    """The CLI in ephemeral mode has no UI to approve in: the gate says so instead of waiting forever."""
    rt = open_runtime(str(ws))
    approval = approve_send(staff_messages(4), rt, "approval-test")
    assert not approval.approved and approval.how == "needs-approval"
    assert "auto_approve=true" in approval.describe("en") and Path(approval.plan.previews).is_file()


def _start(ws: Path, count: int) -> tuple[Any, UUID]:
    results: queue.Queue[Any] = queue.Queue()
    thread = threading.Thread(target=lambda: results.put(send_flow(str(ws), count)), daemon=True)
    thread.start()

    def result() -> Any:
        thread.join(timeout=120)
        return results.get(timeout=1)

    return result, STARTED.get(timeout=120)


def _wait_until_paused(flow_run_id: UUID, limit: float = 120) -> str:
    """Poll the API until the run is paused with its form saved; return the form's description."""
    deadline = time.monotonic() + limit
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            state = client.read_flow_run(flow_run_id).state
            if state is not None and state.is_final():
                raise AssertionError(f"the flow run ended instead of pausing: {state.type.value} {state.message}")
            if state is not None and state.is_paused():
                keyset = keyset_from_paused_state(state)
                try:
                    client.read_flow_run_input(flow_run_id, keyset["schema"])
                    return client.read_flow_run_input(flow_run_id, keyset["description"])
                except Exception:  # the form is saved just after the state is set
                    pass
            time.sleep(0.2)
    raise AssertionError("the flow run never paused for approval")


def test_the_approval_form_links_the_preview_page_and_names_the_files_as_text() -> None:
    from tasks.common.approval import SendPlan, approval_form

    url = "https://hooks.example.org/l/approval-preview/abc.def"
    plan = SendPlan("onboarding", 60, 60, {"welcome": 60}, {"zh": 60}, "/srv/w/reports/previews/onboarding", url)
    facts = approval_form(plan, "zh")._description
    assert f"- **预览**: [打开预览]({url}) (服务器上的文件：/srv/w/reports/previews/onboarding)" in facts
    assert "file://" not in facts


def test_the_approval_form_is_one_tick_box_under_the_facts_as_text() -> None:
    from tasks.common.approval import SendPlan, approval_form

    plan = SendPlan("newsletter", 120, 130, {"newsletter": 130}, {"zh": 80, "en": 50}, "/tmp/previews/newsletter")
    form = approval_form(plan, "en")
    assert list(form.model_json_schema()["properties"]) == ["approve"]  # no fact is an input to edit
    facts = form._description
    assert "- **Recipients**: 120" in facts and "- **Languages**: zh 80, en 50" in facts
    assert "[/tmp/previews/newsletter](file:///tmp/previews/newsletter)" in facts  # no preview page: the folder
    switch = approval_form(plan, "zh").model_json_schema()["properties"]["approve"]
    assert (switch["title"], switch["default"]) == ("批准并发送", False)  # labelled in the network's language
