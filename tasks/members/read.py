"""member-sync, read: the members tab in one read call (the Mailchimp audience's read is in audience.py)."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from weaver.config import WeaverConfig


def read_members(tables: TableBackend, config: WeaverConfig) -> Grid:
    """The whole members tab, as text, in one call: the plan types and checks every cell itself."""
    return tables.read_tab(config.members.tab)


read_members_task = task(name="read-members", cache_policy=NO_CACHE)(read_members)
