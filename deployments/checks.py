"""Checks `weaver run` makes before Prefect starts: each mistake is one line naming the file, tab, column or
parameter, found in a second instead of after the server and the flow run have started.

What is checked: the config (Workspace.open), the tables source and its tab names (one call: for Google
Sheets it also shows the service answers), the tabs an operation cannot run without and their mapped
columns (read only where the read is local and cheap), and every `-p` value against the flow's own types.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

from connectors.tables import TableBackend
from weaver.errors import SourceError, WeaverError
from weaver.workspace import Workspace

LOCAL_BACKENDS = ("workbook", "csv")


def _member_sync(ws: Workspace, tables: TableBackend, tabs: list[str]) -> None:
    from tasks.members.plan import locate_columns

    cfg = ws.config.members
    _require_tab(tables, cfg.tab, tabs, "[members] tab")
    if ws.config.tables.backend in LOCAL_BACKENDS:
        grid = tables.read_tab(cfg.tab)
        header = grid[cfg.header_row - 1] if len(grid) >= cfg.header_row else []
        locate_columns(header, cfg, cfg.tab, tables.describe())


def _event_invites(ws: Workspace, tables: TableBackend, tabs: list[str]) -> None:
    from tasks.events.events import locate_event_columns

    if ws.config.events.source != "table":
        return
    tab = ws.config.tabs.events
    _require_tab(tables, tab, tabs, "[tabs] events")
    if ws.config.tables.backend in LOCAL_BACKENDS:
        grid = tables.read_tab(tab)
        locate_event_columns(grid[0] if grid else [], ws.config.events, tab, tables.describe())


# The operations whose tabs are required (the others treat their tabs as optional and report what is missing).
TAB_CHECKS: dict[str, Callable[[Workspace, TableBackend, list[str]], None]] = {
    "member-sync": _member_sync,
    "event-invites": _event_invites,
}


def _require_tab(tables: TableBackend, tab: str, tabs: list[str], key: str) -> None:
    if tab not in tabs:
        raise SourceError(f"{tables.describe()}: no tab named {tab!r} ({key}); its tabs are: {', '.join(tabs)}")


def check_tables(ws: Workspace, tables: TableBackend, flows: list[str]) -> None:
    try:
        tabs = tables.tab_names()
    except WeaverError:
        raise
    except Exception as exc:  # a client library's own error: the service is down or refuses us
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise SourceError(f"{tables.describe()}: cannot read the tables ({type(exc).__name__}: {first})") from None
    for name in flows:
        if name in TAB_CHECKS:
            TAB_CHECKS[name](ws, tables, tabs)


def check_params(name: str, fn: Callable[..., Any], params: Mapping[str, str]) -> None:
    """Every `-p key=value` names a parameter of the flow and converts to its type (as Prefect will)."""
    from pydantic import TypeAdapter, ValidationError

    accepted = inspect.signature(fn).parameters
    try:
        hints = typing.get_type_hints(fn, include_extras=True)  # Annotated validators too (group-mixer's balance)
    except Exception:  # an annotation only importable for type checkers: Prefect checks that one
        hints = {}
    for key, value in params.items():
        if key not in accepted:
            takes = ", ".join(p for p in accepted if p not in ("workspace", "dry_run"))
            raise WeaverError(f"--param {key}: {name} has no parameter {key!r} (it takes: {takes or 'none'})")
        hint = hints.get(key)
        if hint is None or hint is str:
            continue
        try:
            TypeAdapter(hint).validate_python(value)
        except ValidationError as exc:
            why = exc.errors()[0]["msg"]
            raise WeaverError(f"--param {key}={value!r}: {why[0].lower() + why[1:]}") from None
