"""Thin tasks over the tables role, shared by every flow that reads a tab."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend


@task(name="read-tab", cache_policy=NO_CACHE)
def read_tab(tables: TableBackend, tab: str) -> Grid:
    """The whole tab in one read call."""
    return tables.read_tab(tab)
