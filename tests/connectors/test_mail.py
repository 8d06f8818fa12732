"""SMTP through the real smtplib against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.mail import Attachment, Message, Refused, Sender, SmtpTransport
from connectors.retry import RetryPolicy
from flows._runtime import build_mail
from tests.standins.smtp import Certificate, Recorder, free_port, make_certificate, smtp_server
from weaver.errors import ConfigError, FatalError, RetriableError
from weaver.workspace import Workspace

SENDER = Sender("hello@weaving.example.org", "示范网络 Demo")


def message(i: int = 0, to: str = "zw@example.cn", **kw: object) -> Message:
    fields: dict = {"key": f"test:welcome:m-{i}", "to_email": to, "to_name": "张伟", "subject": "欢迎加入示范网络",
                    "text": f"你好 {i}", "html": f"<p>你好 {i}</p>", "language": "zh",
                    "member_id": f"m-{i}"}  # fmt: skip
    return Message(**{**fields, **kw})


def transport(port: int, **kw: object) -> SmtpTransport:
    options: dict = {"security": "none", "policy": RetryPolicy(attempts=4, sleep=lambda _s: None), **kw}
    return SmtpTransport("127.0.0.1", port, SENDER, **options)


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server() as running:
        yield running


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


def test_multipart_structure(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    ics = Attachment("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    with transport(port).session() as session:
        assert session.send(message(attachments=(ics,))).ok
    mail = recorder.messages[0].parsed()
    assert mail.get_content_type() == "multipart/mixed"
    body, attached = mail.get_payload()  # type: ignore[misc]
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.get_payload()] == ["text/plain", "text/html"]
    assert mail.get_body(("plain",)).get_content().strip() == "你好 0"
    assert mail.get_body(("html",)).get_content().strip() == "<p>你好 0</p>"
    assert attached.get_filename() == "invite.ics"
    assert mail["X-Weaver-Key"] == "test:welcome:m-0"


def test_chinese_subject_and_display_names_decode(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    with transport(port).session() as session:
        session.send(message())
    raw = recorder.messages[0].data
    assert raw.isascii()  # encoded words on the wire, readable by any server
    mail = recorder.messages[0].parsed()
    assert mail["Subject"] == "欢迎加入示范网络"
    assert mail["To"].addresses[0].display_name == "张伟"
    assert mail["From"].addresses[0].display_name == "示范网络 Demo"
    assert recorder.messages[0].rcpt_tos == ["zw@example.cn"]
    assert recorder.messages[0].mail_from == "hello@weaving.example.org"


def test_one_connection_for_a_whole_batch(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    smtp = transport(port)
    with smtp.session() as session:
        outcomes = [session.send(message(i, f"p{i}@example.org")) for i in range(20)]
    assert all(o.ok for o in outcomes) and len(recorder.messages) == 20
    assert recorder.connections == 1 and smtp.calls["connect"] == 1


def test_a_refused_recipient_fails_only_its_message(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.refuse["gone@example.org"] = "550 5.1.1 no such user"
    with transport(port).session() as session:
        outcomes = [session.send(message(i, to)) for i, to in enumerate(["a@example.org", "gone@example.org",
                                                                           "b@example.org"])]  # fmt: skip
    assert [o.ok for o in outcomes] == [True, False, True]
    assert isinstance(outcomes[1], Refused) and outcomes[1].code == 550 and not outcomes[1].retry
    assert [m.rcpt_tos for m in recorder.messages] == [["a@example.org"], ["b@example.org"]]
    assert recorder.connections == 1


def test_a_transient_refusal_is_retried_then_sent(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.defer["busy@example.org"] = 2
    waits: list[float] = []
    policy = RetryPolicy(attempts=4, base_seconds=1.0, sleep=waits.append, rand=lambda: 0.9)
    with transport(port, policy=policy).session() as session:
        outcome = session.send(message(to="busy@example.org"))
    assert outcome.ok and len(recorder.messages) == 1
    assert waits == [0.9, 1.8]  # backed off (full jitter, doubling), through the project's one retry loop


def test_a_refusal_that_lasts_is_left_for_a_later_run(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.defer["busy@example.org"] = 100
    with transport(port, policy=RetryPolicy(attempts=3, sleep=lambda _s: None)).session() as session:
        outcome = session.send(message(to="busy@example.org"))
        after = session.send(message(1, "ok@example.org"))
    assert not outcome.ok and outcome.retry and "451" in outcome.detail
    assert after.ok and recorder.defer["busy@example.org"] == 97  # three tries, then the batch went on


def test_login_failure_is_one_clear_error_without_the_password() -> None:
    with smtp_server(login=("weaver", "right-password")) as (recorder, port):
        smtp = transport(port, username="weaver", password="hunter2-wrong", password_hint="env SMTP_PASSWORD")
        with pytest.raises(FatalError) as err:
            with smtp.session():
                pass
    text = str(err.value)
    assert f"127.0.0.1:{port}" in text and "535" in text and "env SMTP_PASSWORD" in text
    assert "hunter2" not in text and "hunter2" not in repr(smtp)
    assert recorder.messages == []


def test_login_then_send() -> None:
    with smtp_server(login=("weaver", "right-password")) as (recorder, port):
        smtp = transport(port, username="weaver", password="right-password")
        with smtp.session() as session:
            assert session.send(message()).ok
    assert smtp.calls["login"] == 1 and len(recorder.messages) == 1


def test_starttls_upgrades_the_connection_before_login(cert: Certificate) -> None:
    with smtp_server(login=("weaver", "pw"), starttls=cert.server_context()) as (recorder, port):
        smtp = transport(port, security="starttls", ssl_context=cert.client_context(), username="weaver",
                         password="pw")  # fmt: skip
        with smtp.session() as session:
            assert session.send(message()).ok
    assert len(recorder.messages) == 1


def test_tls_from_the_start(cert: Certificate) -> None:
    with smtp_server(implicit_tls=cert.server_context()) as (recorder, port):
        with transport(port, security="ssl", ssl_context=cert.client_context()).session() as session:
            assert session.send(message()).ok
    assert len(recorder.messages) == 1


def test_an_untrusted_certificate_is_a_clear_error(cert: Certificate) -> None:
    with smtp_server(implicit_tls=cert.server_context()) as (_recorder, port):
        with pytest.raises(FatalError, match="TLS failed"):
            with transport(port, security="ssl").session():  # the system trust store does not know this cert
                pass


def test_an_unreachable_server_is_retriable() -> None:
    with pytest.raises(RetriableError, match=r"cannot be reached"):
        with transport(free_port(), timeout=2).session():
            pass


def test_a_connection_lost_after_handing_over_is_unknown(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.hang_up_after_data.add("b@example.org")  # the server takes the message, then the line drops
    with transport(port).session() as session:
        outcome = session.send(message(1, "b@example.org"))
        after = session.send(message(2, "c@example.org"))  # the session reconnects for the next one
    assert not outcome.ok and outcome.uncertain and not outcome.retry
    assert len(recorder.messages) == 2 and after.ok and recorder.connections == 2


def test_build_mail_reads_the_password_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "weaver.toml"
    config.write_text(
        '[tables]\nbackend = "csv"\npath = "t"\n[mail]\nbackend = "smtp"\nhost = "127.0.0.1"\n'
        'username = "weaver"\npassword = { env = "WEAVER_TEST_SMTP_PASSWORD" }\n',
        encoding="utf-8",
    )
    monkeypatch.delenv("WEAVER_TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(ConfigError, match="WEAVER_TEST_SMTP_PASSWORD.*not set"):
        build_mail(Workspace.open(config))
    monkeypatch.setenv("WEAVER_TEST_SMTP_PASSWORD", "s3cret")
    smtp = build_mail(Workspace.open(config))
    assert isinstance(smtp, SmtpTransport) and smtp.port == 587 and "s3cret" not in repr(smtp)


# internationalised addresses ------------------------------------------------------------------------------
def test_an_idn_domain_goes_in_its_idna_form_to_a_server_without_smtputf8(server: tuple[Recorder, int]) -> None:
    recorder, port = server
    with transport(port).session() as session:
        assert session.send(message(to="zoe@exämple.org")).ok
        refused = session.send(message(1, to="用户@例子.中国"))  # no ASCII form of the local part
    assert recorder.messages[0].rcpt_tos == ["zoe@xn--exmple-cua.org"]
    assert recorder.messages[0].data.isascii()
    assert recorder.messages[0].parsed()["To"].addresses[0].addr_spec == "zoe@xn--exmple-cua.org"
    assert not refused.ok and "SMTPUTF8" in refused.detail and len(recorder.messages) == 1


def test_a_server_offering_smtputf8_gets_the_addresses_as_they_are() -> None:
    with smtp_server(smtputf8=True) as (recorder, port), transport(port).session() as session:
        assert session.send(message(to="用户@例子.中国")).ok
        assert session.send(message(1, to="zw@example.cn")).ok  # the next transaction is plain again
    assert recorder.messages[0].rcpt_tos == ["用户@例子.中国"]
    assert recorder.messages[1].rcpt_tos == ["zw@example.cn"]


def test_an_idn_address_lands_in_the_outbox(tmp_path: Path) -> None:
    from connectors.mail import OutboxTransport

    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    with outbox.session() as session:
        assert session.send(message(to="zoe@exämple.org")).ok
    [mail] = outbox.messages()
    assert mail["To"].addresses[0].addr_spec == "zoe@xn--exmple-cua.org"


def test_the_message_id_comes_from_the_ledger_key_so_a_resend_is_recognisable() -> None:
    from connectors.mail import Message, Sender, build_mime

    sender = Sender("hello@weaving.example.org", "示范网络")
    one = Message("invite:ev-1:m-1:seq0", "a@example.org", "A", "s", "t", "<p>h</p>", "en", "m-1", "event_invite")
    other = Message("invite:ev-1:m-2:seq0", "b@example.org", "B", "s", "t", "<p>h</p>", "en", "m-2", "event_invite")
    first, again = build_mime(one, sender)["Message-ID"], build_mime(one, sender)["Message-ID"]
    assert first == again and first.endswith("@weaving.example.org>") and "m-1" not in first
    assert build_mime(other, sender)["Message-ID"] != first


# VERP: each message's own envelope sender ------------------------------------------------------------------
def test_with_a_return_path_each_message_leaves_with_its_own_envelope_sender(server: tuple[Recorder, int]) -> None:
    from tasks.common.return_path import return_path_for, return_path_token

    recorder, port = server
    verp = return_path_for("bounces@weaving.example.org", b"k" * 32)
    with transport(port, return_path=verp).session() as session:
        assert session.send(message(1)).ok and session.send(message(2)).ok
    first, second = recorder.messages
    assert first.mail_from == f"bounces+{return_path_token(b'k' * 32, 'test:welcome:m-1')}@weaving.example.org"
    assert second.mail_from != first.mail_from and second.mail_from.startswith("bounces+")
    assert first.parsed()["From"].addresses[0].addr_spec == SENDER.address  # the From people see is unchanged
    with transport(port).session() as session:  # without [mail.bounces]: the from_address, as before
        assert session.send(message(3)).ok
    assert recorder.messages[-1].mail_from == SENDER.address


def test_the_outbox_records_the_return_path_as_a_delivering_server_would(tmp_path: Path) -> None:
    from connectors.mail import OutboxTransport
    from tasks.common.return_path import return_path_for

    verp = return_path_for("bounces@weaving.example.org", b"k" * 32)
    box = OutboxTransport(tmp_path / "outbox", SENDER, verp)
    with box.session() as session:
        session.send(message(1))
    [mail] = box.messages()
    assert mail["Return-Path"] == f"<{verp('test:welcome:m-1')}>"
