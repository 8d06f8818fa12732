"""The bounce mailbox: an IMAP4rev1 folder read through imaplib (standard library), never changed.

`BounceMailbox.fetch_new(cursor)` opens one connection, logs in, EXAMINEs the folder (read-only: no
`\\Seen` flag is set, nothing is moved or deleted, so a person can still read the folder as before) and
returns the messages whose UID is above the cursor, with the next cursor. The cursor is
`<UIDVALIDITY>:<last UID>`; when the server renumbers the folder (a new UIDVALIDITY) everything is read again,
and the caller skips what it already recorded (by the notification's own id).
"""

from __future__ import annotations

import imaplib
import re
import ssl
from dataclasses import dataclass, field

from weaver.errors import FatalError, RetriableError

_UID = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True)
class Fetched:
    """What one read found: (uid, raw message) in UID order, and the cursor to start from next time."""

    messages: list[tuple[int, bytes]] = field(default_factory=list)
    cursor: str = ""
    more: bool = False  # more new messages wait than one read takes (the next run goes on)


class BounceMailbox:
    def __init__(
        self,
        host: str,
        port: int,
        user: str,
        password: str,
        *,
        folder: str = "INBOX",
        security: str = "ssl",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
        batch: int = 500,
    ) -> None:
        if security not in ("ssl", "starttls", "none"):
            raise FatalError(f"[mail.bounces] security {security!r}: expected ssl, starttls or none")
        self.host, self.port, self.user, self._password = host, port, user, password
        self.folder, self.security, self.timeout, self.batch = folder, security, timeout, batch
        self._ssl_context = ssl_context

    def __repr__(self) -> str:  # never the password
        return f"BounceMailbox({self.host}:{self.port}, {self.folder})"

    def describe(self) -> str:
        return f"imap {self.host}:{self.port} {self.folder}"

    def fetch_new(self, cursor: str | None) -> Fetched:
        """Messages above the cursor (at most `batch`), oldest first; the mailbox is left as it was."""
        conn = self._connect()
        try:
            return self._read(conn, cursor or "")
        except imaplib.IMAP4.abort:
            raise RetriableError(f"{self._where} dropped the connection while we read") from None
        except OSError as exc:
            raise RetriableError(f"{self._where} cannot be reached ({type(exc).__name__})") from None
        finally:
            try:
                conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass

    # ------------------------------------------------------------------------------------------------------
    @property
    def _where(self) -> str:
        return f"IMAP server {self.host}:{self.port}"

    def _connect(self) -> imaplib.IMAP4:
        where = self._where
        try:
            if self.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    self.host, self.port, ssl_context=self._context(), timeout=self.timeout
                )
            else:
                conn = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    conn.starttls(ssl_context=self._context())
        except ssl.SSLError as exc:
            reason = exc.reason or type(exc).__name__
            raise FatalError(f"{where}: TLS failed ({reason}); check [mail.bounces] security") from None
        except imaplib.IMAP4.error as exc:
            raise FatalError(f"{where}: {exc}; check [mail.bounces] security") from None
        except OSError as exc:
            raise RetriableError(f"{where} cannot be reached ({type(exc).__name__})") from None
        try:
            conn.login(self.user, self._password)
        except imaplib.IMAP4.error:
            _quietly_close(conn)
            raise FatalError(
                f"{where}: login as the [mail.bounces] user was refused; check the user and the password"
            ) from None
        return conn

    def _read(self, conn: imaplib.IMAP4, cursor: str) -> Fetched:
        status, _ = conn.select(_quoted(self.folder), readonly=True)
        if status != "OK":
            raise FatalError(f"{self._where} has no folder {self.folder!r}; check [mail.bounces] folder")
        validity = _untagged_int(conn, "UIDVALIDITY")
        seen_validity, _, seen_uid = cursor.partition(":")
        last = int(seen_uid) if seen_validity == str(validity) and seen_uid.isdigit() else 0
        status, data = conn.uid("SEARCH", None, f"UID {last + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last) if status == "OK" else []
        more = len(uids) > self.batch
        uids = uids[: self.batch]
        messages: list[tuple[int, bytes]] = []
        if uids:
            status, data = conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
            for item in data:
                if isinstance(item, tuple) and (found := _UID.search(item[0])):
                    messages.append((int(found.group(1)), item[1]))
        messages.sort()
        top = max([last, *(uid for uid, _ in messages)])
        return Fetched(messages, f"{validity}:{top}", more)

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _untagged_int(conn: imaplib.IMAP4, name: str) -> int:
    _, values = conn.response(name)
    try:
        return int(values[-1]) if values and values[-1] is not None else 0
    except (TypeError, ValueError):
        return 0


def _quietly_close(conn: imaplib.IMAP4) -> None:
    try:
        conn.shutdown()
    except OSError:
        pass
