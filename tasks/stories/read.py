"""stories, read: the candidates' sources (harvest answers, survey answers), the rounds, votes and consents,
members, what was sent, and the News tab (one read each; no planning, no writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.stories.stories import CONSENT, Candidate, candidates
from tasks.surveys.surveys import parse_surveys
from weaver.config import WeaverConfig
from weaver.state import StateDB, ledger_keys_like
from weaver.state.harvest import all_answers, harvest_titles
from weaver.state.stories import consents, load_rounds, votes
from weaver.state.surveys import stored_responses


@dataclass
class StoriesRead:
    candidates: list[Candidate]
    rounds: list[dict[str, Any]]
    votes: list[dict[str, Any]]
    consents: dict[str, dict[str, Any]]
    members: dict[str, dict[str, Any]]  # active members by id
    sent: set[str] = field(default_factory=set)  # done ledger keys of invitations and consent asks
    news: Grid | None = None  # None: no News tab
    missing: list[str] = field(default_factory=list)
    sent_at: dict[str, datetime] = field(default_factory=dict)


def read_stories(tables: TableBackend, db: StateDB, config: WeaverConfig, lang: str) -> StoriesRead:
    names = set(tables.tab_names())
    titles: dict[str, str] = {}
    if config.tabs.surveys in names:
        surveys = parse_surveys(tables.read_tab(config.tabs.surveys), config.tabs.surveys, lang).surveys
        titles = {s.survey_id: s.title for s in surveys}
    cfg = config.stories
    found = candidates(all_answers(db), harvest_titles(db), stored_responses(db, sorted(titles)) if titles else [],
                       titles, cfg.questions, cfg.min_chars)  # fmt: skip
    done = ledger_keys_like(db, ["story-vote:", f"{CONSENT}:"])
    news = tables.read_tab(config.tabs.news) if config.tabs.news in names else None
    return StoriesRead(
        candidates=found,
        rounds=load_rounds(db),
        votes=votes(db),
        consents=consents(db),
        members={m["member_id"]: m for m in db.member_rows("active")},
        sent={k for k, _ in done},
        news=news,
        missing=[] if news is not None else [config.tabs.news],
        sent_at=dict(done),
    )


read_stories_task = task(name="read-stories", cache_policy=NO_CACHE)(read_stories)
