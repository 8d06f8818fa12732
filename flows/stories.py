"""stories: nominated from harvest insights and survey answers, voted on by members, published only with consent.

read (tasks/stories/read.py: harvest answers shared with consent and survey story answers; rounds, votes and
consents; members; the News tab) -> plan (pure: a new round when enough candidates wait; vote links; at the
close the tally and a consent-to-publish email to the chosen stories' authors; consented stories for the
newsletter) -> apply (the round saved for the page) -> send (`op.send`) -> publish (News tab rows, once) ->
report. Members vote on /l/story-vote/<token>; authors answer on /l/story-consent/<token>. impact-report shows
the consented stories of its quarter.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.common.links import link_signer
from tasks.stories.apply import open_round_task, publish_stories_task
from tasks.stories.plan import plan_stories_task
from tasks.stories.read import read_stories_task
from tasks.stories.report import StoriesSummary, build_stories_report, summarise_stories


@flow(name="stories")
def stories(
    workspace: str = ".", dry_run: bool = False, auto_approve: bool = False, as_of: date | None = None
) -> StoriesSummary:
    """Put nominated stories to members for a vote, ask the chosen stories' authors, publish only with their yes.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and previews of the emails; send, save and write nothing.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
        as_of: Run as if at this local time or date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    with Operation("stories", workspace, dry_run, as_of) as op:
        read = read_stories_task(op.tables, op.db, op.cfg, op.lang)
        signer = link_signer(op.db, op.cfg, dry_run, str(op.rt.ws.root / "weaver.toml"))
        plan = plan_stories_task(read, op.cfg, op.clock.now, signer)
        opened = open_round_task(plan, op.db, dry_run)  # before the links go out: the page must know the round
        delivery = op.send(plan.messages, auto_approve=auto_approve)
        news = publish_stories_task(plan, read, op.tables, op.db, op.cfg, dry_run)
        summary = summarise_stories(plan, opened, news, delivery)
        return op.finish(build_stories_report(plan, summary, op.cfg, dry_run), summary, deliveries=[delivery])
