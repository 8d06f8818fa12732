"""The bounces operation on the demo workspace against a real IMAP server (Dovecot on 127.0.0.1).

Emails leave through the one delivery path (`Operation.send`) with their VERP return path; the mail server's
delivery-status notifications arrive in the bounce mailbox (IMAP APPEND here); the next `bounces` run maps
each to its member and message, suppresses the hard bounce and counts the soft one, and the next send skips
the suppressed member.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mail import Message, OutboxTransport, Sender
from flows._run import Operation
from flows.bounces import bounces
from flows.member_sync import member_sync
from tests.dsn import make_dsn
from tests.imap import PASSWORD, DovecotServer
from weaver.state import StateDB
from weaver.state.bounces import bounce_counts

pytestmark = pytest.mark.usefixtures("prefect_harness")
BOUNCES = """
[mail.bounces]
return_path = "bounces@weaving.example.org"
host = "127.0.0.1"
port = {port}
security = "none"
user = "{user}"
password = {{ env = "WEAVER_TEST_BOUNCES_PASSWORD" }}
soft_limit = 2
"""


def two_members(ws: Path) -> list[dict[str, str]]:
    rows = StateDB(f"sqlite:///{ws / 'weaver.db'}").member_rows()
    yes = [r for r in rows if r["fields"].get("consent", "").lower() in {"是", "yes"}]
    return [{"id": r["member_id"], "email": r["email"], "name": r["fields"].get("name", "")} for r in yes[:2]]


def send(ws: Path, occasion: str, people: list[dict[str, str]]) -> Operation:
    messages = [
        Message(f"email:bounce-test:{p['id']}:{occasion}", p["email"], p["name"], f"Autumn gathering {occasion}",
                "Hello", "<p>Hello</p>", "en", member_id=p["id"], purpose="invite")
        for p in people
    ]  # fmt: skip
    with Operation("bounce-test", str(ws)) as op:
        op.last = op.send(messages, auto_approve=True)  # type: ignore[attr-defined]
    return op


def test_a_hard_bounce_suppresses_the_member_on_the_next_run_and_a_soft_one_is_counted(
    demo_ws: Path, dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = dovecot.add_user("flowtest")
    monkeypatch.setenv("WEAVER_TEST_BOUNCES_PASSWORD", PASSWORD)
    with open(demo_ws / "weaver.toml", "a", encoding="utf-8") as config:
        config.write(BOUNCES.format(port=dovecot.port, user=user))
    member_sync(workspace=str(demo_ws))
    gone, full = people = two_members(demo_ws)
    assert send(demo_ws, "1", people).last.summary()["sent"] == 2  # type: ignore[attr-defined]

    # each email left with its own signed return path; the mail server bounces to it
    outbox = OutboxTransport(demo_ws / "outbox", Sender("x@example.org", "x"))
    return_path = {m["To"].addresses[0].addr_spec: m["Return-Path"].strip("<>") for m in outbox.messages()}
    assert all(rp.startswith("bounces+") and rp.endswith("@weaving.example.org") for rp in return_path.values())
    assert len(set(return_path.values())) == 2
    dovecot.append(user, make_dsn(return_path[gone["email"]], gone["email"], message_id="<hard-1@mx.example.net>"))
    soft = {"status": "4.2.2", "diagnostic": "smtp; 452 4.2.2 Mailbox full"}
    dovecot.append(user, make_dsn(return_path[full["email"]], full["email"], **soft))
    dovecot.append(user, make_dsn("bounces+0123456789abcdef0123@weaving.example.org", "x@example.org"))  # forged

    # a dry run shows it and changes nothing
    preview = bounces(workspace=str(demo_ws), dry_run=True)
    assert (preview["hard"], preview["soft"], preview["suppressed"], preview["unmatched"]) == (1, 1, 1, 1)
    assert bounce_counts(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}")) == {}

    summary = bounces(workspace=str(demo_ws))
    assert (summary["read"], summary["hard"], summary["soft"], summary["suppressed"], summary["unmatched"]) == (
        3, 1, 1, 1, 1)  # fmt: skip
    report = Path(summary["report"]).read_text(encoding="utf-8")
    assert gone["name"] in report and "Autumn gathering 1" in report and "5.1.1" in report
    assert gone["id"] not in report and gone["email"] not in report and full["email"] not in report
    assert dovecot.count(user, "UNSEEN") == 3  # the mailbox is left as it was

    # the next run of anything that emails them: the hard-bounced member is skipped, the soft one is not
    delivery = send(demo_ws, "2", people).last  # type: ignore[attr-defined]
    assert [(s.message.member_id, s.reason) for s in delivery.suppressed] == [(gone["id"], "bounced")]
    assert delivery.summary()["sent"] == 1

    # a rerun reads nothing new; a second soft bounce of another message reaches the limit (2)
    again = bounces(workspace=str(demo_ws))
    assert (again["read"], again["hard"], again["soft"], again["suppressed"]) == (0, 0, 0, 0)
    later = [m for m in outbox.messages() if m["X-Weaver-Key"] == f"email:bounce-test:{full['id']}:2"]
    dovecot.append(user, make_dsn(later[0]["Return-Path"].strip("<>"), full["email"], **soft))
    limit = bounces(workspace=str(demo_ws))
    assert (limit["soft"], limit["suppressed"]) == (1, 1)
    assert bounce_counts(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}")) == {"hard": 1, "soft": 2}
    assert send(demo_ws, "3", people).last.summary()["sent"] == 0  # type: ignore[attr-defined]


def test_without_mail_bounces_the_operation_reads_nothing_and_says_so(demo_ws: Path) -> None:
    summary = bounces(workspace=str(demo_ws))
    assert (summary["configured"], summary["read"]) == (False, 0)
    assert "[mail.bounces]" in Path(summary["report"]).read_text(encoding="utf-8")
