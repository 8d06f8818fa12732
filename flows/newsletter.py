"""newsletter: compile the period's issue, one edition per language, and once approved archive and deliver it.

read (the events, opportunities and news tabs, optional feeds, the period's archived editions) -> plan
(compile and render, pure; the archived edition stands unless `recompile`) -> the approval gate -> apply
(archive the editions issued now; email each consenting member through `op.send`, or Mailchimp campaigns)
-> report (a preview artifact linking each edition's HTML, and reports/newsletter-<period>-<date>-<time>.html).
A declined or held send issues nothing: no archive, no ledger entry; the next run compiles afresh.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial
from typing import Literal

from prefect import flow

from flows._run import Operation
from flows._runtime import build_audience, build_news_feeds
from tasks.newsletter.apply import archive_editions_task, publish_campaigns_task, write_campaign_previews
from tasks.newsletter.compile import issue_date, resolve_period
from tasks.newsletter.delivery import campaign_reach, newsletter_messages_task, parse_schedule, unsubscribe_link
from tasks.newsletter.plan import compile_issue_task, plan_editions, render_editions_task
from tasks.newsletter.read import read_archived_task, read_feeds_task, read_sources_task
from tasks.newsletter.report import NewsletterSummary, build_newsletter_report, publish_preview, summarise_newsletter


@flow(name="newsletter")
def newsletter(
    workspace: str = ".",
    dry_run: bool = False,
    period: str = "",
    as_of: date | None = None,
    campaign: Literal["draft", "schedule", "send"] = "draft",
    schedule_at: datetime | None = None,
    auto_approve: bool = False,
    recompile: bool = False,
) -> NewsletterSummary:
    """Compile the period's newsletter from events, opportunities, news and feeds; archive and deliver it.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Write previews only: nothing is archived, emailed or created in Mailchimp.
        period: The issue's month (2026-11) or quarter (2026-Q4); empty means the current one.
        as_of: Compile as if on this date (YYYY-MM-DD); empty means today in the network's time zone.
        campaign: With Mailchimp: draft (default: a coordinator reviews and sends it there), schedule or send.
        schedule_at: With campaign=schedule: when, e.g. 2026-12-01 09:00 in the network's time zone.
        auto_approve: Email without waiting for a coordinator's approval, even above [mail] approval_threshold.
        recompile: Replace the period's archived editions with a fresh compile (e.g. after fixing a title);
            members who already received the period's issue are not emailed again, the others get the new one.
    """
    with Operation("newsletter", workspace, dry_run, as_of) as op:
        cfg, today = op.cfg, op.clock.today
        when = resolve_period(period, today, cfg.newsletter.cadence)
        audience = build_audience(op.rt.ws) if cfg.newsletter.delivery != "email" else None
        channel = "mailchimp" if audience is not None else "email"
        feeds, feed_problems = read_feeds_task(build_news_feeds(op.rt.ws), cfg.newsletter.feeds)
        issue = compile_issue_task(read_sources_task(op.tables, cfg), feeds, when, issue_date(when, today), cfg)
        editions = render_editions_task(issue, cfg.network.languages, cfg.network.name, unsubscribe_link(cfg, channel))
        plan = plan_editions(editions, read_archived_task(op.db, when.key), recompile)
        messages, other_language = newsletter_messages_task(plan.editions, op.db, cfg) if not audience else ([], 0)
        if audience is None:
            approval = op.approve(messages, auto_approve)
        else:  # the campaign goes to the list: the gate counts the people it reaches (none for a draft)
            previews = partial(write_campaign_previews, plan.editions, op.rt.previews_dir(op.name))
            approval = op.approve_audience(campaign_reach(op.db, campaign), "newsletter", previews, auto_approve)
        archived = archive_editions_task(plan, op.rt.ws.reports, op.db, issue=approval.approved and not dry_run)
        delivery = op.send(messages, approval=approval) if not audience else None
        campaigns = None if not audience or not approval.approved else publish_campaigns_task(
            archived.editions, audience, op.db, cfg, campaign, parse_schedule(schedule_at, cfg.network.timezone),
            when, dry_run)  # fmt: skip
        summary = summarise_newsletter(issue, archived, channel, delivery, other_language, campaigns)
        report = build_newsletter_report(issue, archived, summary.outcome(), op.lang, dry_run, feed_problems)
        publish_preview(archived, when, op.lang)
        return op.finish(report, summary, deliveries=[delivery] if delivery else [])
