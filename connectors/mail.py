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

import email.message
import email.policy
import hashlib
import mailbox
import smtplib
import ssl
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from email import encoders
from email.header import Header
from email.message import EmailMessage
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
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
        data = asdict(self)
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


@dataclass(frozen=True)
class Sender:
    address: str
    name: str


def build_mime(message: Message, sender: Sender) -> email.message.Message:
    """multipart/alternative (text, html[, calendar]) plus attachments; UTF-8 headers (张伟 in To and From).

    Built with the `email.mime` classes: several times faster than `EmailMessage` header folding, which
    dominated the cost of a large send. Parts are base64 (7-bit clean, so any server takes them, and long
    css-inlined HTML lines never break SMTP's 998-character limit).
    """
    mime: email.message.Message = MIMEMultipart("alternative")
    mime.attach(MIMEText(message.text, "plain", "utf-8"))
    mime.attach(MIMEText(message.html, "html", "utf-8"))
    if message.calendar:
        calendar = MIMEText(message.calendar, "calendar", "utf-8")
        calendar.set_param("method", message.calendar_method)
        mime.attach(calendar)
    if message.attachments:
        mixed = MIMEMultipart("mixed")
        mixed.attach(mime)
        for att in message.attachments:
            mixed.attach(_attachment(att))
        mime = mixed
    mime["Subject"] = Header(message.subject, "utf-8") if not message.subject.isascii() else message.subject
    mime["From"] = _address(sender.name, sender.address)
    mime["To"] = _address(message.to_name, message.to_email)
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = message_id(message.key, sender.address)
    mime["X-Weaver-Key"] = message.key  # lets a coordinator (and tests) match a delivered mail to the ledger
    for name, value in message.headers.items():
        mime[name] = value if value.isascii() else Header(value, "utf-8")
    return mime


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


def _attachment(att: Attachment) -> MIMEBase:
    kind, *params = (p.strip() for p in att.content_type.split(";"))
    maintype, _, subtype = kind.partition("/")
    part = MIMEBase(maintype, subtype)
    for param in params:  # e.g. method=REQUEST on text/calendar
        key, _, value = param.partition("=")
        part.set_param(key.strip(), value.strip().strip('"'))
    part.set_payload(att.data)
    encoders.encode_base64(part)
    filename = att.filename if att.filename.isascii() else ("utf-8", "", att.filename)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


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


class MailSession(Protocol):
    def send(self, message: Message, before_data: BeforeData | None = None) -> Outcome: ...


class MailTransport(Protocol):
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
    def __init__(self, box: mailbox.Maildir, sender: Sender, return_path: ReturnPath | None = None) -> None:
        self.box, self.sender, self.return_path = box, sender, return_path

    def send(self, message: Message, before_data: BeforeData | None = None) -> Outcome:
        mime = build_mime(message, self.sender)
        if self.return_path is not None:  # what a delivering server writes from the envelope sender
            mime["Return-Path"] = f"<{self.return_path(message.key)}>"
        if before_data is not None and not before_data():
            return Outcome.lost_claim()
        self.box.add(mime)
        return Outcome.success("outbox")


class OutboxTransport:
    """A Maildir folder (`outbox/new/*`): each message a file any mail client or `mutt -f` opens."""

    def __init__(self, path: Path, sender: Sender, return_path: ReturnPath | None = None) -> None:
        self.path, self.sender, self.return_path = Path(path), sender, return_path
        self.sent = 0

    def describe(self) -> str:
        return f"outbox {self.path.name}/"

    def check_at(self) -> tuple[str, str]:
        return "outbox", str(self.path)

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        box = mailbox.Maildir(self.path, create=True)
        try:
            yield _OutboxSession(box, self.sender, self.return_path)
        finally:
            box.close()

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
    ) -> None:
        if security not in ("starttls", "ssl", "none"):
            raise FatalError(f"[mail] security {security!r}: expected starttls, ssl or none")
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
        session = _SmtpSession(self)
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


class _SmtpSession:
    def __init__(self, transport: SmtpTransport) -> None:
        self.t = transport
        self._conn: smtplib.SMTP | None = None

    def connection(self) -> smtplib.SMTP:
        if self._conn is None:
            self._conn = self.t.connect()
        return self._conn

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
        body = wire_bytes(build_mime(message, self.t.sender))
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
            self._expect(conn.mail(sender, options), "sender", fatal=True)
            refused = self._expect(conn.rcpt(to), "recipient")
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
        try:
            code, _ = conn.data(body)
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


def _close(conn: smtplib.SMTP | None) -> None:
    if conn is not None:
        try:
            conn.close()
        except OSError:
            pass
