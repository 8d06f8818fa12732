"""Thin tasks over the tables role, shared by every flow that reads a tab."""

from __future__ import annotations

import re

from prefect.cache_policies import NO_CACHE

from connectors.tables import CellValue, Grid, TableBackend
from tasks.common.prefect_task import task

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@task(name="read-tab", cache_policy=NO_CACHE)
def read_tab(tables: TableBackend, tab: str) -> Grid:
    """The whole tab in one read call."""
    return tables.read_tab(tab)


def number_cell(text: str) -> CellValue:
    """A number we computed, as its plain text ('12', '-3', '7500.5'), to write as a number cell.

    Only for our own computed columns: member text is never passed through this (a phone number stays text).
    Anything else (empty, '—') stays text.
    """
    if not _NUMBER.fullmatch(text):
        return text
    return float(text) if "." in text else int(text)
