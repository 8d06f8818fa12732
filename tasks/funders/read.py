"""funder-stewardship, read: the Funders tab and the opportunities tab (one read each), the newest fact sheet."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.funders.funders import Funders, PipelineItem, parse_funders, parse_pipeline
from weaver.config import WeaverConfig
from weaver.workspace import Workspace


def read_funders(tables: TableBackend, config: WeaverConfig) -> tuple[Funders, list[PipelineItem]]:
    """The Funders tab (absent: nothing to do, reported) and the pipeline the prep sheets draw on."""
    names = set(tables.tab_names())
    tab = config.funders.tab
    funders = parse_funders(tables.read_tab(tab) if tab in names else None, config.funders, tables.describe())
    opportunities = config.tabs.opportunities
    pipeline = parse_pipeline(tables.read_tab(opportunities), config.grants.columns) if opportunities in names else []
    return funders, pipeline


def read_fact_sheet(ws: Workspace, config: WeaverConfig) -> str:
    """The newest fact sheet under the folder (impact-report writes reports/impact/<quarter>/factsheet-*.html;
    any other file counts when there is none of those), relative to the workspace; '' if none."""
    if not config.funders.fact_sheets:
        return ""
    folder = ws.path(config.funders.fact_sheets)
    if not folder.is_dir():
        return ""
    files = [p for p in folder.rglob("factsheet-*") if p.is_file()]
    files = files or [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")]
    if not files:
        return ""
    newest = max(files, key=lambda p: (p.stat().st_mtime, p.name))
    return f"{config.funders.fact_sheets.rstrip('/')}/{newest.relative_to(folder).as_posix()}"


read_funders_task = task(name="read-funders", cache_policy=NO_CACHE)(read_funders)
read_fact_sheet_task = task(name="read-fact-sheet", cache_policy=NO_CACHE)(read_fact_sheet)
