"""event-invites, read: the sources (events tab or Google calendar, RSVPs, opportunities) and the state.

One read per tab and a few queries, each phase one thin task over the whole batch (never one per event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.calendar import SyncTokenExpired
from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.events.events import key_prefixes
from tasks.events.rsvps import Answer
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.state import StateDB, ledger_keys_like
from weaver.state.events import load_calendar_sync, load_event_versions, load_rsvps, load_seats
from weaver.state.submissions import inbox_entries


@dataclass
class Sources:
    events_grid: Grid | None = None  # the events tab, or
    google_items: list[dict[str, Any]] | None = None  # the Google calendar's events (source = google_calendar)
    google_sync: tuple[str, str | None, dict[str, Any]] | None = None  # (calendar, token, cache) to save
    rsvp_grid: Grid = field(default_factory=list)
    opportunities_grid: Grid = field(default_factory=list)
    funders_grid: Grid = field(default_factory=list)  # report deadlines (funder-stewardship) for calendar.ics
    proposals_grid: Grid = field(default_factory=list)  # decision rounds' closing days, for calendar.ics
    missing_tabs: list[str] = field(default_factory=list)
    source_name: str = ""


def _optional_tab(tables: TableBackend, tab: str, missing: list[str]) -> Grid:
    try:
        return tables.read_tab(tab)
    except SourceError:
        missing.append(tab)
        return []


def read_sources(config: WeaverConfig, tables: TableBackend, db: StateDB, calendar: Any | None) -> Sources:
    """One read per tab (events, RSVPs, opportunities), or a sync-token listing of the Google calendar."""
    out = Sources(source_name=tables.describe())
    if config.events.source == "table":
        out.events_grid = tables.read_tab(config.tabs.events)
    else:
        calendar_id = google_calendar_id(config)
        out.google_items, token, cache = read_google_events(calendar, db, calendar_id)
        out.google_sync = (calendar_id, token, cache)
        out.source_name = "Google Calendar"
    out.rsvp_grid = _optional_tab(tables, config.tabs.rsvps, out.missing_tabs)
    out.opportunities_grid = _optional_tab(tables, config.tabs.opportunities, out.missing_tabs)
    names = set(tables.tab_names())  # the optional tabs below: most networks start without them
    if config.funders.tab in names:
        out.funders_grid = tables.read_tab(config.funders.tab)
    if config.decisions.proposals_tab in names:
        out.proposals_grid = tables.read_tab(config.decisions.proposals_tab)
    return out


def google_calendar_id(config: WeaverConfig) -> str:
    """The Google calendar the events come from (and whose sync state is kept under this id)."""
    return config.calendar.google.calendar_id if config.calendar.google else "primary"


def read_google_events(calendar: Any, db: StateDB, calendar_id: str) -> tuple[list[dict[str, Any]], str | None, dict]:
    """Changes since the last sync token applied to the cached events; a stale token means a full listing."""
    token, cache = load_calendar_sync(db, calendar_id)
    try:
        listing = calendar.list_events(token)
    except SyncTokenExpired:
        token, cache = None, {}
        listing = calendar.list_events(None)
    if token is None:
        cache = {}
    for item in listing.items:
        cache[item["id"]] = {**cache.get(item["id"], {}), **item}  # a deleted event comes back as a stub
    return list(cache.values()), listing.sync_token, cache


@dataclass
class State:
    versions: dict[str, dict[str, Any]]
    answers: list[Answer]
    seats: dict[tuple[str, str], str]
    sent_keys: list[tuple[str, datetime]]
    members: list[dict[str, Any]]
    inbox: list[dict[str, Any]]


def load_state(db: StateDB, event_ids: Sequence[str]) -> State:
    """Everything the plan needs from the state database, in a few queries."""
    answers = [Answer(r["event_id"], r["member_id"], r["source"], r["response"], r["submitted_at"])
               for r in load_rsvps(db)]  # fmt: skip
    sent = []
    prefixes = key_prefixes(event_ids)
    for start in range(0, len(prefixes), 60):  # a bounded OR per query
        sent += ledger_keys_like(db, prefixes[start : start + 60])
    return State(load_event_versions(db), answers, load_seats(db), sent, db.member_rows("active"),
                 inbox_entries(db, "rsvp"))  # fmt: skip


read_sources_task = task(name="read-event-sources", cache_policy=NO_CACHE)(read_sources)
load_state_task = task(name="load-event-state", cache_policy=NO_CACHE)(load_state)
