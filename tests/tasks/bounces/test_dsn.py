"""Reading delivery-status notifications (RFC 3464) and VERP tokens, without a server."""

from __future__ import annotations

from tasks.bounces.dsn import HARD, SOFT, UNKNOWN, parse_bounce
from tasks.common.return_path import return_path_for, return_path_token, tokens_in
from tests.dsn import make_dsn, make_plain_bounce

BASE = "bounces@weaving.example.org"
SECRET = b"k" * 32
KEY = "email:welcome:m-0001"
VERP = return_path_for(BASE, SECRET)(KEY)


def test_the_return_path_carries_a_signed_token_that_shows_neither_key_nor_member() -> None:
    token = return_path_token(SECRET, KEY)
    assert VERP == f"bounces+{token}@weaving.example.org" and len(token) == 20
    assert "m-0001" not in VERP and "welcome" not in VERP
    assert return_path_token(SECRET, KEY) == token  # a resend carries the same one
    assert return_path_token(b"o" * 32, KEY) != token  # another network's key: another token
    assert return_path_token(SECRET, "email:welcome:m-0002") != token
    assert len(VERP.partition("@")[0]) <= 64  # RFC 5321's limit of a local part


def test_tokens_are_found_whatever_the_case_and_only_for_our_mailbox() -> None:
    token = return_path_token(SECRET, KEY)
    assert tokens_in(f"<{VERP.upper()}>", BASE) == [token]
    assert tokens_in(f"Bounces+{token}@weaving.example.org, x@y", BASE) == [token]
    assert tokens_in(f"bounces+{token}@other.example.org", BASE) == []
    assert tokens_in(f"xbounces+{token}@weaving.example.org", BASE) == []
    assert tokens_in("bounces+nothex@weaving.example.org", BASE) == []


def test_a_5xx_status_is_hard_and_names_the_message_by_its_return_path() -> None:
    [bounce] = parse_bounce(make_dsn(VERP, "zw@example.cn", message_id="<dsn-1@mx>"), BASE)
    assert (bounce.kind, bounce.status, bounce.action, bounce.rfc3464) == (HARD, "5.1.1", "failed", True)
    assert bounce.token == return_path_token(SECRET, KEY) and bounce.dsn_id == "<dsn-1@mx>"
    assert "zw@example.cn" not in bounce.diagnostic and "User unknown" in bounce.diagnostic


def test_a_4xx_status_is_soft_and_a_delayed_notice_is_soft_whatever_its_class() -> None:
    [full] = parse_bounce(make_dsn(VERP, "a@b.org", status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full"), BASE)
    assert (full.kind, full.status) == (SOFT, "4.2.2")
    [delayed] = parse_bounce(make_dsn(VERP, "a@b.org", action="delayed", status="4.4.7", diagnostic=None), BASE)
    assert (delayed.kind, delayed.action) == (SOFT, "delayed")


def test_without_a_status_the_diagnostic_code_decides() -> None:
    [enhanced] = parse_bounce(make_dsn(VERP, "a@b.org", with_status=False, diagnostic="smtp; 550 5.7.1 rejected"), BASE)
    assert (enhanced.kind, enhanced.status) == (HARD, "5.7.1")
    [reply] = parse_bounce(make_dsn(VERP, "a@b.org", with_status=False, diagnostic="smtp; 421 try later"), BASE)
    assert (reply.kind, reply.status) == (SOFT, "")
    [nothing] = parse_bounce(make_dsn(VERP, "a@b.org", with_status=False, diagnostic="x-unix; no idea"), BASE)
    assert nothing.kind == UNKNOWN


def test_a_success_report_is_no_bounce() -> None:
    assert parse_bounce(make_dsn(VERP, "a@b.org", action="delivered", status="2.0.0", diagnostic=None), BASE) == []
    assert parse_bounce(make_dsn(VERP, "a@b.org", action="relayed", status="2.0.0", diagnostic=None), BASE) == []


def test_the_token_is_also_found_in_the_returned_headers() -> None:
    original = f"Return-Path: <{VERP}>\nSubject: Welcome\nMessage-ID: <x@weaving.example.org>"
    [bounce] = parse_bounce(make_dsn(BASE, "a@b.org", original=original), BASE)  # addressed to the plain mailbox
    assert bounce.token == return_path_token(SECRET, KEY)


def test_an_old_style_plain_text_bounce_is_read_from_its_text() -> None:
    [bounce] = parse_bounce(make_plain_bounce(VERP, "zw@example.cn"), BASE)
    assert (bounce.kind, bounce.status, bounce.rfc3464) == (HARD, "5.1.1", False)
    assert bounce.token == return_path_token(SECRET, KEY)


def test_a_message_that_is_no_bounce_at_all_gives_nothing() -> None:
    raw = f"From: someone@example.org\r\nTo: {VERP}\r\nSubject: Re: hello\r\n\r\nThanks, 550 thanks!\r\n".encode()
    assert parse_bounce(raw, BASE) == []
