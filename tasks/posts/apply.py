"""social-posts, apply: the draft rows in one batch, then each due post once per channel, through the ledger.

A draft row is `post-draft:<source>` (a sheet append, never repeated: a draft a coordinator deleted stays
deleted). A post is `post:<post_id>:<channel>`, not idempotent: a crash between posting and marking leaves it
unknown, reported, never posted again without a coordinator's word (`weaver ledger resend`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefect.cache_policies import NO_CACHE

from connectors.social import PostChannel
from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.posts.posts import PostPlan
from weaver.errors import WeaverError
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB

FLOW = "social-posts"


def apply_drafts(plan: PostPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    def write(batch: Sequence[Action]) -> list[Outcome]:
        tables.write_cells(plan.tab, [cell for action in batch for cell in plan.cells[action.key]])
        return [Outcome.success(f"row {action.payload['row']}") for action in batch]

    return Ledger(db, FLOW).apply(plan.drafts, write, dry_run=dry_run)


def apply_posts(plan: PostPlan, channels: Mapping[str, PostChannel], db: StateDB, dry_run: bool) -> ApplyResult:
    def perform(batch: Sequence[Action]) -> list[Outcome]:
        out: list[Outcome] = []
        for action in batch:
            p = action.payload
            try:
                out.append(channels[p["channel"]].post(p["post_id"], p["text"], p["image"]))
            except WeaverError as exc:
                out.append(Outcome.unknown(str(exc)))
        return out

    return Ledger(db, FLOW).apply(plan.sends, perform, batch_size=1, dry_run=dry_run)


apply_drafts_task = task(name="append-post-drafts", cache_policy=NO_CACHE)(apply_drafts)
apply_posts_task = task(name="publish-social-posts", cache_policy=NO_CACHE)(apply_posts)
