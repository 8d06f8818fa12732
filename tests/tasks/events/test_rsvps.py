"""RSVPs: answers from the tab and the webhook inbox, the latest answer wins, seats and a waitlist that moves up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tasks.events.rsvps import (
    Answer,
    Directory,
    assign_seats,
    inbox_answers,
    latest,
    merge,
    parse_response,
    tab_answers,
)
from weaver.config import EventsConfig

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")
PEOPLE = Directory({"wang@example.cn": "m-1", "ana@example.org": "m-2"}, frozenset({"m-1", "m-2", "m-3"}),
                   frozenset({"clinic"}))  # fmt: skip


@pytest.mark.parametrize(
    ("text", "answer"),
    [("参加", "yes"), ("是", "yes"), ("Yes", "yes"), (True, "yes"), (["Going"], "yes"), ("不参加", "no"),
     ("拒绝", "no"), ("Declined", "no"), (False, "no"), ("待定", "maybe"), ("tentative", "maybe"), ("也许吧", None),
     ("", None)],
)  # fmt: skip
def test_answers_in_english_and_chinese(text: object, answer: str | None) -> None:
    assert parse_response(text) == answer


def answer(member: str, response: str, minutes: int, source: str = "inbox") -> Answer:
    return Answer("clinic", member, source, response, NOW + timedelta(minutes=minutes))


def test_seats_go_in_order_and_the_rest_wait() -> None:
    answers = {m: answer(m, "yes", i) for i, m in enumerate(["m-1", "m-2", "m-3", "m-4"])}
    assert assign_seats(2, answers, {}) == {"m-1": "confirmed", "m-2": "confirmed", "m-3": "waitlisted",
                                            "m-4": "waitlisted"}  # fmt: skip
    assert set(assign_seats(None, answers, {}).values()) == {"confirmed"}  # no capacity: everyone has a place


def test_a_decline_frees_a_seat_for_the_first_on_the_waitlist() -> None:
    before = {"m-1": "confirmed", "m-2": "confirmed", "m-3": "waitlisted", "m-4": "waitlisted"}
    answers = {m: answer(m, "yes", i) for i, m in enumerate(["m-1", "m-2", "m-3", "m-4"])}
    answers["m-1"] = answer("m-1", "no", 60)
    assert assign_seats(2, answers, before) == {"m-1": "declined", "m-2": "confirmed", "m-3": "confirmed",
                                                "m-4": "waitlisted"}  # fmt: skip


def test_a_confirmed_seat_is_kept_even_when_an_earlier_answer_arrives_late() -> None:
    before = {"m-2": "confirmed"}
    answers = {"m-1": answer("m-1", "yes", -100), "m-2": answer("m-2", "yes", 5)}
    assert assign_seats(1, answers, before) == {"m-1": "waitlisted", "m-2": "confirmed"}


def test_the_latest_answer_from_any_source_wins() -> None:
    merged = merge([answer("m-1", "yes", 0, "tab")], [answer("m-1", "no", 30, "inbox")])
    assert latest(merged.values())[("clinic", "m-1")].response == "no"
    older = merge(merged.values(), [answer("m-1", "yes", 10, "inbox")])  # a replayed, older webhook
    assert latest(older.values())[("clinic", "m-1")].response == "no"


def test_tab_rows_match_members_by_email_and_unusable_rows_are_reported() -> None:
    cfg = EventsConfig(rsvp_columns={"event_id": "活动编号", "email": "邮箱", "response": "回复",
                                     "submitted_at": "提交时间"})  # fmt: skip
    grid = [
        ["活动编号", "邮箱", "回复", "提交时间"],
        ["clinic", " WANG@Example.cn ", "参加", "2026-11-23 09:00"],
        ["clinic", "ana@example.org", "不参加", ""],
        ["nope", "ana@example.org", "参加", ""],
        ["clinic", "stranger@example.net", "参加", ""],
        ["clinic", "ana@example.org", "随便", ""],
    ]
    out = tab_answers(grid, cfg, "RSVPs", PEOPLE, {}, SHANGHAI, NOW, "en")
    assert [(a.member_id, a.response) for a in out.answers] == [("m-1", "yes"), ("m-2", "no")]
    assert out.answers[0].submitted_at == datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # typed in network time
    assert [(u.where, u.reason) for u in out.unusable] == [
        ("RSVPs row 4", "no event with id 'nope'"),
        ("RSVPs row 5", "no active member with this email or member id"),
        ("RSVPs row 6", "answer not recognised (yes, no or maybe)"),
    ]


def test_a_tab_row_without_a_time_keeps_the_time_it_was_first_seen() -> None:
    cfg = EventsConfig()
    grid = [["event_id", "email", "response"], ["clinic", "ana@example.org", "yes"]]
    first = tab_answers(grid, cfg, "RSVPs", PEOPLE, {}, SHANGHAI, NOW, "en").answers[0]
    stored = {("clinic", "m-2", "tab"): first}
    again = tab_answers(grid, cfg, "RSVPs", PEOPLE, stored, SHANGHAI, NOW + timedelta(days=3), "en").answers[0]
    assert again.submitted_at == first.submitted_at  # so re-reading the tab never outvotes a newer webhook answer


def test_inbox_rsvps_use_hidden_fields_and_failures_keep_their_submission_id() -> None:
    payloads = [
        {"email": "Ana@Example.org", "submitted_at": "2026-11-24T03:00:00Z", "answers": {"是否参加": "参加"},
         "hidden": {"event_id": "clinic"}},
        {"email": "x@example.org", "answers": {"rsvp": "yes"}, "hidden": {"member_id": "m-3", "event": "clinic"}},
        {"email": "ana@example.org", "answers": {"rsvp": "yes"}, "hidden": {}},
    ]  # fmt: skip
    rows = [{"id": f"tally:{i}", "received_at": NOW, "payload": p} for i, p in enumerate(payloads, start=1)]
    out = inbox_answers(rows, EventsConfig(), PEOPLE, "en")
    assert [(a.member_id, a.response, a.submitted_at.hour) for a in out.answers] == [
        ("m-2", "yes", 3),
        ("m-3", "yes", 2),
    ]
    assert out.processed == ["tally:1", "tally:2"]
    assert [(u.inbox_id, u.reason) for u in out.unusable] == [("tally:3", "no event with id '-'")]
