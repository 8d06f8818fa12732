"""chat-prompts, read: the Prompts, events and opportunities tabs (one read each) and the members' fields."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from weaver.config import WeaverConfig
from weaver.state import StateDB


@dataclass
class PromptSources:
    prompts: Grid | None = None
    events: Grid | None = None
    opportunities: Grid | None = None
    members: list[dict[str, str]] = field(default_factory=list)


def read_prompt_sources(tables: TableBackend, config: WeaverConfig, db: StateDB) -> PromptSources:
    names = set(tables.tab_names())
    wanted = {"prompts": config.prompts.tab, "opportunities": config.tabs.opportunities}
    if config.events.source == "table":
        wanted["events"] = config.tabs.events
    grids = {key: tables.read_tab(tab) if tab in names else None for key, tab in wanted.items()}
    members = [{k: str(v) for k, v in (row["fields"] or {}).items()} for row in db.member_rows("active")]
    return PromptSources(grids.get("prompts"), grids.get("events"), grids.get("opportunities"), members)


read_prompt_sources_task = task(name="read-prompt-sources", cache_policy=NO_CACHE)(read_prompt_sources)
