"""health-digest, apply: the chat post once per period through the ledger (a post is not idempotent: never
retried). The email goes through `op.send` in the flow, like every message."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.chat import ChatChannel
from tasks.common.prefect_task import task
from tasks.health_digest.plan import DigestPlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB

FLOW = "health-digest"


def post_digest(plan: DigestPlan, chat: ChatChannel | None, db: StateDB, dry_run: bool) -> ApplyResult:
    def perform(batch: Sequence[Action]) -> list[Outcome]:
        assert chat is not None, "a chat channel is needed to post"
        return [chat.post(a.payload["title"], a.payload["body"]) for a in batch]

    return Ledger(db, FLOW).apply(plan.posts, perform, batch_size=1, dry_run=dry_run)


post_digest_task = task(name="post-health-digest", cache_policy=NO_CACHE)(post_digest)
