"""asks-offers, apply: the introductions that went out become ties, and the week's chat post, through the
ledger. The emails themselves go through `op.send`."""

from __future__ import annotations

from collections.abc import Sequence

from prefect.cache_policies import NO_CACHE

from connectors.chat import ChatChannel
from tasks.asks_offers.plan import AsksPlan
from tasks.common.delivery import Delivery
from tasks.common.prefect_task import task
from tasks.common.ties import Tie, save_ties
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB

FLOW = "asks-offers"


def record_matches(plan: AsksPlan, delivery: Delivery, db: StateDB, dry_run: bool) -> list[Tie]:
    """Introductions with an email that went out become ties (once: a tie is kept as first recorded).

    Called after the send: a send the approval gate held back delivered nothing, so nothing is recorded and
    the next run plans the same introductions again.
    """
    if dry_run:
        return []
    delivered = {a.key for a in (*delivery.result.done, *delivery.result.already_done)}
    made = plan.made(delivered)
    save_ties(db, made)
    return made


def post_chat(actions: Sequence[Action], chat: ChatChannel | None, db: StateDB, dry_run: bool) -> ApplyResult:
    """The week's post, once (a post is not idempotent: the ledger records it and never repeats it)."""

    def post(batch: Sequence[Action]) -> list[Outcome]:
        assert chat is not None
        return [chat.post(a.payload["title"], a.payload["body"]) for a in batch]

    return Ledger(db, FLOW).apply(list(actions) if chat is not None or dry_run else [], post, batch_size=1,
                                  dry_run=dry_run)  # fmt: skip


record_matches_task = task(name="record-matches", cache_policy=NO_CACHE)(record_matches)
post_chat_task = task(name="post-asks-offers-chat", cache_policy=NO_CACHE)(post_chat)
