"""event-ideas, read: the Ideas and Events tabs (one read each), members and their dots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.ideas.ideas import Ideas, parse_ideas
from weaver.config import WeaverConfig
from weaver.state import StateDB
from weaver.state.ideas import dots_of


@dataclass
class IdeasState:
    ideas: Ideas
    events_grid: Grid | None
    members: list[dict[str, Any]] = field(default_factory=list)
    votes: list[dict[str, Any]] = field(default_factory=list)


def read_ideas(tables: TableBackend, db: StateDB, config: WeaverConfig) -> IdeasState:
    names = set(tables.tab_names())
    cfg = config.ideas
    ideas = parse_ideas(tables.read_tab(cfg.tab) if cfg.tab in names else None, cfg, tables.describe())
    events = tables.read_tab(config.tabs.events) if cfg.round and config.tabs.events in names else None
    votes = dots_of(db, cfg.round) if cfg.round else []
    return IdeasState(ideas, events, db.member_rows("active"), votes)


read_ideas_task = task(name="read-event-ideas", cache_policy=NO_CACHE)(read_ideas)
