"""member-sync, report: what the run found and did, by row number and reason (no personal data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tasks.members.plan import SyncPlan
from tasks.members.self_service import EditOutcome
from weaver.i18n import field_label, t
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class SyncSummary(Summary):
    rows_read: int
    blank: int
    valid: int
    merged: int
    quarantined: int
    added: int
    changed: int
    gone: int
    unchanged: int
    cells: int
    warnings: int
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    audience: dict[str, Any] | None = None  # with [mailchimp]: what the audience sync did
    member_changes: dict[str, int] = field(default_factory=dict)  # members' own changes, by outcome
    forgotten_rows: list[int] = field(default_factory=list)  # rows of forgotten people: refused, to be deleted


def summarise_sync(
    plan: SyncPlan, audience: dict[str, Any] | None = None, forgotten_rows: Sequence[int] = ()
) -> SyncSummary:
    changes: dict[str, int] = {}
    for e in plan.edits:
        changes[e.outcome] = changes.get(e.outcome, 0) + 1
    return SyncSummary(**sync_summary(plan), quarantine_reasons=quarantine_reasons(plan), audience=audience,
                       member_changes=changes, forgotten_rows=list(forgotten_rows))  # fmt: skip


def sync_summary(plan: SyncPlan) -> dict[str, int]:
    p, d = plan.parsed, plan.diff
    return {
        "rows_read": p.rows_read,
        "blank": len(p.blank_rows),
        "valid": len(plan.deduped.members),
        "merged": len(plan.deduped.merged),
        "quarantined": len(p.rejected),
        "added": len(d.added),
        "changed": len(d.changed),
        "gone": len(d.gone),
        "unchanged": len(d.unchanged),
        "cells": len(plan.cells),
        "warnings": sum(len(m.warnings) for m in plan.deduped.members),
    }


def quarantine_reasons(plan: SyncPlan) -> dict[str, int]:
    """How many rows were quarantined for each reason, most frequent first."""
    counts: dict[str, int] = {}
    for rejected in plan.parsed.rejected:
        counts[rejected.reason] = counts.get(rejected.reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def build_sync_report(plan: SyncPlan, lang: str, dry_run: bool) -> Report:
    s = sync_summary(plan)
    labels = ["rows_read", "blank", "valid", "merged", "quarantined", "added", "changed", "gone", "unchanged",
              "cells", "warnings"]  # fmt: skip
    report = Report("member-sync", t("sync.title", lang), lang)
    report.summary = [(t(f"sync.{k}", lang), str(s[k])) for k in labels]
    if dry_run:
        report.notes.append(t("sync.dry_run", lang))
    rejected = [[str(r.row), r.reason] for r in plan.parsed.rejected]
    report.tables.append(Table(t("sync.quarantine_table", lang), [t("col.row", lang), t("col.reason", lang)], rejected))
    merged = [[str(dup), t("status.duplicate", lang, row=primary)] for dup, primary in plan.deduped.merged.items()]
    warned = [[str(m.row), w] for m in plan.deduped.members for w in m.warnings]
    rows = sorted(merged + warned, key=lambda r: int(r[0]))
    report.tables.append(Table(t("sync.warning_table", lang), [t("col.row", lang), t("col.what", lang)], rows))
    if plan.edits:
        report.tables.append(member_changes_table(plan.edits, lang))
    return report


def member_changes_table(edits: list[EditOutcome], lang: str) -> Table:
    """Every change members made on their page, by name: the field, their value and time, what became of it
    (and, where a coordinator's value was kept, that value too)."""
    heads = [t(f"sync.col.{k}", lang) for k in ("member", "field", "value", "made_at", "outcome")]
    rows = []
    for e in sorted(edits, key=lambda e: (e.made_at, e.edit_id)):
        result = t(f"sync.edit.{e.outcome}", lang, kept=e.kept)
        rows.append([e.name or "-", field_label(e.field, lang), e.value, e.made_at.strftime("%Y-%m-%d %H:%M"), result])
    return Table(t("sync.edits_table", lang), heads, rows)
