"""stories, apply: a new round saved for the vote page (before its invitations go out through `op.send`); each
published story appended once to the News tab for the newsletter (one write, through the ledger)."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.harvest.apply import appender
from tasks.harvest.plan import news_columns
from tasks.stories.plan import StoriesPlan
from tasks.stories.read import StoriesRead
from tasks.stories.stories import FLOW
from weaver.config import WeaverConfig
from weaver.ledger import ApplyResult, Ledger
from weaver.state import StateDB
from weaver.state.stories import save_round


def open_round(plan: StoriesPlan, db: StateDB, dry_run: bool) -> bool:
    r = plan.new_round
    if r is None or dry_run:
        return False
    save_round(db, r["round_id"], r["opened_at"], r["closes_at"], r["picks"], r["nominees"])
    return True


def publish_stories(plan: StoriesPlan, read: StoriesRead, tables: TableBackend, db: StateDB, config: WeaverConfig,
                    dry_run: bool) -> ApplyResult:  # fmt: skip
    if not read.news:
        return ApplyResult(dry_run=dry_run)
    lang = config.network.default_language

    def columns(grid: Grid) -> dict[str, int]:
        return news_columns(grid, lang)

    append = appender(tables, config.tabs.news, read.news, columns, None)
    return Ledger(db, FLOW).apply(plan.news, append, batch_size=100_000, dry_run=dry_run)


open_round_task = task(name="open-story-round", cache_policy=NO_CACHE)(open_round)
publish_stories_task = task(name="publish-stories", cache_policy=NO_CACHE)(publish_stories)
