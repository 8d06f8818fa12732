"""The bounce mailbox through imaplib against a real IMAP server: Debian's Dovecot on 127.0.0.1."""

from __future__ import annotations

import itertools

import pytest

from connectors.imap import BounceMailbox
from tests.dsn import make_dsn
from tests.imap import PASSWORD, DovecotServer
from weaver.errors import FatalError

_users = itertools.count(1)


def mailbox(server: DovecotServer, user: str, **kw: object) -> BounceMailbox:
    options: dict = {"security": "none", "timeout": 10, **kw}
    return BounceMailbox("127.0.0.1", server.port, user, str(options.pop("password", PASSWORD)), **options)


def test_new_messages_are_read_above_the_cursor_and_the_mailbox_is_left_as_it_was(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(f"reader{next(_users)}")
    for n in range(3):
        dovecot.append(user, make_dsn("bounces+0123456789abcdef0123@example.org", f"a{n}@example.org"))
    first = mailbox(dovecot, user).fetch_new(None)
    assert [uid for uid, _ in first.messages] == [1, 2, 3] and not first.more
    assert b"multipart/report" in first.messages[0][1]
    validity, _, last = first.cursor.partition(":")
    assert validity.isdigit() and last == "3"
    assert mailbox(dovecot, user).fetch_new(first.cursor).messages == []  # nothing new
    dovecot.append(user, make_dsn("bounces@example.org", "late@example.org"))
    second = mailbox(dovecot, user).fetch_new(first.cursor)
    assert [uid for uid, _ in second.messages] == [4] and second.cursor == f"{validity}:4"
    assert dovecot.count(user) == 4 and dovecot.count(user, "UNSEEN") == 4  # read-only: nothing marked as seen
    # another folder's numbering (another UIDVALIDITY) reads everything again
    assert len(mailbox(dovecot, user).fetch_new("1:999").messages) == 4


def test_a_read_takes_a_bounded_batch_and_says_more_are_waiting(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(f"batch{next(_users)}")
    for n in range(5):
        dovecot.append(user, make_dsn("bounces@example.org", f"b{n}@example.org"))
    first = mailbox(dovecot, user, batch=2).fetch_new(None)
    assert [uid for uid, _ in first.messages] == [1, 2] and first.more
    rest = mailbox(dovecot, user, batch=10).fetch_new(first.cursor)
    assert [uid for uid, _ in rest.messages] == [3, 4, 5] and not rest.more


def test_a_refused_login_is_one_clear_error_without_the_password(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(f"login{next(_users)}")
    with pytest.raises(FatalError, match=r"login as the \[mail.bounces\] user was refused") as caught:
        mailbox(dovecot, user, password="wrong-secret-value").fetch_new(None)
    assert "wrong-secret-value" not in str(caught.value)
    assert "wrong-secret-value" not in repr(mailbox(dovecot, user, password="wrong-secret-value"))


def test_a_missing_folder_is_named(dovecot: DovecotServer) -> None:
    user = dovecot.add_user(f"folder{next(_users)}")
    with pytest.raises(FatalError, match="no folder 'Bounces'"):
        mailbox(dovecot, user, folder="Bounces").fetch_new(None)
    dovecot.append(user, make_dsn("bounces@example.org", "c@example.org"), folder="Bounces")
    assert len(mailbox(dovecot, user, folder="Bounces").fetch_new(None).messages) == 1
