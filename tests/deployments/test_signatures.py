"""Signatures: each provider's scheme, recomputed over the raw bytes; anything else is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from deployments.signatures import HEADERS, PROVIDERS, signature, verify

SECRET = b"s3cret-\xe5\xaf\x86"
BODY = '{"data":{"responseId":"r1","fields":[{"label":"姓名","value":"张伟"}]}}'.encode()


def test_tally_is_bare_base64_of_the_hmac() -> None:
    expected = base64.b64encode(hmac.new(SECRET, BODY, hashlib.sha256).digest()).decode()
    assert signature("tally", SECRET, BODY) == expected
    assert verify("tally", SECRET, BODY, {"tally-signature": expected})


@pytest.mark.parametrize("provider", ["typeform", "google_forms"])
def test_typeform_and_apps_script_carry_the_sha256_prefix(provider: str) -> None:
    expected = "sha256=" + base64.b64encode(hmac.new(SECRET, BODY, hashlib.sha256).digest()).decode()
    assert signature(provider, SECRET, BODY) == expected
    assert verify(provider, SECRET, BODY, {HEADERS[provider]: expected})


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_changed_byte_a_wrong_secret_or_no_header_is_refused(provider: str) -> None:
    good = signature(provider, SECRET, BODY)
    header = HEADERS[provider]
    assert not verify(provider, SECRET, BODY.replace(b"r1", b"r2"), {header: good})
    assert not verify(provider, b"other", BODY, {header: good})
    assert not verify(provider, SECRET, BODY, {})
    assert not verify(provider, SECRET, BODY, {header: ""})
    assert not verify(provider, SECRET, BODY, {header: "sha256=🙂"})  # non-ASCII junk is refused, not an error


def test_a_signature_for_another_provider_does_not_pass() -> None:
    typeform_value = signature("typeform", SECRET, BODY)
    assert not verify("tally", SECRET, BODY, {"tally-signature": typeform_value})
    assert not verify("typeform", SECRET, BODY, {"tally-signature": signature("tally", SECRET, BODY)})
