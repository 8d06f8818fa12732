"""social-posts, report: what went out where, what waits for its time, drafts added, posts a channel refused."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.posts.posts import REASONS, PostPlan
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

SUMMARY_KEYS = ("posts", "approved", "waiting", "posted", "already_posted", "failed", "unknown", "rejected",
                "drafts_added")  # fmt: skip


@dataclass(kw_only=True)
class PostsSummary(Summary):
    posts: int
    approved: int
    waiting: int
    posted: int
    already_posted: int
    failed: int
    unknown: int
    rejected: int
    drafts_added: int


def summarise_posts(plan: PostPlan, drafts: ApplyResult, posted: ApplyResult) -> PostsSummary:
    return PostsSummary(
        posts=plan.posts,
        approved=plan.approved,
        waiting=len(plan.waiting),
        posted=len(posted.done),
        already_posted=len(posted.already_done),
        failed=len(posted.failed),
        unknown=len(posted.unknown),
        rejected=len(plan.rejected),
        drafts_added=len(drafts.done),
    )


def build_posts_report(plan: PostPlan, drafts: ApplyResult, posted: ApplyResult, lang: str, dry_run: bool) -> Report:
    s = summarise_posts(plan, drafts, posted)
    report = Report("social-posts", t("posts.title", lang), lang)
    report.summary = [(t(f"posts.s.{key}", lang), str(s[key])) for key in SUMMARY_KEYS]
    if dry_run:
        report.notes.append(t("posts.dry_run", lang))
    cols = [t("posts.col.post", lang), t("posts.col.channel", lang), t("posts.col.outcome", lang)]
    rows = [[a.payload["post_id"], a.payload["channel"], t("posts.outcome.done", lang)] for a in posted.done]
    rows += [[a.payload["post_id"], a.payload["channel"], f"{t('posts.outcome.failed', lang)}: {why}"]
             for a, why in posted.failed]  # fmt: skip
    rows += [[a.payload["post_id"], a.payload["channel"], t("posts.outcome.unknown", lang)] for a in posted.unknown]
    rows += [[a.payload["post_id"], a.payload["channel"], t("posts.outcome.planned", lang)] for a in posted.skipped]
    report.tables.append(Table(t("posts.sent_table", lang), cols, rows))
    reasons = {r: t(f"posts.reason.{r}", lang) for r in REASONS}
    refused = [
        [r.post_id, r.channel or "—", f"{r.cell}: {reasons[r.reason]} {r.detail}".strip()] for r in plan.rejected
    ]
    report.tables.append(Table(t("posts.rejected_table", lang), cols, refused))
    added = [[a.payload["post_id"], a.payload["title"], str(a.payload["row"])] for a in (*drafts.done, *drafts.skipped)]
    headers = [t("posts.col.post", lang), t("posts.col.text", lang), t("col.row", lang)]
    report.tables.append(Table(t("posts.drafts_table", lang), headers, added))
    if plan.waiting:
        report.notes.append(t("posts.waiting", lang, posts=", ".join(plan.waiting)))
    return report
