"""The email role: messages as MIME, delivered through a transport with one session per batch.

Do not rename this module to email.py: it would shadow the standard library.

Transports implement `MailTransport`; the embedded default is `OutboxTransport`, a Maildir folder in the
workspace that any mail client opens. `session()` opens one connection for a whole batch and `send` returns
an `Outcome` per message (a refused recipient fails that message only).
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

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


def build_mime(message: Message, sender: Sender) -> EmailMessage:
    """multipart/alternative (text, html[, calendar]) plus attachments; UTF-8 headers (张伟 in To and From)."""
    mime = EmailMessage()
    mime["Subject"] = message.subject
    mime["From"] = Address(display_name=sender.name, addr_spec=sender.address)
    mime["To"] = Address(display_name=message.to_name, addr_spec=message.to_email)
    mime["Date"] = format_datetime(utcnow())
    mime["Message-ID"] = make_msgid(domain=sender.address.rpartition("@")[2] or None)
    mime["X-Weaver-Key"] = message.key  # lets a coordinator (and tests) match a delivered mail to the ledger
    for name, value in message.headers.items():
        mime[name] = value
    mime.set_content(message.text, charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    if message.calendar:
        mime.add_alternative(
            message.calendar, subtype="calendar", charset="utf-8", params={"method": message.calendar_method}
        )
    for att in message.attachments:
        maintype, _, subtype = att.content_type.partition(";")[0].partition("/")
        mime.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
    return mime


class MailSession(Protocol):
    def send(self, message: Message) -> Outcome: ...


class MailTransport(Protocol):
    def describe(self) -> str: ...

    def session(self) -> Any:
        """A context manager yielding a MailSession: one connection for a whole batch."""
        ...


class _OutboxSession:
    def __init__(self, box: mailbox.Maildir, sender: Sender) -> None:
        self.box, self.sender = box, sender

    def send(self, message: Message) -> Outcome:
        self.box.add(build_mime(message, self.sender))
        return Outcome.success("outbox")


class OutboxTransport:
    """A Maildir folder (`outbox/new/*`): each message a file any mail client or `mutt -f` opens."""

    def __init__(self, path: Path, sender: Sender) -> None:
        self.path, self.sender = Path(path), sender
        self.sent = 0

    def describe(self) -> str:
        return f"outbox {self.path.name}/"

    @contextmanager
    def session(self) -> Iterator[MailSession]:
        box = mailbox.Maildir(self.path, create=True)
        try:
            yield _OutboxSession(box, self.sender)
        finally:
            box.close()

    def messages(self) -> list[EmailMessage]:
        """Everything in the outbox, parsed (for tests and the demo summary)."""
        import email
        from email import policy

        if not self.path.exists():
            return []
        box = mailbox.Maildir(self.path, create=False)
        return [email.message_from_bytes(box.get_bytes(k), policy=policy.default) for k in box.keys()]  # type: ignore[misc]
