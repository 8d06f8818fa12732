"""chat-prompts: the question of the week, the weekly "what's on" digest and event reminders, each once, in chat.

read (the Prompts, events and opportunities tabs; members' fields) -> plan (pure: due questions, this week's
digest, reminders of events starting soon) -> apply (each message once through the ledger, to the chat role:
apprise, or the chat.log file) -> report.
"""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow

from flows._run import Operation
from flows._runtime import build_chat
from tasks.prompts.apply import apply_prompts_task
from tasks.prompts.plan import plan_prompts_task
from tasks.prompts.read import read_prompt_sources_task
from tasks.prompts.report import PromptsSummary, build_prompts_report, summarise_prompts


@flow(name="chat-prompts")
def chat_prompts(workspace: str = ".", dry_run: bool = False, as_of: date | datetime | None = None) -> PromptsSummary:
    """Post the question of the week, the weekly digest and event reminders to the network's chat, each once.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show what would be posted; post nothing.
        as_of: Run as if at this local time (2026-11-24 18:30) or date (09:00 that day) in the network's
            time zone: which questions, digest and reminders are due; empty for now.
    """
    with Operation("chat-prompts", workspace, dry_run, as_of) as op:
        sources = read_prompt_sources_task(op.tables, op.cfg, op.db)
        plan = plan_prompts_task(sources, op.cfg, op.clock.now, op.clock.today)
        chat = build_chat(op.rt.ws) if plan.messages and not dry_run else None
        result = apply_prompts_task(plan, chat, op.db, dry_run)
        summary = summarise_prompts(plan, result, chat.describe() if chat else "")
        return op.finish(build_prompts_report(plan, result, summary, op.lang, dry_run), summary)
