"""details-check end to end on the demo workspace: this week's anniversaries are asked once, each with a
personal link that opens their own "my details" page."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from connectors.mail import OutboxTransport, Sender
from flows.details_check import details_check
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY
from tests.pages import link_rig

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_this_weeks_anniversaries_are_asked_once_with_a_link_to_their_own_page(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    first = details_check(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), auto_approve=True)
    assert first["asked"] > 0 and first["later"] > 0 and first["emails"]["sent"] > 0
    again = details_check(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), auto_approve=True)
    assert again["asked"] == 0 and again["asked_before"] == first["asked"] and again["emails"]["sent"] == 0

    box = OutboxTransport(demo_ws / "outbox", Sender("a@b.org", "x"))
    mail = next(m for m in box.messages() if m["X-Weaver-Key"].startswith("email:details-check:"))
    text = mail.get_body(("plain",)).get_content()
    url = next(w for w in text.split() if "/l/my-details/" in w)
    rig = link_rig(demo_ws)  # the receiver's pages, with the same workspace key that signed the email
    with TestClient(rig.app) as client:
        page = client.get(url.split("127.0.0.1:8787", 1)[1])
    member_id = mail["X-Weaver-Key"].split(":")[2]
    name = next(r["fields"]["name"] for r in rig.db.member_rows() if r["member_id"] == member_id)
    assert page.status_code == 200 and name in page.text and 'name="needs"' in page.text


def test_the_dry_run_previews_the_coordinators_own_wording(demo_ws: Path) -> None:
    folder = demo_ws / "templates" / "en"
    folder.mkdir(parents=True)
    (folder / "details_check.subject").write_text(
        "{{ name }}, a yearly check from {{ network_name }}", encoding="utf-8"
    )
    (folder / "details_check.txt").write_text(
        "Dear {{ name }},\n\nPlease look at your page:\n{{ url }}\n", encoding="utf-8"
    )
    member_sync(workspace=str(demo_ws))
    plan = details_check(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), dry_run=True, auto_approve=True)
    index = Path(plan["previews"]).read_text(encoding="utf-8")
    assert "a yearly check from" in index  # the subjects of the English messages, in the previews' index
    pages = [p.read_text(encoding="utf-8") for p in Path(plan["previews"]).parent.glob("email_details-check_*.html")]
    english = [p for p in pages if "Please look at your page:" in p]
    chinese = [p for p in pages if 'lang="zh"' in p]
    assert english and chinese and not any("Please look at your page:" in p for p in chinese)
    assert all("Once a year we ask" not in p for p in english)  # the package's English wording is replaced
    assert OutboxTransport(demo_ws / "outbox", Sender("a@b.org", "x")).messages() == []


def test_when_the_run_pauses_for_approval_the_approvers_are_told_once(demo_ws: Path) -> None:
    from tests.flows.gate import PausedRun, approval_threshold_one

    config = approval_threshold_one(demo_ws) / "weaver.toml"
    text = config.read_text(encoding="utf-8").replace(
        "approval_threshold = 1", 'approval_threshold = 1\napprovers = [{ email = "coord@weaving.example.org", '
        'name = "Coordinator", language = "en" }]\napproval_chat = true')  # fmt: skip
    config.write_text(text, encoding="utf-8")
    member_sync(workspace=str(demo_ws))
    run = PausedRun("details-check", lambda: details_check(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat()))
    box = OutboxTransport(demo_ws / "outbox", Sender("a@b.org", "x"))
    [notice] = box.messages()  # the approver's email, before anything is sent to members
    body = notice.get_body(("plain",)).get_content()
    assert notice["Subject"].startswith("Approval needed: details-check would email")
    assert f"/runs/flow-run/{run.flow_run_id}" in body and "/l/approval-preview/" in body
    assert "List-Unsubscribe" not in notice  # staff mail
    assert f"/runs/flow-run/{run.flow_run_id}" in (demo_ws / "chat.log").read_text(encoding="utf-8")
    declined = run.answer(False)
    assert declined["emails"]["sent"] == 0 and len(box.messages()) == 1
