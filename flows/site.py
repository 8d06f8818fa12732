"""site: the network's public site, built from the workspace in each language and published.

read (the events, opportunities and news tabs, members as last synced, the newsletter archive, calendar.ics)
-> plan (pure: what is public, rendered to files; the same workspace builds the same bytes) -> apply (the
workspace's site folder, then each remote target once per site version through the ledger; a git remote
gets a commit only when something changed) -> report (counts, targets, rows left out).
"""

from __future__ import annotations

from datetime import date, datetime

from prefect import flow

from flows._run import Operation
from flows._runtime import build_site_targets
from tasks.site.apply import publish_site_task
from tasks.site.plan import plan_site_task
from tasks.site.read import read_site_sources_task
from tasks.site.report import SiteSummary, build_site_report, summarise_site


@flow(name="site")
def site(workspace: str = ".", dry_run: bool = False, as_of: date | datetime | None = None) -> SiteSummary:
    """Build the public site (events, calendar, opportunities, newsletter archive, stories, member directory).

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Build the site into reports/previews/site/ only; publish nothing.
        as_of: Build as if at this local time or date in the network's time zone (which events are upcoming).
    """
    with Operation("site", workspace, dry_run, as_of) as op:
        sources = read_site_sources_task(op.tables, op.cfg, op.db, op.rt.ws.calendar_file)
        plan = plan_site_task(sources, op.cfg, op.clock.now, op.clock.today)
        folder = op.rt.previews_dir(op.name) if dry_run else op.rt.ws.path(op.cfg.site.folder)
        message = f"Update the public site ({op.clock.today.isoformat()})"
        published = publish_site_task(plan, folder, build_site_targets(op.rt.ws), op.db, message, dry_run)
        summary = summarise_site(plan, published)
        return op.finish(build_site_report(plan, published, op.lang, dry_run), summary)
