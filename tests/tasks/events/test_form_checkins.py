"""Check-ins from a form (Typeform, Tally, Google Forms with a hidden `event` field) stored in the inbox by the
webhook receiver: a member matched by email is checked in once; an unknown address or event checks nobody in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tasks.events.checkins import form_checkins
from weaver.config import FormConfig
from weaver.state import StateDB, save_members
from weaver.state.checkins import checkins_for, save_checkin_events
from weaver.state.submissions import inbox_add, inbox_get

START = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def submission(email: str, event: str) -> dict:
    return {"form": "door-form", "submitted_at": START.isoformat(), "email": email, "name": "", "answers": {},
            "hidden": {"event": event}, "fields": {}}  # fmt: skip


def test_a_form_check_in_records_the_member_once_and_refuses_strangers_and_unknown_events(tmp_path: Path) -> None:
    assert FormConfig(provider="tally", kind="checkin", secret={"env": "DOOR_FORM_SECRET"}).kind == "checkin"
    db = StateDB(f"sqlite:///{tmp_path / 'state.db'}")
    save_members(db, [{"member_id": "m-ana", "email": "ana@example.org", "fields_hash": "x",
                       "fields": {"name": "Ana", "email": "ana@example.org"}}], [])  # fmt: skip
    event = {"event_id": "roundtable", "title": "Roundtable", "starts_at": START, "ends_at": START + timedelta(hours=2),
             "timezone": "UTC", "status": "scheduled"}  # fmt: skip
    save_checkin_events(db, [event])
    inbox_add(db, "tally:1", "tally", "door-form", "checkin", submission(" Ana@Example.org", "roundtable"))
    inbox_add(db, "tally:2", "tally", "door-form", "checkin", submission("stranger@example.net", "roundtable"))
    inbox_add(db, "tally:3", "tally", "door-form", "checkin", submission("ana@example.org", "no-such-event"))
    inbox_add(db, "tally:4", "tally", "door-form", "checkin", submission("ana@example.org", "roundtable"))  # twice
    assert form_checkins(db, dry_run=True) == (2, 2) and checkins_for(db, ["roundtable"]) == []
    assert form_checkins(db, dry_run=False) == (2, 2)
    assert [c["member_id"] for c in checkins_for(db, ["roundtable", "no-such-event"])] == ["m-ana"]  # once
    assert [inbox_get(db, f"tally:{i}")["status"] for i in (1, 2, 3, 4)] == ["processed", "failed", "failed",
                                                                            "processed"]  # fmt: skip
    assert "stranger" not in str(inbox_get(db, "tally:2")["detail"])
    assert form_checkins(db, dry_run=False) == (0, 0)  # a rerun: every entry was settled
    db.close()
