"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives and can misbehave on purpose.

It counts TCP connections, refuses chosen recipients for good (550) or for now (451), checks a login,
speaks STARTTLS or TLS from the start with a throw-away certificate, and can run a hook on each message
or recipient (the crash test kills the sender there: during DATA, or before it).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def free_port() -> int:
    """aiosmtpd cannot bind port 0 itself: ask the OS for a free port first."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]

    @property
    def key(self) -> str:
        return str(self.parsed()["X-Weaver-Key"])


@dataclass
class Recorder:
    """The aiosmtpd handler: what arrived, and how to refuse."""

    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 ..." (for good)
    defer: dict[str, int] = field(default_factory=dict)  # address -> how many times to answer 451 first
    on_data: Callable[[Received], str | None] | None = None  # may return a reply instead of 250
    on_rcpt: Callable[[str], None] | None = None  # runs before a recipient is answered (the client waits)
    hang_up_after_data: set[str] = field(default_factory=set)  # take the message, then drop the line
    pipelining: bool = False  # say PIPELINING after EHLO (aiosmtpd takes pipelined commands but does not say so)
    max_connections: int | None = None  # more open at once are answered 421 (a provider's limit per client)
    open: int = 0
    messages: list[Received] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: Any) -> Any:
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if self.on_rcpt is not None:
            self.on_rcpt(address)
        if address in self.refuse:
            return self.refuse[address]
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content))
        with self.lock:
            self.messages.append(received)
        reply = self.on_data(received) if self.on_data else None
        if self.hang_up_after_data & set(received.rcpt_tos):
            server.transport.close()
        return reply or "250 Message accepted for delivery"

    def keys(self) -> list[str]:
        with self.lock:
            return [m.key for m in self.messages]


class _LimitedSMTP(SMTP):
    """aiosmtpd's server, answering 421 at once when the client already holds `max_connections`."""

    async def _handle_client(self) -> None:
        recorder = self.event_handler
        if recorder.max_connections is not None and recorder.open > recorder.max_connections:
            await self.push("421 4.7.0 too many connections from you")
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()

    def connection_lost(self, error: Exception | None) -> None:
        self.event_handler.open -= 1
        super().connection_lost(error)


class _Controller(Controller):
    def factory(self) -> SMTP:
        self.handler.connections += 1
        self.handler.open += 1
        with warnings.catch_warnings():  # login without TLS is what a loopback test wants
            warnings.simplefilter("ignore", UserWarning)
            return _LimitedSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def smtp_server(
    recorder: Recorder | None = None,
    *,
    login: tuple[str, str] | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    smtputf8: bool = False,
) -> Iterator[tuple[Recorder, int]]:
    """Run the server for the block; yields the recorder and the port. `smtputf8` offers SMTPUTF8 (RFC 6531)."""
    recorder = recorder or Recorder()
    kwargs: dict[str, Any] = {"auth_require_tls": False, "enable_SMTPUTF8": smtputf8}
    if login is not None:
        kwargs.update(auth_required=True, authenticator=_authenticator(*login))
    if starttls is not None:
        kwargs.update(tls_context=starttls, require_starttls=True)
    port = free_port()
    controller = _Controller(recorder, hostname="127.0.0.1", port=port, ssl_context=implicit_tls, **kwargs)
    controller.start()
    recorder.connections = 0  # the controller's own start-up probe is not a client
    try:
        yield recorder, port
    finally:
        controller.stop()


def _authenticator(user: str, password: str) -> Callable[..., AuthResult]:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
        return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 535 itself

    return check


# TLS with a throw-away certificate for 127.0.0.1 ----------------------------------------------------------
@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path
    pem: str

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.pem)


def make_certificate(directory: Path) -> Certificate:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_text(pem)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(cert_file, key_file, pem)
