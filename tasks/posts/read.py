"""social-posts, read: the Posts tab and, for drafts, the events and opportunities tabs and the newsletter archive."""

from __future__ import annotations

from dataclasses import dataclass, field

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.newsletter.compile import Edition
from tasks.site.read import archived_editions
from weaver.config import WeaverConfig
from weaver.state import StateDB


@dataclass
class PostSources:
    posts: Grid | None = None  # None: the network has no Posts tab
    events: Grid | None = None
    opportunities: Grid | None = None
    editions: list[Edition] = field(default_factory=list)


def read_post_sources(tables: TableBackend, config: WeaverConfig, db: StateDB) -> PostSources:
    """One read per tab; the tabs drafts come from only when `[posts] drafts_from` names them."""
    names, cfg = set(tables.tab_names()), config.posts
    wanted = {"posts": cfg.tab}
    if "events" in cfg.drafts_from and config.events.source == "table":
        wanted["events"] = config.tabs.events
    if "opportunities" in cfg.drafts_from:
        wanted["opportunities"] = config.tabs.opportunities
    grids = {key: tables.read_tab(tab) if tab in names else None for key, tab in wanted.items()}
    editions = archived_editions(db) if "newsletter" in cfg.drafts_from else []
    return PostSources(grids.get("posts"), grids.get("events"), grids.get("opportunities"), editions)


read_post_sources_task = task(name="read-post-sources", cache_policy=NO_CACHE)(read_post_sources)
