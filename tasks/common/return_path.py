"""VERP return paths: each email leaves with its own envelope sender, so its bounce names the message.

With `[mail.bounces] return_path = "bounces@example.org"` a message with ledger key K is sent with the
envelope sender (SMTP `MAIL FROM`, the `Return-Path` the receiving side writes) `bounces+<token>@example.org`.
A delivery-status notification goes back to that address, so the token is in the bounce's `To`,
`Delivered-To` or `X-Original-To` header, and in the returned headers' `Return-Path`.

The token is 20 lowercase hex digits: an HMAC-SHA256 of the ledger key under the workspace's link key
(`weaver.links.link_secret`), truncated to 80 bits. It shows nothing (neither the key nor the member) and
cannot be forged without the key, so a forged bounce cannot get a member suppressed; lowercase hex survives
servers that fold the local part's case. It is mapped back by computing the tokens of the ledger's recent
email keys (`token_index`), so nothing is written at send time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable

TOKEN_HEX = 20
_PURPOSE = b"return-path\x1f"


def return_path_token(secret: bytes, key: str) -> str:
    """The token of one ledger key (stable: a resend of the message carries the same one)."""
    return hmac.new(secret, _PURPOSE + key.encode("utf-8"), hashlib.sha256).hexdigest()[:TOKEN_HEX]


def verp_address(base: str, token: str) -> str:
    """`bounces@example.org` + token -> `bounces+token@example.org`."""
    local, _, domain = base.rpartition("@")
    return f"{local}+{token}@{domain}"


def return_path_for(base: str, secret: bytes) -> Callable[[str], str]:
    """ledger key -> its envelope sender, for the mail transport."""
    return lambda key: verp_address(base, return_path_token(secret, key))


def tokens_in(text: str, base: str) -> list[str]:
    """Every well-formed token addressed to the `base` mailbox in `text` (a header's value), in order."""
    local, _, domain = base.rpartition("@")
    pattern = re.compile(
        rf"(?<![\w.+-]){re.escape(local)}\+([0-9a-f]{{{TOKEN_HEX}}})@{re.escape(domain)}(?![\w-])", re.IGNORECASE
    )
    return [m.group(1).lower() for m in pattern.finditer(text)]


def token_index(secret: bytes, keys: Iterable[str]) -> dict[str, str]:
    """token -> ledger key for the given keys (the ledger's recent emails)."""
    return {return_path_token(secret, key): key for key in keys}
