"""The attendance tab: typed rows, reported rejects, the event to mix."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.common.attendance import events, next_event, parse_attendance
from weaver.errors import SourceError

MEMBERS = {"ana@example.org": "m-ana", "zw@example.cn": "m-zw", "li@example.cn": "m-li"}
IDS = set(MEMBERS.values())


def parse(*rows: list[str], header: list[str] | None = None):  # type: ignore[no-untyped-def]
    grid = [header or ["活动编号", "日期", "邮箱", "状态", "角色"], *rows]
    return parse_attendance(grid, "Attendance", MEMBERS, IDS, "en")


def test_chinese_headers_statuses_and_roles_are_read() -> None:
    records, rejected = parse(
        ["evt-1", "2026年12月1日", "ZW@Example.cn ", "已报名", "主持人"],
        ["evt-1", "2026/12/1", "ana@example.org", "出席", ""],
    )
    assert rejected == []
    assert [(r.member_id, r.status, r.facilitator, r.day) for r in records] == [
        ("m-zw", "registered", True, date(2026, 12, 1)),
        ("m-ana", "attended", False, date(2026, 12, 1)),
    ]


def test_unusable_rows_are_reported_with_their_row_number() -> None:
    _records, rejected = parse(
        ["evt-1", "2026-12-01", "nobody@example.org", "registered", ""],
        ["evt-1", "soon", "ana@example.org", "registered", ""],
        ["", "2026-12-01", "ana@example.org", "registered", ""],
        ["evt-1", "2026-12-01", "ana@example.org", "maybe", ""],
        ["", "", "", "", ""],  # blank: skipped, not rejected
    )
    assert [(r.row, r.reason) for r in rejected] == [
        (2, "no synced member has this email or member id"),
        (3, "date is not a date"),
        (4, "event id is missing"),
        (5, "status not recognised (registered, attended, no-show, cancelled)"),
    ]


def test_a_tab_without_the_needed_columns_is_a_clear_error() -> None:
    with pytest.raises(SourceError, match="tab 'Attendance' has no column 'status'"):
        parse(header=["event_id", "date", "email"])


def test_a_later_row_wins_so_a_cancellation_removes_the_registration() -> None:
    records, _ = parse(
        ["evt-1", "2026-12-01", "ana@example.org", "registered", ""],
        ["evt-1", "2026-12-01", "zw@example.cn", "registered", ""],
        ["evt-1", "2026-12-01", "ana@example.org", "取消", ""],
    )
    assert events(records)["evt-1"].attendees == ("m-zw",)


def test_the_next_event_is_the_first_upcoming_one_with_registrations() -> None:
    records, _ = parse(
        ["old", "2026-10-01", "ana@example.org", "attended", ""],
        ["empty", "2026-11-30", "ana@example.org", "cancelled", ""],
        ["later", "2026-12-20", "li@example.cn", "registered", ""],
        ["soon", "2026-12-01", "zw@example.cn", "registered", ""],
    )
    assert next_event(events(records), date(2026, 11, 24)).event_id == "soon"  # type: ignore[union-attr]
    assert next_event(events(records), date(2027, 1, 1)).event_id == "later"  # type: ignore[union-attr]
