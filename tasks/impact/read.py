"""impact-report, read: what the quarter's figures are computed from, in one pass (no planning, no writes).

Members as member-sync recorded them (active and gone), the attendance, events and surveys tabs (each may be
missing: it then counts nothing), every recorded tie, engagement events, RSVP submissions and survey answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.common.ties import Tie, load_ties
from tasks.engagement.read import read_optional_tab
from tasks.surveys.surveys import parse_surveys
from weaver.config import WeaverConfig
from weaver.state import StateDB
from weaver.state.engagement import engagement_rows
from weaver.state.stories import published_stories
from weaver.state.submissions import inbox_rows
from weaver.state.surveys import stored_responses


@dataclass
class ImpactRead:
    member_rows: list[dict[str, Any]]
    attendance: Grid
    events: Grid
    ties: list[Tie]
    engagement_events: list[dict[str, Any]] = field(default_factory=list)
    inbox: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    survey_titles: dict[str, str] = field(default_factory=dict)
    stories: list[dict[str, Any]] = field(default_factory=list)  # published with their authors' consent


def read_impact(tables: TableBackend, db: StateDB, config: WeaverConfig, lang: str) -> ImpactRead:
    surveys = parse_surveys(read_optional_tab(tables, config.tabs.surveys), config.tabs.surveys, lang).surveys
    titles = {s.survey_id: s.title for s in surveys}
    return ImpactRead(
        member_rows=db.member_rows("active") + db.member_rows("gone"),
        attendance=read_optional_tab(tables, config.mixing.attendance_tab),
        events=read_optional_tab(tables, config.tabs.events),
        ties=load_ties(db),
        engagement_events=engagement_rows(db),
        inbox=inbox_rows(db, ("rsvp",)),
        responses=stored_responses(db, sorted(titles)) if titles else [],
        survey_titles=titles,
        stories=published_stories(db),
    )


read_impact_task = task(name="read-impact", cache_policy=NO_CACHE)(read_impact)
