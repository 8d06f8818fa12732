"""group-mixer: split an event's attendees into groups over rounds, so people meet someone new.

read (members from the state database, the attendance and Groups tabs, recorded ties) -> plan (pure:
tasks/mixing/grouping.py, tasks/mixing/mix.py) -> apply (one batch write of the Groups tab and the event's group ties,
through the ledger; optional participant emails through the messaging core) -> report (artifact,
reports/group-mixer-<date>.html, printable table cards reports/group-cards-<event>.html).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows._runtime import open_runtime
from tasks.common.messages import Delivery, deliver_task
from tasks.common.tables import read_tab
from tasks.common.ties import load_ties_task
from tasks.mixing.grouping import (
    GroupPlan,
    MixParams,
    apply_group_mix_task,
    metrics_rows,
    notice_text,
    parse_sets,
    plan_group_mix_task,
)
from tasks.mixing.mix import MixError
from weaver.clock import network_clock
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table, publish_artifact


def build_report(plan: GroupPlan, delivery: Delivery | None, cards: Path, lang: str, dry_run: bool) -> Report:
    m = plan.mix
    sizes = sorted({len(g) for groups in m.rounds for g in groups}, reverse=True)
    report = Report("group-mixer", t("mix.title", lang), lang)
    report.summary = [
        (t("mix.s.event", lang), plan.event.event_id),
        (t("mix.s.date", lang), plan.event.day.isoformat()),
        (t("mix.s.attendees", lang), str(len(plan.participants))),
        (t("mix.s.rounds", lang), str(len(m.rounds))),
        (t("mix.s.sizes", lang), " / ".join(map(str, sizes))),
        (t("mix.s.search", lang), f"{m.iterations} iterations, {m.stopped_by}, {m.seconds:.1f} s"),
        (t("mix.s.cells", lang), str(len(plan.cells))),
        (t("mix.s.emails", lang), _emails(delivery)),
        (t("mix.s.cards", lang), cards.name),
    ]
    if dry_run:
        report.notes.append(t("mix.dry_run", lang))
    report.notes += [notice_text(n, lang) for n in m.notices]
    if plan.unknown_attendees:
        report.notes.append(t("mix.notice.unknown_attendee", lang, ids=", ".join(plan.unknown_attendees)))
    headers = ["", t("col.ours", lang), t("col.random", lang)]
    report.tables.append(Table(t("mix.t.metrics", lang), headers, metrics_rows(plan, lang)))
    rows = [[str(r + 1), str(g + 1), ", ".join(sorted(people))] for r, groups in enumerate(m.rounds)
            for g, people in enumerate(groups)]  # fmt: skip
    report.tables.append(Table(t("mix.t.groups", lang), [t("col.round", lang), t("col.group", lang),
                                                        t("col.members", lang)], rows))  # fmt: skip
    rejected = [[str(r.row), r.reason] for r in plan.rejected]
    report.tables.append(Table(t("mix.t.rejected", lang), [t("col.row", lang), t("col.reason", lang)], rejected))
    return report


def _emails(delivery: Delivery | None) -> str:
    if delivery is None:
        return "-"
    return ", ".join(f"{k} {v}" for k, v in delivery.summary().items() if v)


@flow(name="group-mixer")
def group_mixer(
    workspace: str = ".",
    dry_run: bool = False,
    event_id: str = "",
    group_size: int = 0,
    group_count: int = 0,
    rounds: int = 0,
    seed: int = 0,
    balance: str = "region,org_type,language,newcomer",
    keep_together: str = "",
    keep_apart: str = "",
    attendees: str = "",
    email_participants: bool | None = None,
    as_of: str = "",
) -> dict[str, Any]:
    """Mix an event's attendees into groups over one or more rounds, so that people meet someone new.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the groups and change nothing: no write to the Groups tab, no ties, no emails.
        event_id: The event (as in the attendance tab); empty for the next event with registrations.
        group_size: People per group at most (0: [mixing] group_size in weaver.toml).
        group_count: Exactly this many groups instead of a size (0: use the size).
        rounds: How many rounds of groups (0: [mixing] rounds in weaver.toml).
        seed: The same seed gives the same groups; another seed another mix of the same quality.
        balance: Attributes to spread evenly over the groups, comma separated (region, org_type, language,
            newcomer, organisation, timezone); empty for none.
        keep_together: Member ids always in one group: "m-1,m-2; m-3,m-4" (sets split by ';').
        keep_apart: Member ids never in one group, same form.
        attendees: Member ids to mix instead of the attendance tab's registrations, comma separated.
        email_participants: Email each participant their groups (empty: [mixing] email_participants).
        as_of: Treat this date (YYYY-MM-DD) as today, to replay a run; empty for today.
    """
    rt = open_runtime(workspace, dry_run)
    try:
        cfg = rt.ws.config
        members = {row["member_id"]: row["fields"] for row in rt.db.member_rows()}
        if not members:
            raise MixError(t("mix.no_members", rt.lang))
        params = MixParams(
            event_id=event_id.strip(),
            group_size=group_size or cfg.mixing.group_size,
            group_count=group_count or None,
            rounds=rounds or cfg.mixing.rounds,
            seed=seed,
            balance=tuple(b.strip() for b in balance.replace("，", ",").split(",") if b.strip()),
            keep_together=parse_sets(keep_together),
            keep_apart=parse_sets(keep_apart),
            attendees=tuple(a for s in parse_sets(attendees) for a in s),
            email=cfg.mixing.email_participants if email_participants is None else email_participants,
            today=network_clock(cfg.network.timezone, as_of).today,
        )
        tabs = rt.tables.tab_names()
        if cfg.mixing.groups_tab not in tabs:
            raise MixError(t("mix.no_groups_tab", rt.lang, tab=cfg.mixing.groups_tab, source=rt.tables.describe()))
        attendance = read_tab(rt.tables, cfg.mixing.attendance_tab) if cfg.mixing.attendance_tab in tabs else []
        groups_tab = read_tab(rt.tables, cfg.mixing.groups_tab)
        plan = plan_group_mix_task(members, attendance, groups_tab, load_ties_task(rt.db), cfg, params, rt.lang)
        applied = apply_group_mix_task(plan, rt.tables, rt.db, dry_run)
        delivery = None
        if plan.messages:
            delivery = deliver_task(plan.messages, rt.mail, rt.db, "group-mixer", dry_run=dry_run,
                                    previews_dir=rt.previews_dir("group-mixer"))  # fmt: skip
        folder = rt.previews_dir("group-mixer") if dry_run else rt.ws.reports
        folder.mkdir(parents=True, exist_ok=True)
        cards = folder / f"group-cards-{plan.event.event_id}.html"
        cards.write_text(plan.cards_html, encoding="utf-8")
        report = build_report(plan, delivery, cards, rt.lang, dry_run)
        path = None if dry_run else report.write_html(rt.ws.reports)
        publish_artifact(report, path)
        summary = _summary(plan, applied, delivery, cards, path)
        get_run_logger().info("group-mixer %s: %s", "plan" if dry_run else "done", summary)
        return summary
    finally:
        rt.close()


def _summary(plan: GroupPlan, applied: ApplyResult, delivery: Delivery | None, cards: Path,
             report: Path | None) -> dict[str, Any]:  # fmt: skip
    m, rnd = plan.mix.metrics, plan.baseline
    summary: dict[str, Any] = {
        "event": plan.event.event_id,
        "people": len(plan.participants),
        "rounds": len(plan.mix.rounds),
        "groups": [len(groups) for groups in plan.mix.rounds][0],
        "new_pairs": m.new_pairs,
        "repeat_pairs": m.repeat_pairs,
        "random_split_repeat_pairs": rnd.repeat_pairs,
        "imbalance": {k: f"{v:.3f} (random {rnd.imbalance.get(k, 0):.3f})" for k, v in m.imbalance.items()},
        "groups_without_facilitator": m.groups_without_facilitator,
        "attendance_rows_rejected": len(plan.rejected),
        "cells": len(plan.cells),
        "actions": applied.counts(),
        "emails": delivery.summary() if delivery else {},
        "cards": str(cards),
    }
    if report is not None:
        summary["report"] = str(report)
    return summary
