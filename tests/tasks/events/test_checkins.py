"""Check-ins by link into the Attendance tab: one batch write, names in the report, and a rerun writes nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from flows._runtime import build_tables
from tasks.common.attendance import parse_attendance
from tasks.events.calendar import Person
from tasks.events.checkins import CheckinRow, attendance_cells, write_checkins
from tasks.events.events import INVITE, REMINDER, UPDATE, Intent
from tasks.events.messages import Context, message_for
from tests.tasks.events.test_events import event as make_event
from weaver.state import StateDB, save_members
from weaver.state.checkins import pending_checkins, record_checkin, save_checkin_events
from weaver.workspace import Workspace

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
START = datetime(2026, 12, 7, 16, 30, tzinfo=UTC)  # 00:30 on 8 December in Shanghai: the event's own day


def row(member: str, event: str = "ev-a") -> CheckinRow:
    return CheckinRow(event, member, "2026-12-08", f"{member}@example.org", member.upper(), "Workshop")


def test_cells_append_after_the_last_row_under_the_tabs_own_headers_and_skip_rows_already_there() -> None:
    grid = [["活动编号", "日期", "邮箱", "状态"], ["ev-a", "2026-12-08", "m-b@example.org", "出席"], ["", "", "", ""]]
    cells, new = attendance_cells(grid, [row("m-a"), row("m-b")], "Attendance")
    assert [r.member_id for r in new] == ["m-a"]  # m-b is already attended there: not written twice
    assert sorted(cells) == [(4, 1, "ev-a"), (4, 2, "2026-12-08"), (4, 3, "m-a@example.org"), (4, 4, "attended")]
    empty_cells, _ = attendance_cells([], [row("m-a")], "Attendance")
    assert [c.value for c in empty_cells if c.row == 1] == ["event_id", "date", "email", "member_id", "status"]


def test_checkins_land_in_the_attendance_tab_in_one_batch_and_a_rerun_writes_nothing(demo_ws: Path) -> None:
    ws = Workspace.open(demo_ws)
    db, tables = StateDB(ws.state_url), build_tables(ws)
    save_members(db, [{"member_id": m, "email": f"{m}@example.org", "fields_hash": m,
                       "fields": {"name": n, "email": f"{m}@example.org"}}
                      for m, n in (("m-a", "张伟"), ("m-b", "Ana Garcia"))], [])  # fmt: skip
    save_checkin_events(db, [{"event_id": "ev-a", "title": "气候行动工作坊", "starts_at": START, "ends_at": START,
                              "timezone": "Asia/Shanghai", "status": "scheduled"}])  # fmt: skip
    for member in ("m-a", "m-b"):
        record_checkin(db, "ev-a", member, NOW)
    before = tables.read_tab(ws.config.mixing.attendance_tab)

    preview = write_checkins(ws.config, tables, db, NOW, dry_run=True)
    assert len(preview.written) == 2 and tables.read_tab("Attendance") == before and len(pending_checkins(db)) == 2

    tables.calls.clear()
    done = write_checkins(ws.config, tables, db, NOW, dry_run=False)
    assert tables.calls == Counter({"read": 1, "write": 1})  # one read, ONE batch write
    names = [(c.name, c.title, c.day) for c in done.written]  # what the report shows: names, not ids
    assert names == [("张伟", "气候行动工作坊", "2026-12-08"), ("Ana Garcia", "气候行动工作坊", "2026-12-08")]
    after = tables.read_tab("Attendance")
    by_email = {"m-a@example.org": "m-a", "m-b@example.org": "m-b"}
    found, rejected = parse_attendance(
        after[:1] + after[len(before) :], "Attendance", by_email, set(by_email.values()), "en"
    )
    assert [(a.event_id, a.member_id, a.status, a.day.isoformat()) for a in found] == [
        ("ev-a", "m-a", "attended", "2026-12-08"), ("ev-a", "m-b", "attended", "2026-12-08")]  # fmt: skip
    assert rejected == [] and pending_checkins(db) == []

    tables.calls.clear()
    again = write_checkins(ws.config, tables, db, NOW, dry_run=False)
    assert again.written == [] and tables.calls["write"] == 0 and tables.read_tab("Attendance") == after


def test_invitations_and_reminders_carry_the_personal_checkin_link_and_other_messages_do_not() -> None:
    event = make_event()
    made = []

    def links(purpose: str, member: str, scope: str) -> str:
        made.append((purpose, member, scope))
        return f"https://x/l/{purpose}/T"

    ctx = Context("Net", "Asia/Shanghai", "en", Person("hub@example.org", "Hub"), "example.org", "", NOW, links)
    member = {"member_id": "m-a", "email": "m-a@example.org", "fields": {"name": "Ana", "language": "en"}}
    for purpose in (INVITE, REMINDER, UPDATE):
        message = message_for(Intent(purpose, event.event_id, "m-a", 0, "1d"), event, member, ctx)
        assert ("https://x/l/checkin/T" in message.text) == (purpose != UPDATE), purpose
    assert made == [("checkin", "m-a", event.event_id)] * 2
