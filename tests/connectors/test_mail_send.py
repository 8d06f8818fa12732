"""Sending near the wire: PIPELINING, the connection pool, the outbox's Maildir files, the wire bytes."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

from connectors.mail import Attachment, Message, OutboxTransport, Sender, SmtpTransport, wire_message
from connectors.retry import RetryPolicy
from tasks.common.delivery import deliver
from tests.standins.smtp import Recorder, smtp_server
from weaver.ledger import Ledger
from weaver.state import StateDB

SENDER = Sender("hello@weaving.example.org", "示范网络 Demo")


def staff(i: int) -> Message:
    return Message(f"t:digest:{i:03d}", f"p{i:03d}@example.org", f"成员 {i}", f"摘要 {i}", f"你好 {i}",
                   f"<p>你好 {i}</p>", "zh", None, "digest")  # fmt: skip


def smtp(port: int, connections: int = 1) -> SmtpTransport:
    policy_ = RetryPolicy(attempts=3, sleep=lambda _s: None)
    return SmtpTransport("127.0.0.1", port, SENDER, security="none", policy=policy_, connections=connections)


def statuses(db: StateDB) -> Counter[str]:
    return Counter(e["status"] for e in Ledger(db, "t").entries())


def test_over_pipelining_refusals_and_deferrals_still_land_where_they_should(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'w.db'}")
    recorder = Recorder(pipelining=True, refuse={"p001@example.org": "550 no such user"},
                        defer={"p002@example.org": 1})  # fmt: skip
    with smtp_server(recorder) as (recorder, port):
        transport = smtp(port)
        with transport.session() as session:
            assert session.connection().has_extn("pipelining")
        delivery = deliver([staff(i) for i in range(5)], transport, db, "t")
    assert sorted(recorder.keys()) == [f"t:digest:{i:03d}" for i in (0, 2, 3, 4)]  # the deferred one on its retry
    assert [a.key for a, _ in delivery.result.failed] == ["t:digest:001"] and delivery.bounced == ["t:digest:001"]
    assert statuses(db) == {"done": 4, "failed": 1}


def test_a_pool_of_connections_sends_each_message_once(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'w.db'}")
    with smtp_server(Recorder(pipelining=True)) as (recorder, port):
        transport = smtp(port, connections=3)
        messages = [staff(i) for i in range(120)]
        first = deliver(messages, transport, db, "t")
        again = deliver(messages, transport, db, "t")
    assert Counter(recorder.keys()) == Counter(m.key for m in messages)  # every message exactly once
    assert 1 < recorder.connections <= 3 and len(first.result.done) == 120 and len(again.result.already_done) == 120
    assert statuses(db) == {"done": 120}


def test_a_pool_respects_a_server_that_takes_fewer_connections(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'w.db'}")
    with smtp_server(Recorder(pipelining=True, max_connections=1)) as (recorder, port):
        transport = smtp(port, connections=3)
        messages = [staff(i) for i in range(60)]
        delivery = deliver(messages, transport, db, "t")
    assert transport.calls["connection refused"] >= 1  # the extra connections were answered 421 and given up
    assert Counter(recorder.keys()) == Counter(m.key for m in messages) and len(delivery.result.done) == 60
    assert statuses(db) == {"done": 60}


def test_the_outbox_writes_whole_files_into_new(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'w.db'}")
    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    deliver([staff(i) for i in range(3)], outbox, db, "t")
    assert len(list((tmp_path / "outbox" / "new").iterdir())) == 3
    assert list((tmp_path / "outbox" / "tmp").iterdir()) == []  # written in tmp/, renamed into new/
    assert sorted(str(m["X-Weaver-Key"]) for m in outbox.messages()) == [f"t:digest:{i:03d}" for i in range(3)]
    assert statuses(db) == {"done": 3}


def test_the_wire_bytes_parse_back_to_the_same_message() -> None:
    ics = Attachment("邀请.ics", "text/calendar; charset=utf-8; method=REQUEST", "SUMMARY:年终圆桌\r\n".encode())
    long_subject = "欢迎来到示范编织网络的年终圆桌：一起回顾这一年的故事与问题，并认识新的伙伴 🌱"
    message = Message("t:invite:m-1", "zhang@example.org", "张伟 (Wei)", long_subject, "第一行\n第二行\n",
                      "<p>你好</p>" * 200, "zh", "m-1", "invite", {"List-Id": "<members.weaving.example.org>"},
                      (ics,), "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")  # fmt: skip
    wire = wire_message(message, SENDER)
    assert all(len(line) <= 998 for line in wire.split(b"\r\n")) and b"\n" not in wire.replace(b"\r\n", b"")
    mail = message_from_bytes(wire, policy=policy.default)
    assert mail["Subject"] == long_subject and mail["To"].addresses[0].display_name == "张伟 (Wei)"
    assert (
        mail["From"].addresses[0].display_name == "示范网络 Demo" and mail["List-Id"] == "<members.weaving.example.org>"
    )
    assert mail.get_body(("plain",)).get_content() == "第一行\n第二行\n"
    assert mail.get_body(("html",)).get_content() == "<p>你好</p>" * 200
    [attachment] = [p for p in mail.walk() if p.get_filename()]
    assert attachment.get_filename() == "邀请.ics" and attachment.get_param("method") == "REQUEST"
    assert attachment.get_payload(decode=True).decode("utf-8") == "SUMMARY:年终圆桌\r\n"
    assert wire_message(message, SENDER).split(b"\r\nDate: ")[0] == wire.split(b"\r\nDate: ")[0]  # built the same
