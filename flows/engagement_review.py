"""engagement-review: who is drifting away, which newcomers are not yet engaged, and who checks in on them.

read (members and attendance tabs, recorded ties, RSVPs and survey answers) -> plan (pure, tasks/engagement/)
-> apply (engagement columns and co-attendance ties through the ledger; introductions, "did you meet?" asks
and weaver digests through `op.send`, then the introductions that went out become ties) -> report (the
report file and the tie graph for Kumu). A send the approval gate holds back records no introduction.
"Did you meet?" carries two signed links (yes / not yet, served by deployments/pages/met.py); a "not yet"
is offered once more by the next review.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.common.links import personal_links_task
from tasks.common.tables import read_tab
from tasks.common.ties import load_ties_task
from tasks.engagement.apply import apply_review_task, export_tie_graph_task, record_introductions_task
from tasks.engagement.plan import plan_review_task
from tasks.engagement.read import (
    load_checkin_answers_task,
    load_engagement_task,
    load_inbox_task,
    load_met_answers_task,
    read_optional_tab_task,
)
from tasks.engagement.report import EngagementSummary, build_review_report, summarise_review


@flow(name="engagement-review")
def engagement_review(
    workspace: str = ".", dry_run: bool = False, as_of: date | None = None, auto_approve: bool = False
) -> EngagementSummary:
    """Score engagement, find drifting members and newcomers not yet engaged, and plan check-ins.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no write-back, no ties, no emails (previews instead).
        as_of: Treat this date (YYYY-MM-DD) as today, to replay a review; empty for today.
        auto_approve: Send without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("engagement-review", workspace, dry_run, as_of) as op:
        for attempt in op.attempts():  # again if the sheet is saved between our read and our write
            with attempt:
                members = read_tab(op.tables, op.cfg.members.tab)
                attendance = read_optional_tab_task(op.tables, op.cfg.mixing.attendance_tab)
                events = read_optional_tab_task(op.tables, op.cfg.tabs.events)  # event titles people are told of
                vocabulary = read_optional_tab_task(op.tables, op.cfg.matching.vocabulary_tab)  # 气候 = climate
                inbox, recorded = load_inbox_task(op.db, ("rsvp",)), load_engagement_task(op.db)
                known, answers = load_ties_task(op.db), load_met_answers_task(op.db)  # "did you meet?" answers
                checkins = load_checkin_answers_task(op.db)  # weavers' check-in answers, by link
                links = personal_links_task(op.db, op.cfg, dry_run, str(op.rt.ws.root / "weaver.toml"))
                plan = plan_review_task(members, attendance, known, inbox, recorded, op.cfg, op.clock.today,
                                        op.source, op.lang, events, vocabulary, links, answers, checkins)  # fmt: skip
                applied = apply_review_task(plan, op.tables, op.db, dry_run)
        delivery = op.send(plan.messages, auto_approve)
        made = record_introductions_task(plan, delivery, op.db, dry_run)  # only what went out becomes a tie
        ties = load_ties_task(op.db)
        export = export_tie_graph_task(ties, plan, op.rt.ws.reports, dry_run)
        report = build_review_report(plan, ties, delivery, export, op.lang, dry_run)
        summary = summarise_review(plan, applied, delivery, made, ties, export)
        return op.finish(report, summary, deliveries=[delivery])
