"""event-invites, check-ins: the check-ins made by personal link since the last run, into the Attendance tab.

The check-in page (deployments/pages/checkin.py) records each check-in in the state database at once. Here,
once per event-invites run, the check-ins not yet written become rows of the Attendance tab (`[mixing]
attendance_tab`, read once: event_id, date, email, member_id, status `attended`) in ONE batch write, and are then marked
written, so a rerun writes nothing. A check-in the tab already shows as attended (a write whose marking a
crash interrupted) is marked, not written again. A dry run shows the rows and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid, TableBackend
from tasks.common.attendance import HEADERS, parse_attendance
from tasks.common.columns import Columns
from tasks.common.prefect_task import task
from tasks.common.text import normalise_email
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.state import StateDB, as_utc
from weaver.state.checkins import active_member_by_email, checkin_event, mark_written, pending_checkins, record_checkin
from weaver.state.links import member_by_id
from weaver.state.submissions import INBOX_FAILED, PROCESSED, inbox_entries, inbox_mark

NEW_TAB_HEADER = ("event_id", "date", "email", "member_id", "status")


@dataclass
class CheckinRow:
    event_id: str
    member_id: str
    day: str  # the event's day in its own zone (YYYY-MM-DD)
    email: str
    name: str  # for the report (never the id)
    title: str


@dataclass
class CheckinsWritten:
    written: list[CheckinRow] = field(default_factory=list)  # (or would be, on a dry run)
    already_in_tab: int = 0
    missing_tab: str = ""  # no such tab: nothing written, the check-ins wait for the next run
    from_forms: int = 0  # check-ins from a check-in form (the inbox) recorded this run
    form_refused: int = 0  # form check-ins naming no event we invited to, or no member


def attendance_cells(grid: Grid, rows: Sequence[CheckinRow], tab: str) -> tuple[list[Cell], list[CheckinRow]]:
    """Pure: the cells that append `rows` as attended to the tab (a header first when it is empty), and the
    rows that were not there yet (a row for the same event and member already attended is left out)."""
    if not grid or not any(grid[0]):
        cols = {name: i for i, name in enumerate(NEW_TAB_HEADER)}
        cells = [Cell(1, i + 1, name) for i, name in enumerate(NEW_TAB_HEADER)]
        start, present = 2, set()
    else:
        columns = Columns(grid[0], tab)
        cols = {name: c for name, aliases in HEADERS.items() if (c := columns.first(aliases)) is not None}
        by_email = {normalise_email(r.email): r.member_id for r in rows}
        found, _bad = parse_attendance(grid, tab, by_email, {r.member_id for r in rows}, "en")
        present = {(a.event_id, a.member_id) for a in found if a.status == "attended"}
        cells, start = [], len(grid) + 1
    values = {"status": "attended", "role": ""}
    new = [r for r in rows if (r.event_id, r.member_id) not in present]
    for offset, r in enumerate(new):
        row = {**values, "event_id": r.event_id, "date": r.day, "email": r.email, "member_id": r.member_id}
        cells += [Cell(start + offset, col + 1, row[name]) for name, col in cols.items() if row.get(name)]
    return cells, new


def _rows(db: StateDB, pending: Sequence[Mapping[str, Any]]) -> list[CheckinRow]:
    out = []
    for p in pending:
        event = checkin_event(db, p["event_id"]) or {}
        member = member_by_id(db, p["member_id"]) or {}
        fields = member.get("fields") or {}
        start = event.get("starts_at") or p["checked_in_at"]
        day = start.astimezone(ZoneInfo(event.get("timezone") or "UTC")).date().isoformat()
        out.append(CheckinRow(p["event_id"], p["member_id"], day, str(member.get("email") or ""),
                              str(fields.get("name") or ""), str(event.get("title") or "")))  # fmt: skip
    return out


def form_checkins(db: StateDB, dry_run: bool) -> tuple[int, int]:
    """Check-ins from a form (Typeform, Tally, Google Forms; `[webhooks.forms.X] kind = "checkin"`), stored in
    the inbox by the webhook receiver: the event from a hidden field `event` (or `event_id`), the member matched
    by the submission's email. Each becomes a check-in like a personal link's (once per event and member) and
    its inbox entry is marked processed; one naming no scheduled event we invited to, or an address that is no
    active member's, is marked failed (the detail names neither). (recorded, refused); a dry run records none."""
    recorded = refused = 0
    for entry in inbox_entries(db, "checkin"):
        payload = entry.get("payload") or {}
        hidden = payload.get("hidden") or {}
        event_id = str(hidden.get("event") or hidden.get("event_id") or "").strip()
        event = checkin_event(db, event_id) if event_id else None
        member = active_member_by_email(db, normalise_email(str(payload.get("email") or hidden.get("email") or "")))
        if event is None or event["status"] != "scheduled" or member is None:
            refused += 1
            if not dry_run:
                detail = "no scheduled event with that id" if event is None or event["status"] != "scheduled" else (
                    "no active member with that address")  # fmt: skip
                inbox_mark(db, [entry["id"]], INBOX_FAILED, detail)
            continue
        recorded += 1
        if not dry_run:
            at = entry.get("received_at") or event["starts_at"]
            record_checkin(db, event["event_id"], member["member_id"], as_utc(at))
            inbox_mark(db, [entry["id"]], PROCESSED)
    return recorded, refused


def write_checkins(config: WeaverConfig, tables: TableBackend, db: StateDB, now: datetime,
                   dry_run: bool) -> CheckinsWritten:  # fmt: skip
    """Form check-ins first (into the state database), then one read and one batch write of the Attendance tab,
    then the check-ins are marked written."""
    from_forms, refused = form_checkins(db, dry_run)
    pending = pending_checkins(db)
    if not pending:
        return CheckinsWritten(from_forms=from_forms, form_refused=refused)
    rows, tab = _rows(db, pending), config.mixing.attendance_tab
    try:
        grid = tables.read_tab(tab)
    except SourceError:  # no Attendance tab: say so, keep the check-ins for a run that has one
        return CheckinsWritten(missing_tab=tab, from_forms=from_forms, form_refused=refused)
    cells, new = attendance_cells(grid, rows, tab)
    if not dry_run:
        tables.write_cells(tab, cells)
        mark_written(db, [(r.event_id, r.member_id) for r in rows], now)
    return CheckinsWritten(new, len(rows) - len(new), from_forms=from_forms, form_refused=refused)


write_checkins_task = task(name="write-checkins", cache_policy=NO_CACHE)(write_checkins)
