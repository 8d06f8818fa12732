"""Personal signed links: only the token we made, for its purpose, before its expiry, verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from weaver.links import BadLink, LinkSigner

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KEY = b"k" * 32


def test_a_token_verifies_for_its_purpose_and_says_for_whom_and_what() -> None:
    signer = LinkSigner(KEY)
    token = signer.token("checkin", "m-1", "evt-2026-12-14")
    link = signer.verify(token, "checkin", NOW)
    assert (link.purpose, link.subject, link.scope, link.expires) == ("checkin", "m-1", "evt-2026-12-14", None)
    assert link.id and link.id not in token  # the id recorded for replays is not the token


def test_forged_altered_foreign_and_wrong_purpose_tokens_are_refused() -> None:
    signer = LinkSigner(KEY)
    token = signer.token("vote", "m-1", "p-7")
    head, _, mac = token.partition(".")
    other = LinkSigner(b"another network's key!!")
    forged = signer.token("vote", "m-2", "p-7").partition(".")[0] + "." + mac  # another member's payload
    cases = {
        "forged": [forged, other.token("vote", "m-1", "p-7"), head + "." + mac[::-1]],
        "purpose": [token],  # a vote token used as an unsubscribe
        "malformed": ["", "nodot", "a.b.c!", "." + mac, "x" * 3000],
    }
    for reason, tokens in cases.items():
        for bad in tokens:
            with pytest.raises(BadLink) as caught:
                signer.verify(bad, "unsubscribe" if reason == "purpose" else "vote", NOW)
            assert caught.value.reason == reason, bad


def test_an_expired_token_is_refused_and_the_error_shows_no_token() -> None:
    signer = LinkSigner(KEY)
    token = signer.token("confirm", "m-1", expires=NOW + timedelta(days=7))
    assert signer.verify(token, "confirm", NOW + timedelta(days=6)).expires == NOW + timedelta(days=7)
    with pytest.raises(BadLink) as caught:
        signer.verify(token, "confirm", NOW + timedelta(days=7))
    assert caught.value.reason == "expired" and token not in str(caught.value)


def test_purposes_are_url_safe_and_fields_cannot_smuggle_the_separator() -> None:
    signer = LinkSigner(KEY)
    with pytest.raises(ValueError, match="purpose"):
        signer.token("Vote Now", "m-1")
    with pytest.raises(ValueError, match="scope"):
        signer.token("vote", "m-1", "p-7\x1fextra")
    with pytest.raises(ValueError, match="16 bytes"):
        LinkSigner(b"short")
