"""asks-offers: members' needs meet other members' offers, among members who opted in.

read (members tab, the vocabulary tab, recorded ties) -> plan (pure, tasks/asks_offers/: tags through the
zh/en vocabulary, introductions once per pair and need, "did you meet?" follow-ups, one digest per member
and week) -> apply (emails through `op.send`; introductions that went out become ties; the week's chat post
through the ledger) -> report. A send the approval gate holds back records and posts nothing.

Its own operation rather than part of engagement-review: it reads only members who opted in, runs weekly
on its own schedule, and its introductions answer a stated need, not a newcomer's shared interest.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_chat
from tasks.asks_offers.apply import post_chat_task, record_matches_task
from tasks.asks_offers.plan import plan_asks_offers_task
from tasks.asks_offers.read import read_vocabulary_task
from tasks.asks_offers.report import AsksOffersSummary, build_asks_offers_report, summarise_asks_offers
from tasks.common.tables import read_tab
from tasks.common.ties import load_ties_task


@flow(name="asks-offers")
def asks_offers(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> AsksOffersSummary:
    """Introduce members with a need to members with the matching offer, and send the weekly digest.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no emails (previews instead), no ties, no chat post.
        as_of: Treat this date (YYYY-MM-DD) as today, to replay a week; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("asks-offers", workspace, dry_run, as_of) as op:
        members = read_tab(op.tables, op.cfg.members.tab)
        vocabulary = read_vocabulary_task(op.tables, op.cfg.matching.vocabulary_tab)
        ties = load_ties_task(op.db)
        plan = plan_asks_offers_task(members, vocabulary, ties, op.cfg, op.clock.today, op.source, op.lang)
        approval = op.approve(plan.messages, auto_approve)
        delivery = op.send(plan.messages, auto_approve, approval=approval)
        made = record_matches_task(plan, delivery, op.db, dry_run)  # only what went out becomes a tie
        chat = build_chat(op.rt.ws) if plan.chat and approval.approved and not dry_run else None
        posted = post_chat_task(plan.chat if approval.approved else [], chat, op.db, dry_run)
        report = build_asks_offers_report(plan, delivery, op.lang, dry_run)
        summary = summarise_asks_offers(plan, delivery, made, posted)
        return op.finish(report, summary, deliveries=[delivery])
