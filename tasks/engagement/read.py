"""engagement-review, read: the tabs and the state the review scores from (no planning, no writes)."""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.links import CHECKIN
from tasks.common.prefect_task import task
from tasks.common.ties import MET_PURPOSE
from weaver.state import StateDB
from weaver.state.engagement import engagement_rows
from weaver.state.links import uses_of
from weaver.state.submissions import inbox_rows


def read_optional_tab(tables: TableBackend, tab: str) -> Grid:
    """A tab that may not exist yet (a network without attendance records): missing counts as empty."""
    return tables.read_tab(tab) if tab in tables.tab_names() else []


read_optional_tab_task = task(name="read-optional-tab", cache_policy=NO_CACHE)(read_optional_tab)
load_inbox_task = task(name="load-inbox", cache_policy=NO_CACHE)(inbox_rows)
load_engagement_task = task(name="load-engagement-events", cache_policy=NO_CACHE)(engagement_rows)


def checkin_answers(db: StateDB) -> list[dict[str, Any]]:
    """What weavers answered through their check-in links (subject, scope, used_at, outcome)."""
    return uses_of(db, CHECKIN)


load_checkin_answers_task = task(name="load-checkin-answers", cache_policy=NO_CACHE)(checkin_answers)


def load_met_answers(db: StateDB) -> list[dict]:
    """The "did you meet?" links used so far (subject, scope: the answer and the introduction, used_at)."""
    return uses_of(db, MET_PURPOSE)


load_met_answers_task = task(name="load-met-answers", cache_policy=NO_CACHE)(load_met_answers)
