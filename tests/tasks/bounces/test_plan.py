"""The bounces plan: each bounce to its member and message; hard ones suppressed, soft ones counted."""

from __future__ import annotations

from typing import Any

from tasks.bounces.dsn import Bounce, parse_bounce
from tasks.bounces.plan import HARD_REASON, SOFT_REASON, plan_bounces
from tasks.bounces.read import Read
from tasks.common.return_path import return_path_for, return_path_token
from tests.dsn import make_dsn

BASE = "bounces@weaving.example.org"
SECRET = b"k" * 32


def sent(key: str, email: str, name: str, member: str | None = "m") -> dict[str, Any]:
    return {"key": key, "member_id": member, "to_email": email, "to_name": name, "subject": f"Subject of {key}"}


SENT = [
    sent("email:welcome:m-1", "Zhang.Wei@Example.cn", "张伟", "m-1"),
    sent("email:newsletter:m-2:2026-11", "ana@example.org", "Ana", "m-2"),
    sent("email:invite:evt-1:m-2", "ana@example.org", "Ana", "m-2"),
    sent("email:invite:evt-2:m-2", "ana@example.org", "Ana", "m-2"),
]
BY_TOKEN = {return_path_token(SECRET, s["key"]): s for s in SENT}


def dsn(key: str, **kw: Any) -> list[Bounce]:
    return parse_bounce(make_dsn(return_path_for(BASE, SECRET)(key), "x@example.org", **kw), BASE)


def read(*notifications: list[Bounce], **kw: Any) -> Read:
    return Read(list(notifications), "7:12", False, BY_TOKEN, **kw)


def test_a_hard_bounce_suppresses_the_address_it_was_sent_to_and_the_report_has_the_name() -> None:
    plan = plan_bounces(read(dsn("email:welcome:m-1")), soft_limit=3)
    [hard] = plan.hard
    assert (hard.name, hard.subject, hard.member_id, hard.key) == ("张伟", "Subject of email:welcome:m-1", "m-1",
                                                                  "email:welcome:m-1")  # fmt: skip
    assert plan.suppress == {"zhang.wei@example.cn": (HARD_REASON, "张伟")}
    [row] = plan.suppressions(hard_at := __import__("datetime").datetime(2026, 11, 24))
    assert row == {"email": "zhang.wei@example.cn", "reason": "bounced", "source": "bounce", "created_at": hard_at}
    assert plan.cursor == "7:12"


def test_soft_bounces_are_counted_over_distinct_messages_and_suppress_at_the_limit() -> None:
    soft = {"status": "4.2.2", "diagnostic": "smtp; 452 4.2.2 Mailbox full"}
    first = plan_bounces(read(dsn("email:newsletter:m-2:2026-11", **soft)), soft_limit=3)
    assert [b.soft_count for b in first.soft] == [1] and first.suppress == {}
    # the same message bouncing again (a delayed notice, then a failure) counts once
    again = plan_bounces(
        read(dsn("email:invite:evt-1:m-2", **soft), dsn("email:invite:evt-1:m-2", action="delayed", status="4.4.1"),
             soft_before={"ana@example.org": {"email:newsletter:m-2:2026-11"}}),
        soft_limit=3,
    )  # fmt: skip
    assert [b.soft_count for b in again.soft] == [2, 2] and again.suppress == {}
    third = plan_bounces(
        read(dsn("email:invite:evt-2:m-2", **soft),
             soft_before={"ana@example.org": {"email:newsletter:m-2:2026-11", "email:invite:evt-1:m-2"}}),
        soft_limit=3,
    )  # fmt: skip
    assert third.suppress == {"ana@example.org": (SOFT_REASON, "Ana")}


def test_what_was_recorded_before_is_skipped_and_what_is_suppressed_already_is_counted() -> None:
    notification = dsn("email:welcome:m-1", message_id="<once@mx>")
    plan = plan_bounces(read(notification, recorded={"<once@mx>"}), soft_limit=3)
    assert (plan.repeated, plan.hard, plan.suppress) == (1, [], {})
    listed = plan_bounces(read(dsn("email:welcome:m-1"), suppressed={"zhang.wei@example.cn"}), soft_limit=3)
    assert (len(listed.hard), listed.suppress, listed.already_suppressed) == (1, {}, 1)


def test_a_forged_or_unknown_token_and_an_unclassifiable_notice_suppress_nobody() -> None:
    forged = parse_bounce(make_dsn(return_path_for(BASE, b"x" * 32)("email:welcome:m-1"), "x@example.org"), BASE)
    no_token = parse_bounce(make_dsn(BASE, "x@example.org"), BASE)
    vague = dsn("email:welcome:m-1", with_status=False, diagnostic="x-unix; no idea")
    plan = plan_bounces(read(forged, no_token, vague, []), soft_limit=1)
    assert (plan.read, plan.unmatched, plan.unclassified, plan.suppress) == (4, 2, 2, {})
