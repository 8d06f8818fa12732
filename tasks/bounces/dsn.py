"""Delivery-status notifications (RFC 3464) read into plain facts: which message, hard or soft, why. Pure.

A DSN is `multipart/report; report-type=delivery-status`: a human part, a `message/delivery-status` part
(one block of per-message fields, then one block per recipient: `Final-Recipient`, `Action`, `Status`,
`Diagnostic-Code`) and the returned message or its headers. The class digit of the RFC 3463 status decides:
5.x.x is permanent (hard: the address will not work), 4.x.x is transient (soft: full mailbox, server
down); `Action: delayed` is soft; `delivered`, `relayed` and `expanded` are no bounce at all. Without a
`Status` the `Diagnostic-Code` (`smtp; 550 5.1.1 ...`) decides, by its enhanced code or its reply code.
A bounce that is not a DSN (older servers write plain text) is read the same way from its text, and is
marked so; one that says nothing we can classify is `unknown` and only counted.

Which message bounced comes from the VERP token (tasks/common/return_path.py) in the headers a bounce is
addressed by (`To`, `Delivered-To`, `X-Original-To`, `Envelope-To`), else in the returned headers'
`Return-Path`.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass
from email.message import Message

from tasks.common.return_path import tokens_in

HARD, SOFT, UNKNOWN = "hard", "soft", "unknown"
_ENHANCED = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_REPLY = re.compile(r"(?:^|;|\s)([245])\d\d(?:[\s-]|$)")
_ADDRESS = re.compile(r"[^\s<>\"';,()]+@[^\s<>\"';,()]+")
_ADDRESSED_BY = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
NOT_BOUNCES = {"delivered", "relayed", "expanded"}


@dataclass(frozen=True)
class Bounce:
    """One recipient's failure, as the notification states it. `diagnostic` has addresses masked."""

    dsn_id: str  # the notification's own Message-ID (or a hash of it): a rerun skips what it recorded
    token: str  # the VERP token, "" when none was found
    kind: str  # hard | soft | unknown
    status: str  # "5.1.1", or "" when the notification gave none
    action: str  # failed | delayed | "" (not a DSN)
    diagnostic: str
    rfc3464: bool  # a multipart/report DSN (else read from plain text)


def parse_bounce(raw: bytes, return_path: str) -> list[Bounce]:
    """The bounces one notification reports (one per failed recipient; none for a success report)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    dsn_id = _dsn_id(msg, raw)
    token = _token(msg, return_path)
    report = _delivery_status(msg)
    if report is None:  # not RFC 3464: read the text of what a mailer daemon sent as a person would
        if not _looks_like_bounce(msg):
            return []  # a reply or anything else sent to the bounce address
        text = _plain_text(msg)
        kind, status = _classify("", _first_line_with_code(text))
        return [Bounce(dsn_id, token, kind, status, "", _mask(_first_line_with_code(text)), False)]
    bounces: list[Bounce] = []
    for number, block in enumerate(report[1:] or [{}]):
        action = str(block.get("Action", "") or "").strip().lower()
        if action in NOT_BOUNCES:
            continue
        status = str(block.get("Status", "") or "").strip()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "") or "").split())
        kind, code = _classify(status, diagnostic)
        if action == "delayed" and kind != UNKNOWN:
            kind = SOFT  # still being tried: never a reason to give up on the address by itself
        one_id = dsn_id if number == 0 else f"{dsn_id}#{number}"
        bounces.append(Bounce(one_id, token, kind, code, action, _mask(diagnostic), True))
    return bounces


def _classify(status: str, diagnostic: str) -> tuple[str, str]:
    """(hard|soft|unknown, the enhanced status) from a Status field, else from the diagnostic text."""
    for text in (status, diagnostic):
        found = _ENHANCED.search(text or "")
        if found and found.group(1) in "45":
            return (HARD if found.group(1) == "5" else SOFT), found.group(0)
    reply = _REPLY.search(diagnostic or "")
    if reply and reply.group(1) in "45":
        return (HARD if reply.group(1) == "5" else SOFT), ""
    return UNKNOWN, ""


def _delivery_status(msg: Message) -> list[Message] | None:
    """The blocks of the message/delivery-status part, or None when the message is not a DSN."""
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            if isinstance(payload, list):
                return list(payload)
            return _blocks(str(payload))
    return None


def _blocks(text: str) -> list[Message]:
    """Fallback when the parser left the status part as text: header blocks separated by blank lines."""
    chunks = [c for c in re.split(r"\r?\n\s*\r?\n", text.strip()) if c.strip()]
    return [email.message_from_string(c + "\n\n", policy=email.policy.compat32) for c in chunks]


def _token(msg: Message, return_path: str) -> str:
    for name in _ADDRESSED_BY:
        for value in msg.get_all(name) or []:
            if found := tokens_in(str(value), return_path):
                return found[0]
    for part in msg.walk():  # the returned message or its headers: the Return-Path we sent it with
        if part.get_content_type() in ("text/rfc822-headers", "message/rfc822"):
            if found := tokens_in(_as_text(part), return_path):
                return found[0]
    return ""


def _as_text(part: Message) -> str:
    payload = part.get_payload(decode=not part.is_multipart())
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace")
    if isinstance(payload, list):
        return "\n".join(p.as_string() for p in payload if isinstance(p, Message))
    return str(payload or "")


def _plain_text(msg: Message) -> str:
    texts = [
        _as_text(p) for p in msg.walk() if not p.is_multipart() and p.get_content_type() == "text/plain"
    ]  # fmt: skip
    return "\n".join(texts)


def _looks_like_bounce(msg: Message) -> bool:
    sender = str(msg.get("From", "")).lower()
    subject = str(msg.get("Subject", "")).lower()
    daemon = "mailer-daemon" in sender or "postmaster" in sender
    return daemon or any(w in subject for w in ("undeliver", "returned mail", "delivery status", "failure"))


def _first_line_with_code(text: str) -> str:
    for line in text.splitlines():
        if _ENHANCED.search(line) or _REPLY.search(line):
            return " ".join(line.split())[:300]
    return ""


def _mask(text: str) -> str:
    """Diagnostics often quote the address: reports show them without it."""
    return _ADDRESS.sub("…", text)[:300]


def _dsn_id(msg: Message, raw: bytes) -> str:
    found = str(msg.get("Message-ID", "") or "").strip()
    return found[:200] if found else "sha256:" + hashlib.sha256(raw).hexdigest()[:40]
