"""impact-report's figures, pure: the quarter, members, events, new ties (met apart from introduced), surveys."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tasks.common.attendance import Attendance
from tasks.common.ties import tie
from tasks.impact import figures as f


def row(member_id: str, joined: str = "", gone_on: date | None = None, name: str = "") -> dict[str, object]:
    first = datetime(2026, 1, 5, tzinfo=UTC)
    return {"member_id": member_id, "fields": {"name": name or member_id, "joined": joined},
            "status": "gone" if gone_on else "active", "first_seen": first,
            "updated_at": datetime.combine(gone_on, datetime.min.time(), UTC) if gone_on else first}  # fmt: skip


def test_the_quarter_of_a_day_and_the_one_before() -> None:
    q = f.Quarter.of(date(2026, 11, 24))
    assert (q.label, q.start, q.end) == ("2026-Q4", date(2026, 10, 1), date(2026, 12, 31))
    assert q.months() == ["2026-10", "2026-11", "2026-12"]
    assert q.previous() == f.Quarter("2026-Q3", date(2026, 7, 1), date(2026, 9, 30))
    assert f.Quarter.of(date(2027, 1, 1)).previous().label == "2026-Q4"


def test_joins_leavers_and_retention_in_the_quarter() -> None:
    everyone = f.people([
        row("a", "2025-03-01"), row("b", "2026-05-01"), row("c", "2026-10-10"),  # c joined in the quarter
        row("d", "2026-02-01", gone_on=date(2026, 11, 2)),  # left in the quarter
        row("e", "2026-02-01", gone_on=date(2026, 8, 1)),  # left before it: not a member at its start
        row("f", "2026-12-20"),  # joins after the run's day: not counted yet
        row("g"),  # no joined date: the day first synced
    ])  # fmt: skip
    m = f.membership(everyone, f.Quarter.of(date(2026, 11, 24)), date(2026, 11, 24))
    assert (m.at_start, m.joins, m.leavers, m.at_end, m.retained) == (4, 1, 1, 4, 3)
    assert m.retention == 0.75


def test_new_ties_count_meetings_with_introductions_apart_and_nothing_still_to_come() -> None:
    ties = [
        tie("a", "b", "introduction", "intro:a:b", date(2026, 10, 3)),
        tie("a", "b", "group", "evt-1/r1/g1", date(2026, 11, 3)),  # met in November, after the introduction
        tie("a", "c", "group", "evt-1/r1/g1", date(2026, 11, 3)),
        tie("a", "c", "buddy", "buddy:c", date(2026, 11, 4)),  # the same pair again: counted once
        tie("c", "d", "event", "evt-1", date(2026, 11, 3)),  # sat in the same room: not a tie here
        tie("b", "c", "group", "evt-2/r1/g1", date(2026, 12, 1)),  # groups for an event still to come
        tie("a", "d", "group", "old/r1/g1", date(2026, 9, 1)),  # met before the quarter
    ]
    rows = f.ties_per_month(ties, f.Quarter.of(date(2026, 11, 24)), date(2026, 11, 24))
    assert rows == [("2026-10", 0, 1), ("2026-11", 2, 0), ("2026-12", 0, 0)]


def test_events_held_attendance_and_rate() -> None:
    def rec(event: str, day: date, member: str, status: str) -> Attendance:
        return Attendance(2, event, day, member, status, False)

    records = [rec("e1", date(2026, 10, 5), m, "attended") for m in "abc"]
    records += [rec("e1", date(2026, 10, 5), "d", "no-show"), rec("e2", date(2026, 12, 5), "a", "registered"),
                rec("e0", date(2026, 9, 5), "a", "attended")]  # fmt: skip
    ev = f.events_in(records, {"e1": "Autumn gathering"}, f.Quarter.of(date(2026, 11, 24)), date(2026, 11, 24))
    assert [(e.title, e.attended, e.expected) for e in ev.lines] == [("Autumn gathering", 3, 4)]
    assert (ev.held, ev.attendances, ev.people, ev.rate) == (1, 3, 3, 0.75)


def test_survey_highlights_count_answers_in_the_quarter_and_quote_no_free_text() -> None:
    at = datetime(2026, 11, 2, 8, tzinfo=UTC)
    answers = [{"Favourite?": "Talks", "Why?": f"because {i}"} for i in range(3)] + [{"Favourite?": "Walks"}]
    responses = [{"survey_id": "s1", "member_id": f"m{i}", "submitted_at": at, "answers": a}
                 for i, a in enumerate(answers)]  # fmt: skip
    responses.append({"survey_id": "s1", "member_id": "m9", "submitted_at": datetime(2026, 9, 1, tzinfo=UTC),
                      "answers": {"Favourite?": "Walks"}})  # fmt: skip
    [h] = f.survey_highlights(responses, {"s1": "Check-in"}, f.Quarter.of(at.date()), date(2026, 11, 24))
    assert (h.title, h.responses) == ("Check-in", 4)
    assert h.top == (("Favourite?", "Talks", 0.75),)
    assert "because" not in repr(h)
