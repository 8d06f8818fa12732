"""Form providers' webhook signatures, as pure functions over the raw body (sans-I/O).

Each provider signs the exact bytes it sends with HMAC-SHA256 and the form's secret, base64-encoded:

| provider      | header               | value                    |
|---------------|----------------------|--------------------------|
| typeform      | `Typeform-Signature` | `sha256=<base64 digest>` |
| tally         | `Tally-Signature`    | `<base64 digest>`        |
| google_forms  | `X-Weaver-Signature` | `sha256=<base64 digest>` (our Apps Script, `apps_script/onFormSubmit.gs`) |

Verification recomputes the value over the raw bytes (never re-serialised JSON) and compares in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

PROVIDERS = ("typeform", "tally", "google_forms")
HEADERS = {"typeform": "typeform-signature", "tally": "tally-signature", "google_forms": "x-weaver-signature"}
_PREFIXES = {"typeform": "sha256=", "tally": "", "google_forms": "sha256="}


def signature(provider: str, secret: bytes, body: bytes) -> str:
    """The header value `provider` sends for `body` (tests and the benchmark sign with it too)."""
    digest = hmac.new(secret, body, hashlib.sha256).digest()
    return _PREFIXES[provider] + base64.b64encode(digest).decode("ascii")


def signed_headers(provider: str, secret: bytes, body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", HEADERS[provider]: signature(provider, secret, body)}


def verify(provider: str, secret: bytes, body: bytes, headers: Mapping[str, str]) -> bool:
    """True only when the provider's header is present and matches; compared in constant time."""
    given = headers.get(HEADERS[provider])
    if not given:
        return False
    expected = signature(provider, secret, body).encode("ascii")
    return hmac.compare_digest(expected, given.strip().encode("utf-8", errors="replace"))
