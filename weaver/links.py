"""Personal signed links: one small token per member and purpose, verified without a database lookup.

Every page a member opens from an email (unsubscribe and preferences, check-in, a vote, "did you meet?",
their own details) is reached by `<base_url>/l/<purpose>/<token>`. The token carries who it is for
(`subject`, a member id), what for (`purpose`, also in the path), an optional `scope` (an event, a survey, a
proposal...) and an optional expiry, under an HMAC-SHA256 with the workspace's link key:

- a forged or altered token fails the MAC (`BadLink.reason == "forged"`);
- a token made for another purpose, or another network (another key), never verifies here ("purpose",
  "forged"): the purpose is inside the MAC, so an unsubscribe token cannot cast a vote;
- an expired one is refused ("expired"); rotating the key revokes every link sent so far;
- a replay is a use of a valid token a second time: pages that must act once record the first use
  (`weaver.state.links.first_use`) and answer later uses with what was done.

The token is URL-safe base64 without padding: `<payload>.<mac>` (128-bit MAC). The payload names a member id,
never an address or a name.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from weaver.errors import WeaverError

if TYPE_CHECKING:
    from weaver.config import WeaverConfig
    from weaver.state import StateDB

MAC_BYTES = 16
_SEP = "\x1f"
_PURPOSE = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


class BadLink(WeaverError):
    """A token that does not verify; `reason` is malformed, forged, purpose or expired (never shown raw)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"link not accepted ({reason})")
        self.reason = reason


@dataclass(frozen=True)
class Link:
    """What a verified token says: for whom, what for, about what, until when."""

    purpose: str
    subject: str
    scope: str = ""
    expires: datetime | None = None
    token: str = ""

    @property
    def id(self) -> str:
        """A stable id of this token (for first-use records): never the token itself."""
        return hashlib.sha256(self.token.encode()).hexdigest()[:32]


class LinkSigner:
    """Makes and checks tokens with one workspace's key."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("a link key needs at least 16 bytes")
        self._secret = secret

    def token(self, purpose: str, subject: str, scope: str = "", expires: datetime | None = None) -> str:
        if not _PURPOSE.match(purpose):
            raise ValueError(f"link purpose {purpose!r}: lowercase letters, digits and '-' (it is in the URL)")
        for name, value in (("subject", subject), ("scope", scope)):
            if _SEP in value:
                raise ValueError(f"link {name} must not contain the separator")
        stamp = "" if expires is None else str(int(expires.timestamp()))
        payload = _SEP.join((purpose, subject, scope, stamp)).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def verify(self, token: str, purpose: str, now: datetime) -> Link:
        """The link this token is, for `purpose`, at `now`; BadLink otherwise (constant-time MAC check)."""
        head, dot, tail = (token or "").strip().partition(".")
        if not dot or not head or not tail or len(token) > 2048:
            raise BadLink("malformed")
        try:
            payload, mac = _unb64(head), _unb64(tail)
        except ValueError:
            raise BadLink("malformed") from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise BadLink("forged")
        try:
            got_purpose, subject, scope, stamp = payload.decode("utf-8").split(_SEP)
        except ValueError:
            raise BadLink("malformed") from None
        if got_purpose != purpose:
            raise BadLink("purpose")
        expires = datetime.fromtimestamp(int(stamp), UTC) if stamp else None
        if expires is not None and now >= expires:
            raise BadLink("expired")
        return Link(purpose, subject, scope, expires, token.strip())

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, b"link" + _SEP.encode() + payload, hashlib.sha256).digest()[:MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]+", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def link_secret(db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> tuple[bytes, bool]:
    """The link key: `[links] secret`, else this workspace's own (made on first real use).

    Returns (key, throwaway): a dry run on a workspace without a key yet previews links with a key it then
    forgets (a dry run changes nothing), and says so.
    """
    from weaver.secrets import resolve_secret
    from weaver.state import local_secret

    ref = config.links.secret
    if ref is not None:
        return resolve_secret(ref, "[links] secret", where).encode(), False
    value = local_secret(db, "link-token", create=not dry_run)
    if value is None:
        return secrets.token_hex(32).encode(), True
    return value.encode(), False


def link_url(config: WeaverConfig, purpose: str, token: str) -> str:
    """The public address of a personal link: `<[links] base_url>/l/<purpose>/<token>`."""
    return f"{config.links.base_url}/l/{purpose}/{token}"
