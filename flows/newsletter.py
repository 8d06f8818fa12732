"""newsletter: compile the period's issue, one edition per language, archive it, deliver it.

read (the events, opportunities and news tabs, optional feeds) -> plan (compile and render, pure) ->
apply (archive once per period and language; email each consenting member, or a Mailchimp campaign) ->
report (a preview artifact linking each edition's HTML, and reports/newsletter-<period>-<date>.html).
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import build_audience, build_news_feeds, open_runtime
from tasks.common.approval import gated
from tasks.common.messages import deliver_task
from tasks.newsletter.compile import (
    compile_issue_task,
    issue_date,
    read_feeds_task,
    read_sources_task,
    render_editions_task,
    resolve_period,
)
from tasks.newsletter.delivery import (
    FLOW,
    archive_editions_task,
    build_newsletter_report,
    newsletter_messages_task,
    parse_schedule,
    publish_campaigns_task,
    publish_preview,
    unsubscribe_link,
)
from weaver.clock import network_clock
from weaver.report import publish_artifact


@flow(name="newsletter")
def newsletter(
    workspace: str = ".",
    dry_run: bool = False,
    period: str = "",
    as_of: str = "",
    campaign: str = "draft",
    schedule_at: str = "",
    auto_approve: bool = False,
) -> dict[str, Any]:
    """Compile the period's newsletter from events, opportunities, news and feeds; archive and deliver it.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Write previews only: nothing is archived, emailed or created in Mailchimp.
        period: The issue's month (2026-11) or quarter (2026-Q4); empty means the current one.
        as_of: Compile as if on this date (YYYY-MM-DD); empty means today in the network's time zone.
        campaign: With Mailchimp: draft (default: a coordinator reviews and sends it there), schedule or send.
        schedule_at: With campaign=schedule: when, e.g. 2026-12-01 09:00 in the network's time zone.
        auto_approve: Email without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    rt = open_runtime(workspace, dry_run)
    try:
        cfg = rt.ws.config
        today = network_clock(cfg.network.timezone, as_of).today
        when = resolve_period(period, today, cfg.newsletter.cadence)
        audience = build_audience(rt.ws) if cfg.newsletter.delivery != "email" else None
        channel = "mailchimp" if audience is not None else "email"
        sources = read_sources_task(rt.tables, cfg)
        feeds, feed_problems = read_feeds_task(build_news_feeds(rt.ws), cfg.newsletter.feeds)
        issue = compile_issue_task(sources, feeds, when, issue_date(when, today), cfg)
        link = unsubscribe_link(cfg, channel)
        editions = render_editions_task(issue, cfg.network.languages, cfg.network.name, link)
        archived = archive_editions_task(editions, rt.ws.reports, rt.db, dry_run)
        outcome: dict[str, Any] = {
            "period": when.key,
            "delivery": channel,
            "new_editions": ", ".join(archived.new) or "-",
            "earlier_editions": ", ".join(archived.earlier) or "-",
        }
        if audience is not None:
            schedule = parse_schedule(schedule_at, cfg.network.timezone)
            done = publish_campaigns_task(archived.editions, audience, rt.db, cfg, campaign, schedule, when, dry_run)
            outcome["campaigns_created"] = len(done.created.done) + len(done.created.already_done)
            if done.sent is not None:
                outcome["campaigns_sent"] = len(done.sent.done) + len(done.sent.already_done)
        else:
            messages, other_language = newsletter_messages_task(archived.editions, rt.db, cfg)
            messages, approval = gated(messages, rt, FLOW, auto_approve)
            delivery = deliver_task(messages, rt.mail, rt.db, FLOW, dry_run=dry_run, previews_dir=rt.previews_dir(FLOW))
            outcome["approval"] = approval.describe(rt.lang)
            outcome.update({k: v for k, v in delivery.summary().items() if k != "planned"})
            outcome["other_language"] = other_language
        report = build_newsletter_report(issue, archived, outcome, rt.lang, dry_run)
        report.notes += feed_problems
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        publish_preview(archived, when, rt.lang)
        summary = {**outcome, "sections": issue.counts(), "rows_left_out": len(issue.rejected)}
        summary["editions"] = [str(p) for p in archived.paths.values()]
        if path is not None:
            summary["report"] = str(path)
        get_run_logger().info("newsletter %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()
