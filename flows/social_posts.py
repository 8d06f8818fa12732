"""social-posts: approved posts out once per channel at their time, and drafts from new events, calls, issues.

read (the Posts tab; the events and opportunities tabs and the newsletter archive for drafts) -> plan (pure:
each approved post whose time has come, per channel, in the channel's language, checked against the
channel's length and image rules; one draft row per new source) -> apply (the draft rows in one batch; each
post once per channel through the ledger: the posts/ folder or apprise) -> report.
"""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow

from flows._run import Operation
from flows._runtime import build_post_channels
from tasks.posts.apply import apply_drafts_task, apply_posts_task
from tasks.posts.plan import plan_posts_task
from tasks.posts.read import read_post_sources_task
from tasks.posts.report import PostsSummary, build_posts_report, summarise_posts


@flow(name="social-posts")
def social_posts(workspace: str = ".", dry_run: bool = False, as_of: date | datetime | None = None) -> PostsSummary:
    """Publish approved posts of the Posts tab on their channels, once each; add drafts for new items.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show what would be posted and which drafts added; post and write nothing.
        as_of: Run as if at this local time (2026-11-24 18:30) or date (09:00 that day) in the network's
            time zone: which posts are due; empty for now.
    """
    with Operation("social-posts", workspace, dry_run, as_of) as op:
        sources = read_post_sources_task(op.tables, op.cfg, op.db)
        plan = plan_posts_task(sources, op.cfg, op.clock.now, op.clock.today)
        drafts = apply_drafts_task(plan, op.tables, op.db, dry_run)
        channels = build_post_channels(op.rt.ws) if plan.sends and not dry_run else {}
        posted = apply_posts_task(plan, channels, op.db, dry_run)
        summary = summarise_posts(plan, drafts, posted)
        return op.finish(build_posts_report(plan, drafts, posted, op.lang, dry_run), summary)
