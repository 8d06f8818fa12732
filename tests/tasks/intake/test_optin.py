"""Double opt-in for joins, pure: who is asked to confirm, who goes on, who expired; the confirm email."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tasks.common.delivery import Delivery, Suppressed, message_action
from tasks.intake.apply import record_optin
from tasks.intake.intake import Joiner
from tasks.intake.optin import confirm_key, plan_optin
from tasks.intake.read import JoinQueue
from tests.helpers import config
from weaver.ledger import ApplyResult
from weaver.links import BadLink, LinkSigner
from weaver.state import StateDB
from weaver.state.optin import confirmations_of
from weaver.state.submissions import inbox_add, inbox_get

CFG = config()
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SIGNER = LinkSigner(b"k" * 32)


def joiner(entry: str, **fields: str) -> Joiner:
    return Joiner(entry, {"name": "Wen", "email": "wen@example.org", **fields}, "2026-11-24T08:00:00Z")


def test_a_new_join_is_asked_to_confirm_and_goes_nowhere_else() -> None:
    plan = plan_optin(JoinQueue([joiner("tally:1", language="中文")]), CFG, NOW, SIGNER)
    assert (plan.confirmed, plan.waiting, plan.expired) == ([], [], [])
    [message] = plan.messages
    assert (message.key, message.to_email, message.member_id, message.language) == (
        confirm_key("tally:1"),
        "wen@example.org",
        None,
        "zh",
    )
    assert "请确认您要加入" in message.subject and "7 天后删除" in message.text
    url = next(w for w in message.text.split() if "/l/confirm-join/" in w)
    assert url in message.html
    link = SIGNER.verify(url.rsplit("/", 1)[1], "confirm-join", NOW)
    assert link.subject == "tally:1" and link.expires == NOW + timedelta(days=7)
    assert "wen@example.org" not in url  # the token names the submission, never the address


def test_the_link_expires_with_the_request_and_confirms_nothing_for_another_purpose() -> None:
    [message] = plan_optin(JoinQueue([joiner("tally:1")]), CFG, NOW, SIGNER).messages
    token = next(w for w in message.text.split() if "/l/confirm-join/" in w).rsplit("/", 1)[1]
    for purpose, when, reason in (("confirm-join", NOW + timedelta(days=7), "expired"),
                                  ("unsubscribe", NOW, "purpose")):  # fmt: skip
        try:
            SIGNER.verify(token, purpose, when)
        except BadLink as bad:
            assert bad.reason == reason
        else:
            raise AssertionError(f"{purpose} at {when} verified")
    try:
        LinkSigner(b"another network's key!").verify(token, "confirm-join", NOW)
    except BadLink as bad:
        assert bad.reason == "forged"
    else:
        raise AssertionError("another network's key verified the token")


def test_confirmed_joins_go_on_waiting_ones_wait_and_late_ones_expire() -> None:
    asked = NOW - timedelta(days=3)
    queue = JoinQueue([
        replace(joiner("tally:ok"), asked_at=asked, expires_at=asked + timedelta(days=7), confirmed=True),
        replace(joiner("tally:wait"), asked_at=asked, expires_at=asked + timedelta(days=7)),
        replace(joiner("tally:late"), asked_at=NOW - timedelta(days=8), expires_at=NOW - timedelta(days=1)),
    ], ["confirmed:tally:ok"])  # fmt: skip
    plan = plan_optin(queue, CFG, NOW, SIGNER)
    assert [j.entry_id for j in plan.confirmed] == ["tally:ok"]
    assert [j.entry_id for j in plan.waiting] == ["tally:wait"]
    assert [j.entry_id for j in plan.expired] == ["tally:late"]
    assert plan.messages == [] and plan.markers == ["confirmed:tally:ok"]  # nobody is asked twice


def test_a_join_without_a_valid_email_goes_to_the_intake_checks_unmailed() -> None:
    plan = plan_optin(JoinQueue([joiner("tally:1", email="not-an-address"), joiner("tally:2", name="")]),
                      CFG, NOW, SIGNER)  # fmt: skip
    assert [j.entry_id for j in plan.confirmed] == ["tally:1", "tally:2"] and plan.messages == []


def test_with_confirm_joins_off_every_join_goes_straight_on() -> None:
    cfg = CFG.model_copy(update={"members": CFG.members.model_copy(update={"confirm_joins": False})})
    plan = plan_optin(JoinQueue([joiner("tally:1")]), cfg, NOW, SIGNER)
    assert [j.entry_id for j in plan.confirmed] == ["tally:1"] and plan.messages == []


def test_a_join_the_central_check_will_not_mail_is_closed_not_left_waiting(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'weaver.db'}")
    for entry in ("tally:gone", "tally:ok"):
        inbox_add(db, entry, "tally", "join", "join", {"fields": {"name": "Wen", "email": "wen@example.org"}})
    plan = plan_optin(JoinQueue([joiner("tally:gone"), joiner("tally:ok")]), CFG, NOW, SIGNER)
    gone, ok = plan.messages
    result = ApplyResult(done=[message_action(ok)])
    asked = record_optin(plan, Delivery(result, [Suppressed(gone, "forgotten")]), db, NOW, dry_run=False)
    assert asked == ["tally:ok"]
    closed = inbox_get(db, "tally:gone")
    assert (closed["status"], closed["detail"], closed["payload"]) == ("failed", "not asked to confirm: forgotten", {})
    assert inbox_get(db, "tally:ok")["status"] == "dispatched"
    assert confirmations_of(db, ["tally:ok", "tally:gone"]).keys() == {"tally:ok"}
