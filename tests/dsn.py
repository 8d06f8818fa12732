"""Delivery-status notifications as mail servers write them, for the bounce tests (Postfix's layout, as text)."""

from __future__ import annotations

from email.utils import make_msgid

USER_UNKNOWN = "smtp; 550 5.1.1 <{failed}>: Recipient address rejected: User unknown"


def make_dsn(
    to: str,
    failed: str,
    status: str = "5.1.1",
    action: str = "failed",
    diagnostic: str | None = USER_UNKNOWN,
    original: str = "Subject: (not returned)",
    message_id: str | None = None,
    with_status: bool = True,
) -> bytes:
    """An RFC 3464 multipart/report to `to` (the VERP return path) about `failed`; `original` is the returned
    message's headers (a text/rfc822-headers part)."""
    fields = [f"Final-Recipient: rfc822; {failed}", f"Original-Recipient: rfc822;{failed}", f"Action: {action}"]
    if with_status:
        fields.append(f"Status: {status}")
    if diagnostic:
        fields.append("Remote-MTA: dns; mx.example.cn")
        fields.append("Diagnostic-Code: " + diagnostic.format(failed=failed))
    text = f"""From: MAILER-DAEMON@mx.example.net (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: {message_id or make_msgid(domain="mx.example.net")}
Date: Mon, 23 Nov 2026 10:00:00 +0000
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"

This is a MIME-encapsulated message.

--B0UND
Content-Type: text/plain; charset=us-ascii
Content-Description: Notification

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--B0UND
Content-Type: message/delivery-status
Content-Description: Delivery report

Reporting-MTA: dns; mx.example.net
X-Postfix-Queue-ID: 4F1B2C3D4E
Arrival-Date: Mon, 23 Nov 2026 09:59:58 +0000

{chr(10).join(fields)}

--B0UND
Content-Type: text/rfc822-headers
Content-Description: Undelivered Message Headers

{original}

--B0UND--
"""
    return text.replace("\n", "\r\n").encode("utf-8")


def make_plain_bounce(to: str, failed: str, line: str = "550 5.1.1 user unknown") -> bytes:
    """An old-style bounce: plain text, no multipart/report."""
    text = f"""From: Mail Delivery Subsystem <MAILER-DAEMON@old.example.net>
To: {to}
Subject: Returned mail: see transcript for details
Message-ID: {make_msgid(domain="old.example.net")}
Content-Type: text/plain; charset=us-ascii

   ----- The following addresses had permanent fatal errors -----
<{failed}>
    ----- Transcript of session follows -----
... while talking to mx.example.cn.:
>>> RCPT To:<{failed}>
<<< {line}
"""
    return text.replace("\n", "\r\n").encode("utf-8")
