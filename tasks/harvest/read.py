"""event-harvest, read: the events (the Events tab, or the Google calendar as event-invites last synced it),
who came (the Attendance tab and check-ins by link), members, what was sent and answered so far, and the
Insights and News tabs (one read each; no planning, no writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.attendance import Attendance, parse_attendance
from tasks.common.prefect_task import task
from tasks.common.text import normalise_email
from tasks.events.events import Event, events_from_google, parse_events
from tasks.events.read import google_calendar_id
from tasks.harvest.harvest import Answer
from weaver.config import WeaverConfig
from weaver.state import StateDB, ledger_keys_like
from weaver.state.checkins import checkins_for
from weaver.state.events import load_calendar_sync
from weaver.state.harvest import answers_for, harvest_opened


@dataclass
class HarvestRead:
    events: list[Event]
    attended: list[Attendance]  # the Attendance tab's attended rows
    checkins: list[dict[str, Any]]  # check-ins by link (weaver.state.checkins)
    members: dict[str, dict[str, Any]]  # active members by id
    sent: list[tuple[str, datetime]]  # done ledger keys of thanks and reminders, with when
    answers: list[Answer]
    opened: dict[str, datetime] = field(default_factory=dict)  # events thanked for by an earlier run: since when
    insights: Grid | None = None  # None: no such tab
    news: Grid | None = None
    missing: list[str] = field(default_factory=list)  # tabs we looked for and did not find


def read_harvest(tables: TableBackend, db: StateDB, config: WeaverConfig, lang: str) -> HarvestRead:
    names = set(tables.tab_names())
    missing: list[str] = []

    def optional(tab: str) -> Grid | None:
        if tab in names:
            return tables.read_tab(tab)
        missing.append(tab)
        return None

    events: list[Event] = []  # the problems of either source are event-invites' to report
    if config.events.source == "table" and config.tabs.events in names:
        grid = tables.read_tab(config.tabs.events)
        if grid:
            events, _problems = parse_events(grid, config.events, config.tabs.events, config.network.timezone,
                                             lang, tables.describe())  # fmt: skip
    elif config.events.source == "google_calendar":  # the calendar as event-invites last synced it: no call
        _token, cached = load_calendar_sync(db, google_calendar_id(config))
        events, _problems = events_from_google(list(cached.values()), config.events, config.network.timezone, lang)
    members = {m["member_id"]: m for m in db.member_rows("active")}
    by_email = {normalise_email(m["email"]): m["member_id"] for m in members.values() if m.get("email")}
    attendance = optional(config.mixing.attendance_tab) or []
    rows, _rejected = parse_attendance(attendance, config.mixing.attendance_tab, by_email, set(members), lang)
    ids = [e.event_id for e in events]
    answers = [Answer(a["event_id"], a["member_id"], a["rating"], a["tag"], a["quote"], a["consent"],
                      a["answered_at"]) for a in answers_for(db, ids)]  # fmt: skip
    return HarvestRead(
        events=events,
        attended=[r for r in rows if r.status == "attended"],
        checkins=checkins_for(db, ids),
        members=members,
        sent=ledger_keys_like(db, ["harvest-thanks:", "harvest-reminder:"]),
        answers=answers,
        opened=harvest_opened(db),
        insights=optional(config.harvest.insights_tab),
        news=optional(config.tabs.news),
        missing=missing,
    )


read_harvest_task = task(name="read-event-harvest", cache_policy=NO_CACHE)(read_harvest)
