"""site, read: the events, opportunities and news tabs (one read each), the members as member-sync last saw
them, the newsletter's archived editions (from the ledger) and the workspace's calendar.ics."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.newsletter.apply import ARCHIVE_KIND
from tasks.newsletter.compile import Edition
from weaver.config import WeaverConfig
from weaver.ledger import DONE, Ledger
from weaver.state import StateDB


@dataclass
class SiteSources:
    events: Grid | None = None  # None: no such tab (or events come from Google Calendar)
    opportunities: Grid | None = None
    news: Grid | None = None
    members: list[dict[str, str]] = field(default_factory=list)  # active members' fields
    editions: list[Edition] = field(default_factory=list)  # the newest archived edition per period and language
    calendar: bytes | None = None  # the workspace's calendar.ics, as event-invites wrote it
    source_name: str = ""


def read_tabs(tables: TableBackend, config: WeaverConfig) -> dict[str, Grid | None]:
    names = set(tables.tab_names())
    wanted = {"opportunities": config.tabs.opportunities, "news": config.tabs.news}
    if config.events.source == "table":
        wanted["events"] = config.tabs.events
    return {section: tables.read_tab(tab) if tab in names else None for section, tab in wanted.items()}


def archived_editions(db: StateDB) -> list[Edition]:
    """Every period's edition per language as last archived (a recompile replaces the first issue)."""
    found: dict[tuple[str, str], Edition] = {}
    for entry in Ledger(db, "newsletter").entries(status=DONE, kind=ARCHIVE_KIND):  # oldest first: newest wins
        if entry["payload"]:
            edition = Edition.from_payload(entry["payload"])
            found[(edition.period, edition.lang)] = edition
    return [found[k] for k in sorted(found)]


def read_site_sources(tables: TableBackend, config: WeaverConfig, db: StateDB, calendar_file: Path) -> SiteSources:
    tabs = read_tabs(tables, config)
    members: list[dict[str, Any]] = db.member_rows("active")
    return SiteSources(
        events=tabs.get("events"),
        opportunities=tabs.get("opportunities"),
        news=tabs.get("news"),
        members=[{k: str(v) for k, v in (row["fields"] or {}).items()} for row in members],
        editions=archived_editions(db),
        calendar=calendar_file.read_bytes() if calendar_file.is_file() else None,
        source_name=tables.describe(),
    )


read_site_sources_task = task(name="read-site-sources", cache_policy=NO_CACHE)(read_site_sources)
