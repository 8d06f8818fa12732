"""group-mixer, read: the synced members, the attendance and Groups tabs, and the events' titles.

One read per tab. A missing Groups tab stops the run with what to add; a missing attendance or events tab
reads as empty (the coordinator may list the attendees; an event without a title is named by its date).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.attendance import event_titles
from tasks.common.prefect_task import task
from tasks.common.tables import read_tab
from tasks.mixing.mix import MixError
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.state import StateDB


@dataclass(frozen=True)
class MixSources:
    attendance: Grid
    groups: Grid
    titles: dict[str, str]  # event id -> title, from the events tab


def read_members(db: StateDB, lang: str) -> dict[str, dict[str, Any]]:
    """Member id -> fields, as member-sync stored them; none means member-sync has not run yet."""
    members = {row["member_id"]: row["fields"] for row in db.member_rows()}
    if not members:
        raise MixError(t("mix.no_members", lang))
    return members


def read_mixing_tabs(tables: TableBackend, config: WeaverConfig, lang: str) -> MixSources:
    cfg = config.mixing
    tabs = tables.tab_names()
    if cfg.groups_tab not in tabs:
        raise MixError(t("mix.no_groups_tab", lang, tab=cfg.groups_tab, source=tables.describe()))
    attendance = read_tab(tables, cfg.attendance_tab) if cfg.attendance_tab in tabs else []
    events = read_tab(tables, config.tabs.events) if config.tabs.events in tabs else []
    return MixSources(attendance, read_tab(tables, cfg.groups_tab), event_titles(events, config.events.columns))


read_members_task = task(name="read-members", cache_policy=NO_CACHE)(read_members)
read_mixing_tabs_task = task(name="read-mixing-tabs", cache_policy=NO_CACHE)(read_mixing_tabs)
