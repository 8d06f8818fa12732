"""event-harvest, read: with the events' source a Google calendar, the events are those event-invites last
synced from it (kept in the state database; no call to Google), so a finished calendar event is harvested."""

from __future__ import annotations

from pathlib import Path

from flows._runtime import build_tables
from tasks.harvest.read import read_harvest
from weaver.config import load_config
from weaver.state import StateDB
from weaver.state.events import save_calendar_sync
from weaver.workspace import Workspace

SALON = {"id": "salon", "summary": "气候沙龙", "location": "上海", "status": "confirmed",
         "start": {"dateTime": "2026-11-20T19:00:00+08:00", "timeZone": "Asia/Shanghai"},
         "end": {"dateTime": "2026-11-20T21:00:00+08:00", "timeZone": "Asia/Shanghai"},
         "description": "受众：兴趣 包含 气候"}  # fmt: skip
CALLED_OFF = {**SALON, "id": "called-off", "summary": "Called off", "status": "cancelled"}
NO_AUDIENCE = {**SALON, "id": "no-audience", "description": ""}  # event-invites reports it; never harvested


def test_a_google_calendar_source_harvests_the_events_event_invites_last_synced(demo_ws: Path) -> None:
    config_file = demo_ws / "weaver.toml"
    text = config_file.read_text(encoding="utf-8").replace('source = "table"', 'source = "google_calendar"')
    text += '\n[calendar.google]\ncalendar_id = "network"\ncredentials = { env = "UNUSED_GCAL_TOKEN" }\n'
    config_file.write_text(text, encoding="utf-8")
    ws = Workspace.open(demo_ws)
    config, db, tables = load_config(config_file), StateDB(ws.state_url), build_tables(ws)
    before = read_harvest(tables, db, config, "zh")
    assert before.events == []  # nothing synced yet: nothing to harvest, and no error
    items = {i["id"]: i for i in (SALON, CALLED_OFF, NO_AUDIENCE)}
    save_calendar_sync(db, "network", "token-1", items)
    save_calendar_sync(db, "other", "token-2", {"elsewhere": {**SALON, "id": "elsewhere"}})  # another calendar
    read = read_harvest(tables, db, config, "zh")
    by_id = {e.event_id: e for e in read.events}
    assert sorted(by_id) == ["called-off", "salon"]
    assert by_id["salon"].title == "气候沙龙" and by_id["salon"].status == "scheduled"
    assert by_id["called-off"].status != "scheduled"  # the plan thanks only for scheduled events that ended
    db.close()
