"""The email role: messages as MIME, delivered through a transport with one session per batch.

Do not rename this module to email.py: it would shadow the standard library.

Transports implement `MailTransport`; the embedded default is `OutboxTransport`, a Maildir folder in the
workspace that any mail client opens; `SmtpTransport` talks to a real server (smtplib). `session()` opens
one connection for a whole batch and `send` returns an `Outcome` per message: a refused recipient fails
that message only (`Refused`, so the address can be suppressed), a transient 4xx is retried a bounded
number of times, and a connection lost while the server held the message is `Outcome.unknown`, never
silently sent again.
"""

from __future__ import annotations

import base64
import email.message
import email.policy
import hashlib
import mailbox
import os
import queue
import re
import smtplib
import ssl
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import idna

from connectors.retry import RetryPolicy, retry
from weaver.errors import FatalError, RetriableError, WeaverError
from weaver.ledger import Outcome
from weaver.state import utcnow


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "text/calendar; method=REQUEST"
    data: bytes


@dataclass(frozen=True)
class Message:
    """One personalised email. `key` is its ledger key: (purpose, member, occasion)."""

    key: str
    to_email: str
    to_name: str
    subject: str
    text: str
    html: str
    language: str
    member_id: str | None = None  # None for staff (weavers, owners), who are not members
    purpose: str = ""  # template or kind, for reports: welcome, invite, digest ...
    headers: dict[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    calendar: str | None = None  # an iCalendar text sent as a text/calendar alternative part
    calendar_method: str = "REQUEST"

    def to_payload(self) -> dict[str, Any]:
        """For the ledger, so a coordinator can resend exactly this message later."""
        data = {name: getattr(self, name) for name in _MESSAGE_FIELDS}  # shallow: asdict deep-copies every string
        data["headers"] = dict(self.headers)
        data["attachments"] = [
            {"filename": a.filename, "content_type": a.content_type, "data": a.data.decode("latin-1")}
            for a in self.attachments
        ]
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Message:
        attachments = tuple(
            Attachment(a["filename"], a["content_type"], a["data"].encode("latin-1")) for a in data["attachments"]
        )
        return cls(**{**data, "attachments": attachments})


_MESSAGE_FIELDS = tuple(f.name for f in fields(Message))


@dataclass(frozen=True)
class Sender:
    address: str
    name: str


def build_mime(message: Message, sender: Sender) -> email.message.Message:
    """The message as the standard library's object (for tests and tools): exactly the bytes we send, parsed."""
    return email.message_from_bytes(wire_message(message, sender), policy=_WIRE)


def wire_message(message: Message, sender: Sender) -> bytes:
    """The message as it goes on the wire (CRLF line ends), built once, straight to bytes.

    multipart/alternative (text, html[, calendar]) inside multipart/mixed when there are attachments; UTF-8
    headers as RFC 2047 encoded words (张伟 in To and From). Parts are base64: 7-bit clean, so any server takes
    them and long css-inlined HTML lines never break SMTP's 998-character limit; and since no base64 line can
    start with "--", our own boundary (from the ledger key) never needs the standard library's search through
    the text (a regular expression compiled per message). The sender's header and attachments are encoded
    once and reused. Parsed back by `email`, it is the same message `email.mime` used to build, much cheaper.
    """
    digest = hashlib.sha256(message.key.encode("utf-8")).hexdigest()[:24]
    inner = f"=_weaver_alt_{digest}"
    parts = [_text_part(message.text, "plain"), _text_part(message.html, "html")]
    if message.calendar:
        parts.append(_text_part(message.calendar, "calendar", f'; method="{message.calendar_method}"'))
    body = _multipart(inner, parts)
    content_type = f'multipart/alternative; boundary="{inner}"'
    if message.attachments:
        outer = f"=_weaver_mix_{digest}"
        head = f"Content-Type: {content_type}\r\n\r\n".encode("ascii")
        body = _multipart(outer, [head + body] + [_attachment_part(a) for a in message.attachments])
        content_type = f'multipart/mixed; boundary="{outer}"'
    headers = [
        f"Content-Type: {content_type}",
        "MIME-Version: 1.0",
        f"Subject: {_header_value(message.subject)}",
        f"From: {_sender_header(sender.name, sender.address)}",
        f"To: {_address(message.to_name, message.to_email)}",
        f"Date: {format_datetime(utcnow())}",
        f"Message-ID: {message_id(message.key, sender.address)}",
        f"X-Weaver-Key: {_header_value(message.key)}",  # lets a coordinator (and tests) match a mail to the ledger
    ]
    headers += [f"{name}: {_header_value(value)}" for name, value in message.headers.items()]
    head = "\r\n".join(headers) + "\r\n\r\n"
    try:
        return head.encode("ascii") + body
    except UnicodeEncodeError:  # only an address with a non-ASCII local part (for a server offering SMTPUTF8)
        return head.encode("utf-8") + body


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    sep = f"--{boundary}\r\n".encode("ascii")
    return b"".join(sep + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode("ascii")


def _text_part(text: str, subtype: str, params: str = "") -> bytes:
    head = f'Content-Type: text/{subtype}; charset="utf-8"{params}\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    return head.encode("ascii") + _base64_lines(text.encode("utf-8"))


def _base64_lines(data: bytes) -> bytes:
    """Base64 in 76-character lines, each ending in CRLF (RFC 2045)."""
    encoded = base64.b64encode(data)
    return b"".join(encoded[i : i + 76] + b"\r\n" for i in range(0, len(encoded), 76))


@lru_cache(maxsize=64)
def _attachment_part(att: Attachment) -> bytes:
    """An attachment, encoded once however many messages carry it."""
    kind, *params = (p.strip() for p in att.content_type.split(";"))
    extra = "".join(f'; {k.strip()}="{v.strip().strip(chr(34))}"' for k, _, v in (p.partition("=") for p in params))
    if att.filename.isascii():
        filename = f'filename="{att.filename}"'
    else:  # RFC 2231
        filename = f"filename*=utf-8''{urllib.parse.quote(att.filename, safe='')}"
    head = (
        f"Content-Type: {kind}{extra}\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n"
        f"Content-Disposition: attachment; {filename}\r\n\r\n"
    )
    return head.encode("ascii") + _base64_lines(att.data)


def _header_value(value: str) -> str:
    """ASCII as it is (line breaks removed); anything else as RFC 2047 encoded words of at most 75 characters."""
    if value.isascii():
        return " ".join(value.splitlines())
    data, words, start = value.encode("utf-8"), [], 0
    while start < len(data):
        end = min(start + 45, len(data))  # 45 bytes -> 60 base64 characters: each word stays under 76
        while end < len(data) and data[end] & 0xC0 == 0x80:  # never split a character
            end -= 1
        words.append(f"=?utf-8?b?{base64.b64encode(data[start:end]).decode('ascii')}?=")
        start = end
    return "\r\n ".join(words)


@lru_cache(maxsize=16)
def _sender_header(name: str, address: str) -> str:
    return _address(name, address)


def message_id(key: str, sender_address: str) -> str:
    """A Message-ID made from the ledger key: a resend of the same message carries the same id, so the
    coordinator (in the SMTP server's log) and a receiving system recognise it; the key itself is not shown."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    domain = sender_address.rpartition("@")[2] or "localhost"
    return f"<{digest}.weaver@{domain}>"


def _address(name: str, address: str) -> str:
    ascii_form = ascii_address(address)
    if ascii_form is not None:
        return formataddr((name, ascii_form), "utf-8")
    # a non-ASCII local part (用户@例子.中国): only a server offering SMTPUTF8 takes it, as UTF-8 headers
    shown = formataddr((name, "x@x"), "utf-8").rpartition("<")[0] if name else ""
    return f"{shown}<{address}>" if shown else address


def ascii_address(address: str) -> str | None:
    """The address with an internationalised domain in its IDNA form (zoe@exämple.org -> zoe@xn--exmple-cua.org),
    for servers without SMTPUTF8 and for headers; None when the local part is not ASCII or the domain is not
    a valid IDNA name (such an address can only go through a server that offers SMTPUTF8)."""
    if address.isascii():
        return address
    local, at, domain = address.rpartition("@")
    if not at or not local.isascii():
        return None
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except idna.IDNAError:
        return None


# CRLF line ends on the wire: smtplib sends bytes as they are, and some servers refuse bare LF.
_WIRE = email.policy.compat32.clone(linesep="\r\n")


def wire_bytes(mime: email.message.Message) -> bytes:
    return mime.as_bytes(policy=_WIRE)


@dataclass(frozen=True)
class Refused(Outcome):
    """The server refused the recipient for good (5xx): that address must not be emailed again."""

    code: int = 550


# Called just before a message is handed over (SMTP: after MAIL FROM and RCPT TO were accepted, before DATA);
# it records the hand-over durably (`Ledger.hand_over`) and says whether the message may go (False: the claim
# is no longer ours, the message is not sent).
BeforeData = Callable[[], bool]


@dataclass(frozen=True)
class Handing:
    """One message of a batch: the hand-over hook (before its DATA) and what to do with its outcome at once."""

    message: Message
    before_data: BeforeData | None = None
    after: Callable[[Outcome], None] | None = None

    def done(self, outcome: Outcome) -> Outcome:
        if self.after is not None:
            self.after(outcome)
        return outcome


class MailSession(Protocol):
    def send(self, message: Message, before_data: BeforeData | None = None) -> Outcome: ...

    def send_all(self, items: Sequence[Handing]) -> list[Outcome]:
        """Every message of a batch, an outcome each in order (a pool sends several at once)."""
        ...


class MailTransport(Protocol):
    # True when handing the same message (ledger key) over twice delivers it once: the sender then needs no
    # durable hand-over mark before each message, and the ledger marks a whole batch in one commit
    idempotent: bool

    def describe(self) -> str: ...

    def check_at(self) -> tuple[str, str]:
        """Where a coordinator checks whether a message arrived: ("smtp", "host:port") -> the server's log,
        by Message-ID; ("outbox", path) -> the outbox folder."""
        ...

    def session(self) -> Any:
        """A context manager yielding a MailSession: one connection for a whole batch."""
        ...


ReturnPath = Callable[[str], str]  # ledger key -> envelope sender (VERP, tasks/common/return_path.py)


class _OutboxSession:
    """Writes each message as a Maildir file: into tmp/, then renamed into new/ (atomic: a mail client never
    sees half a file, even if we are killed mid-write). No fsync per message, unlike `mailbox.Maildir.add`:
    that protects a message against a power cut only, which the state database's ledger (SQLite, WAL,
    synchronous=NORMAL) does not promise either; the folder is synced once when the session closes.

    A file is named after the message's ledger key, so handing the same message over again (a rerun after a
    crash between the rename and the ledger's mark) finds it in new/ or cur/ (where a mail client moves what
    it read) and writes nothing: the outbox needs no hand-over mark before each message (`idempotent`)."""

    def __init__(self, path: Path, sender: Sender, return_path: ReturnPath | None = None) -> None:
        self.path, self.sender, self.return_path = path, sender, return_path
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        self._read = {name.split(":", 1)[0] for name in os.listdir(path / "cur")}  # "<name>:2,<flags>"

    def _add(self, key: str, data: bytes) -> None:
        name = outbox_name(key)
        final = self.path / "new" / name
        if name in self._read or final.exists():
            return  # handed over before (the ledger had not marked it yet): never a second copy
        tmp = self.path / "tmp" / f"{name}.{os.getpid()}.{threading.get_ident()}"
        with open(tmp, "wb") as file:
            file.write(data)
        os.rename(tmp, final)

    def send_all(self, items: Sequence[Handing]) -> list[Outcome]:
        return [item.done(self.send(item.message, item.before_data)) for item in items]

    def close(self) -> None:
        fd = os.open(self.path / "new", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def send(self, message: Message, before_data: BeforeData | None = None) -> Outcome:
        mime = wire_message(message, self.sender).replace(b"\r\n", b"\n")  # a Maildir file has plain line ends
        if self.return_path is not None:  # what a delivering server writes from the envelope sender
            mime = f"Return-Path: <{self.return_path(message.key)}>\n".encode() + mime
        if before_data is not None and not before_data():
            return Outcome.lost_claim()
        self._add(message.key, mime)
        return Outcome.success("outbox")


def outbox_name(key: str) -> str:
    """The Maildir file name of a message: unique per ledger key, the same on every run ("w" + 32 hex)."""
    return "w" + hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


class OutboxTransport:
    """A Maildir folder (`outbox/new/*`): each message a file any mail client or `mutt -f` opens."""

    idempotent = True  # the same message handed over twice is one file (see `_OutboxSession`)

    def __init__(self, path: Path, sender: Sender, return_path: ReturnPath | None = None) -> None:
        self.path, self.sender, self.return_path = Path(path), sender, return_path
        self.sent = 0

    def describe(self) -> str:
        return f"outbox {self.path.name}/"

    def check_at(self) -> tuple[str, str]:
        return "outbox", str(self.path)

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        session = _OutboxSession(self.path, self.sender, self.return_path)
        try:
            yield session
        finally:
            session.close()

    def messages(self) -> list[EmailMessage]:
        """Everything in the outbox, parsed (for tests and the demo summary)."""
        if not self.path.exists():
            return []
        box = mailbox.Maildir(self.path, create=False)
        parse = email.message_from_bytes
        return [parse(box.get_bytes(k), policy=email.policy.default) for k in box.keys()]  # type: ignore[misc]


# SMTP ---------------------------------------------------------------------------------------------------
class Deferred(RetriableError):
    """This message was refused for now (4xx) or the line dropped before the server took it: safe to retry."""


class SmtpTransport:
    """An SMTP server through smtplib: one connection (and one login) per session, reused for the batch.

    A message refused for now (4xx) is tried again under `policy` (the project's one retry loop), then
    left for a later run; a reconnect after a dropped line is part of the same bounded loop. `ssl_context`
    and `policy.sleep` are the test seams. `calls` counts connections, logins and messages handed over.
    """

    idempotent = False  # a message handed over twice arrives twice: the ledger marks each hand-over first

    def __init__(
        self,
        host: str,
        port: int,
        sender: Sender,
        *,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        password_hint: str = "the configured password",
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        ssl_context: ssl.SSLContext | None = None,
        return_path: ReturnPath | None = None,
        connections: int = 1,
    ) -> None:
        if security not in ("starttls", "ssl", "none"):
            raise FatalError(f"[mail] security {security!r}: expected starttls, ssl or none")
        if not 1 <= connections <= MAX_CONNECTIONS:
            raise FatalError(f"[mail] connections {connections}: expected 1 to {MAX_CONNECTIONS}")
        self.connections = connections
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.username, self._password, self._hint = username, password, password_hint
        self.timeout, self.policy = timeout, policy or RetryPolicy(attempts=4, budget_seconds=60.0)
        self._ssl_context = ssl_context
        self.return_path = return_path  # the envelope sender per message (VERP); else from_address
        self.calls: Counter[str] = Counter()

    def __repr__(self) -> str:  # never the password
        return f"SmtpTransport({self.host}:{self.port}, {self.security})"

    def describe(self) -> str:
        return f"smtp {self.host}:{self.port}"

    def check_at(self) -> tuple[str, str]:
        return "smtp", f"{self.host}:{self.port}"

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        session: _SmtpSession | _SmtpPool = _SmtpSession(self) if self.connections == 1 else _SmtpPool(self)
        session.connection()  # connect and log in now: a bad password fails before anything is claimed
        try:
            yield session
        finally:
            session.close()

    # connecting ------------------------------------------------------------------------------------------
    def connect(self) -> smtplib.SMTP:
        """A connected, secured and logged-in client, or one clear RetriableError / FatalError."""
        conn: smtplib.SMTP | None = None
        try:
            conn = self._open()
            self._secure_and_login(conn)
            return conn
        except Exception as exc:
            _close(conn)
            raise self._translate(exc) from None

    def _translate(self, exc: Exception) -> Exception:
        """Our error for a failed connect or login; the message never holds the password or server text."""
        where = f"SMTP server {self.host}:{self.port}"
        if isinstance(exc, WeaverError):
            return exc
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return FatalError(
                f"{where}: login as the configured [mail] username was refused ({exc.smtp_code}); "
                f"check the username and {self._hint}"
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return FatalError(f"{where} does not offer login (AUTH); check [mail] security and port")
        if isinstance(exc, ssl.SSLError):
            return FatalError(f"{where}: TLS failed ({exc.reason or type(exc).__name__}); check [mail] security")
        if isinstance(exc, smtplib.SMTPException | OSError):
            return RetriableError(f"{where} cannot be reached ({type(exc).__name__})")
        return exc

    def _open(self) -> smtplib.SMTP:
        self.calls["connect"] += 1
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)

    def _secure_and_login(self, conn: smtplib.SMTP) -> None:
        conn.ehlo()
        if self.security == "starttls":
            if not conn.has_extn("starttls"):
                raise FatalError(f"SMTP server {self.host}:{self.port} does not offer STARTTLS; check [mail] security")
            conn.starttls(context=self._context())
            conn.ehlo()
        if self.username:
            self.calls["login"] += 1
            conn.login(self.username, self._password or "")

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context


MAX_CONNECTIONS = 8  # more would only queue at the server; providers limit concurrent connections too


class _SmtpPool:
    """A few connections to the same server, each handing over one message at a time (`send_all` spreads a
    batch over them, so a crash leaves at most one message per connection in DATA).

    The first connection opens at once (a bad password fails before anything is claimed); the others when
    first needed. A server that refuses an extra connection (its limit per client) is respected: that slot is
    retired and the others carry on.
    """

    def __init__(self, transport: SmtpTransport) -> None:
        self.t = transport
        self.sessions = [_SmtpSession(transport) for _ in range(transport.connections)]
        self._idle: queue.SimpleQueue[_SmtpSession] = queue.SimpleQueue()
        for session in self.sessions:
            self._idle.put(session)
        self._workers = ThreadPoolExecutor(max_workers=transport.connections, thread_name_prefix="smtp")

    def connection(self) -> smtplib.SMTP:
        return self.sessions[0].connection()

    def send(self, message: Message, before_data: BeforeData | None = None) -> Outcome:
        return self.sessions[0].send(message, before_data)

    def send_all(self, items: Sequence[Handing]) -> list[Outcome]:
        if len(items) < 2:
            return [item.done(self.send(item.message, item.before_data)) for item in items]
        futures = [self._workers.submit(self._pooled, item) for item in items]
        wait(futures)  # every connection is quiet before anything is reported (or a claim given back)
        for future in futures:
            if future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        return [future.result() for future in futures]

    def _pooled(self, item: Handing) -> Outcome:
        while True:
            session = self._idle.get()
            if session._conn is None and session is not self.sessions[0]:
                try:
                    session.connection()
                except RetriableError:  # the server takes fewer connections from us: go on without this one
                    self.t.calls["connection refused"] += 1
                    continue  # never put back
            try:
                return item.done(session.send(item.message, item.before_data))
            finally:
                self._idle.put(session)

    def close(self) -> None:
        self._workers.shutdown(wait=True)
        for session in self.sessions:
            session.close()


class _SmtpSession:
    def __init__(self, transport: SmtpTransport) -> None:
        self.t = transport
        self._conn: smtplib.SMTP | None = None
        # the next message's wire bytes, built while the server works on this one's DATA (see `_data`)
        self._meanwhile: Message | None = None
        self._prepared: tuple[Message, bytes] | None = None

    def connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self.t.connect()
            self._conn.ehlo_or_helo_if_needed()  # the extensions (PIPELINING) are known before the first message
        return self._conn

    def send_all(self, items: Sequence[Handing]) -> list[Outcome]:
        outcomes = []
        for i, item in enumerate(items):
            self._meanwhile = items[i + 1].message if i + 1 < len(items) else None
            try:
                outcomes.append(item.done(self.send(item.message, item.before_data)))
            finally:
                self._meanwhile = None
        return outcomes

    def drop(self) -> None:
        _close(self._conn)
        self._conn = None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.drop()

    def send(self, message: Message, before_data: BeforeData | None = None) -> Outcome:
        """Hand one message over; retry a transient refusal boundedly, then leave it for a later run."""
        prepared, self._prepared = self._prepared, None
        body = prepared[1] if prepared is not None and prepared[0] is message else wire_message(message, self.t.sender)
        envelope = self.t.return_path(message.key) if self.t.return_path else self.t.sender.address
        try:
            return retry(lambda: self._transact(body, message.to_email, envelope, before_data), self.t.policy)
        except Deferred as exc:  # a server that cannot be reached at all stops the batch instead
            return Outcome.failure(f"deferred: {exc}", retry=True)

    def _transact(self, body: bytes, to: str, sender: str, before_data: BeforeData | None = None) -> Outcome:
        conn = self.connection()
        options: list[str] = []
        conn.command_encoding = "ascii"  # smtplib keeps UTF-8 after an SMTPUTF8 transaction; each starts anew
        if not (sender.isascii() and to.isascii()):  # an internationalised address (zoe@exämple.org)
            conn.ehlo_or_helo_if_needed()
            if conn.has_extn("smtputf8"):
                options = ["SMTPUTF8"]  # the server takes UTF-8 addresses as they are
            else:  # IDNA for the domain; a non-ASCII local part has no ASCII form
                sender, to = ascii_address(sender) or "", ascii_address(to) or ""
                if not (sender and to):
                    return Outcome.failure("an address with a non-ASCII local part needs a server offering SMTPUTF8")
        try:
            if options or not conn.has_extn("pipelining"):
                mail_reply, rcpt_reply = conn.mail(sender, options), conn.rcpt(to)
            else:  # RFC 2920: MAIL FROM and RCPT TO in one write, one round trip for both answers
                conn.send(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{to}>\r\n")  # addresses checked when read
                mail_reply, rcpt_reply = conn.getreply(), conn.getreply()
            self._expect(mail_reply, "sender", fatal=True)
            refused = self._expect(rcpt_reply, "recipient")
            if refused is not None:
                return refused
            if before_data is not None and not before_data():  # recorded as handed over, durably, or not ours
                self._reset()
                return Outcome.lost_claim()
            return self._data(conn, body)
        except smtplib.SMTPServerDisconnected:
            self.drop()
            raise Deferred("connection lost before the message was handed over") from None
        except smtplib.SMTPDataError as exc:  # the DATA command itself was refused: nothing was sent
            self._reset()
            if 400 <= exc.smtp_code < 500:
                raise Deferred(f"DATA deferred ({exc.smtp_code})") from None
            return Outcome.failure(f"DATA refused ({exc.smtp_code})")
        except OSError:
            self.drop()
            raise Deferred("connection error before the message was handed over") from None

    def _expect(self, reply: tuple[int, bytes], what: str, fatal: bool = False) -> Outcome | None:
        code = reply[0]
        if code in (250, 251):
            return None
        self._abandon(code)
        if 400 <= code < 500:
            raise Deferred(f"{what} deferred ({code})")
        if fatal:
            raise FatalError(f"SMTP server {self.t.host}:{self.t.port} refuses the [mail] from_address ({code})")
        return Refused(False, f"recipient refused ({code})", code=code)

    def _data(self, conn: smtplib.SMTP, body: bytes) -> Outcome:
        """DATA as smtplib sends it, and while the server takes the message in, the next one is built."""
        try:
            code, reply = conn.docmd("DATA")
            if code != 354:
                raise smtplib.SMTPDataError(code, reply)
            conn.send(_DOT.sub(b"..", body) + b".\r\n")  # the wire bytes end in CRLF
            following = self._meanwhile
            if following is not None and self._prepared is None:
                self._prepared = (following, wire_message(following, self.t.sender))
            code, _ = conn.getreply()
        except smtplib.SMTPDataError:
            raise
        except (smtplib.SMTPServerDisconnected, OSError):
            # the server may have taken the message before the connection dropped: do not guess
            self.drop()
            return Outcome.unknown("connection lost while handing the message over: outcome unknown")
        self.t.calls["message"] += 1
        if code == 250:
            return Outcome.success(f"smtp {self.t.host}")
        self._abandon(code)
        if 400 <= code < 500:
            raise Deferred(f"message deferred ({code})")
        return Outcome.failure(f"message refused ({code})")

    def _abandon(self, code: int) -> None:
        """End a refused transaction: RSET, or drop the connection when the server is closing it (421)."""
        if code == 421:
            self.drop()
        else:
            self._reset()

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self.drop()


_DOT = re.compile(rb"(?m)^\.")  # a line starting with "." gets another one (RFC 5321 4.5.2)


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except OSError:
            pass
