"""chat-prompts, apply: each message once through the ledger (a chat post is not idempotent: never retried)."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.chat import ChatChannel
from tasks.common.prefect_task import task
from tasks.prompts.prompts import PromptPlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB

FLOW = "chat-prompts"


def apply_prompts(plan: PromptPlan, chat: ChatChannel | None, db: StateDB, dry_run: bool) -> ApplyResult:
    def perform(batch: Sequence[Action]) -> list[Outcome]:
        assert chat is not None, "a chat channel is needed to post"
        return [chat.post(a.payload["title"], a.payload["body"]) for a in batch]

    return Ledger(db, FLOW).apply([m.action() for m in plan.messages], perform, batch_size=1, dry_run=dry_run)


apply_prompts_task = task(name="post-chat-prompts", cache_policy=NO_CACHE)(apply_prompts)
