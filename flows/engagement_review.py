"""engagement-review: who is drifting away, which newcomers are not yet engaged, and who checks in on them.

read (members and attendance tabs, recorded ties, RSVPs and survey answers) -> plan (pure, tasks/engagement/)
-> apply (engagement columns and co-attendance ties through the ledger; introductions, "did you meet?" asks
and weaver digests through the messaging core) -> report (artifact, report file, the tie graph for Kumu).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows._runtime import open_runtime
from tasks.common.messages import Delivery, deliver_task
from tasks.common.tables import read_tab
from tasks.common.ties import Tie, kumu_csv, kumu_elements_csv, load_ties_task, new_ties
from tasks.engagement.review import (
    ReviewPlan,
    apply_review_task,
    plan_review_task,
    read_optional_tab_task,
    record_introductions_task,
    summary_counts,
)
from weaver.clock import network_clock
from weaver.i18n import t
from weaver.report import Report, Table, publish_artifact
from weaver.state.engagement import engagement_rows
from weaver.state.submissions import inbox_rows

load_inbox_task = task(name="load-inbox", cache_policy=NO_CACHE)(inbox_rows)
load_engagement_task = task(name="load-engagement-events", cache_policy=NO_CACHE)(engagement_rows)


@task(name="export-tie-graph", cache_policy=NO_CACHE)
def export_tie_graph(ties: list[Tie], traits: dict[str, dict[str, str]], reports: Path) -> Path:
    """Kumu's two sheets as CSV: connections (From, To, Type, Date, Occasion) and elements (by member id)."""
    reports.mkdir(parents=True, exist_ok=True)
    edges = reports / "ties-kumu.csv"
    edges.write_text(kumu_csv(ties), encoding="utf-8")
    people = {m: traits.get(m, {}) for t_ in ties for m in (t_.a, t_.b)}
    (reports / "ties-kumu-elements.csv").write_text(kumu_elements_csv(people), encoding="utf-8")
    return edges


def build_report(plan: ReviewPlan, ties: list[Tie], delivery: Delivery, export: Path | None, lang: str,
                 dry_run: bool) -> Report:  # fmt: skip
    counts = summary_counts(plan)
    report = Report("engagement-review", t("eng.title", lang), lang)
    report.summary = [(t(f"eng.s.{k}", lang), str(v)) for k, v in counts.items()]
    report.summary.append((t("eng.s.sources", lang), " / ".join(str(v) for v in plan.sources.values())))
    report.summary.append((t("eng.s.emails", lang), ", ".join(f"{k} {v}" for k, v in delivery.summary().items() if v)))
    report.summary.append((t("eng.s.export", lang), export.name if export else "-"))
    if dry_run:
        report.notes.append(t("eng.dry_run", lang))
    loads = [[a.weaver.id, f"{len(a.members)} / {a.weaver.capacity}"] for a in plan.assignments]
    report.tables.append(Table(t("eng.t.weavers", lang), [t("col.weaver", lang), t("col.load", lang)], loads))
    headers = [t(f"col.{k}", lang) for k in ("member", "status", "score", "last_active", "weaver", "suggested")]
    report.tables.append(Table(t("eng.t.flagged", lang), headers, _flagged_rows(plan, lang)))
    for period in ("month", "quarter"):
        rows = [[p, str(sum(c.values())), ", ".join(f"{k} {v}" for k, v in sorted(c.items()))]
                for p, c in new_ties(ties, period).items()]  # fmt: skip
        heads = [t("col.period", lang), t("col.new_ties", lang), t("col.by_source", lang)]
        report.tables.append(Table(t(f"eng.t.new_ties_{period}", lang), heads, rows))
    planned = [[x.ref, due.isoformat()] for x, due in plan.followups_planned]
    report.tables.append(Table(t("eng.t.followups", lang), [t("col.introduction", lang), t("col.due", lang)], planned))
    rejected = [[str(r.row), r.reason] for r in plan.rejected]
    report.tables.append(Table(t("eng.t.rejected", lang), [t("col.row", lang), t("col.reason", lang)], rejected))
    return report


def _flagged_rows(plan: ReviewPlan, lang: str) -> list[list[str]]:
    rows = []
    for weaver, score in [(a.weaver.id, s) for a in plan.assignments for s in a.members] + [
        ("-", s) for s in plan.waiting
    ]:
        last = score.last_active.isoformat() if score.last_active else "-"
        tips = "; ".join(plan.suggestions.get(score.member_id, []))
        rows.append([score.member_id, t(f"eng.reason.{score.status}", lang), str(score.score), last, weaver, tips])
    return rows


@flow(name="engagement-review")
def engagement_review(workspace: str = ".", dry_run: bool = False, as_of: str = "") -> dict[str, Any]:
    """Score engagement, find drifting members and newcomers not yet engaged, and plan check-ins.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the plan and change nothing: no write-back, no ties, no emails (previews instead).
        as_of: Treat this date (YYYY-MM-DD) as today, to replay a review; empty for today.
    """
    rt = open_runtime(workspace, dry_run)
    try:
        cfg = rt.ws.config
        today = network_clock(cfg.network.timezone, as_of).today
        members = read_tab(rt.tables, cfg.members.tab)
        attendance = read_optional_tab_task(rt.tables, cfg.mixing.attendance_tab)
        inbox = load_inbox_task(rt.db, ("rsvp",))
        recorded = load_engagement_task(rt.db)
        plan = plan_review_task(members, attendance, load_ties_task(rt.db), inbox, recorded, cfg, today,
                                rt.tables.describe(), rt.lang)  # fmt: skip
        applied = apply_review_task(plan, rt.tables, rt.db, dry_run)
        delivery = deliver_task(plan.messages, rt.mail, rt.db, "engagement-review", dry_run=dry_run,
                                previews_dir=rt.previews_dir("engagement-review"))  # fmt: skip
        made = record_introductions_task(plan, delivery, rt.db, dry_run)
        ties = load_ties_task(rt.db)
        export = None if dry_run else export_tie_graph(ties, plan.traits, rt.ws.reports)
        report = build_report(plan, ties, delivery, export, rt.lang, dry_run)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        summary: dict[str, Any] = {**summary_counts(plan), "introductions_recorded": len(made),
                                   "actions": applied.counts(), "emails": delivery.summary(),
                                   "new_ties_this_month": _this_period(ties, today, "month"),
                                   "new_ties_this_quarter": _this_period(ties, today, "quarter")}  # fmt: skip
        if export is not None:
            summary["tie_graph"] = str(export)
        if path is not None:
            summary["report"] = str(path)
        get_run_logger().info("engagement-review %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()


def _this_period(ties: list[Tie], today: Any, period: str) -> int:
    from tasks.common.ties import period_of

    return sum(new_ties(ties, period).get(period_of(today, period), {}).values())
