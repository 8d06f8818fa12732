"""asks-offers, read: the members tab, the vocabulary tab (if the network has one) and the recorded ties."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task


def read_vocabulary(tables: TableBackend, tab: str) -> Grid:
    """The vocabulary tab; a network without one reads as an empty table (only identical words then match)."""
    return tables.read_tab(tab) if tab in tables.tab_names() else []


read_vocabulary_task = task(name="read-vocabulary", cache_policy=NO_CACHE)(read_vocabulary)
