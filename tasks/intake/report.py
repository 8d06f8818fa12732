"""member-intake, report: what a run took in, by the joiner's name and the row it went to (never member ids)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tasks.intake.intake import IntakePlan, Joiner, intake_key
from tasks.intake.optin import OptInPlan
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

_AFTERWARDS = ("member_sync", "onboarding")  # shown only when the run went on to them


@dataclass(kw_only=True)
class IntakeSummary(Summary):
    submissions: int
    added: int
    already_added: int
    already_members: int
    rejected: int
    unknown: int
    asked_to_confirm: int = 0  # confirm emails sent by this run (double opt-in)
    waiting_for_confirmation: int = 0  # asked earlier, still in time
    expired: int = 0  # never confirmed, closed now (reported by name)
    rows: list[int] = field(default_factory=list)
    member_sync: dict[str, Any] | None = None  # the sync that gave the newcomers member ids (counts only)
    onboarding: dict[str, Any] | None = None  # the welcome that followed (counts only)

    def _keys(self) -> list[str]:
        """The subflows' counts appear only when they ran: a dry run has no "member_sync"."""
        return [k for k in super()._keys() if k not in _AFTERWARDS or getattr(self, k) is not None]


def summarise_intake(
    plan: IntakePlan, result: ApplyResult, optin: OptInPlan | None = None, asked: Sequence[str] = ()
) -> IntakeSummary:
    optin = optin or OptInPlan()
    return IntakeSummary(
        submissions=len(plan.joiners) + len(optin.asked) + len(optin.waiting) + len(optin.expired),
        asked_to_confirm=len(asked) if asked else (len(optin.asked) if result.dry_run else 0),
        waiting_for_confirmation=len(optin.waiting),
        expired=len(optin.expired),
        added=len(result.done),
        already_added=len(result.already_done),
        already_members=len(plan.known),
        rejected=len(plan.rejected),
        unknown=len(result.unknown),
        rows=sorted(plan.added[a.key.removeprefix("intake:")] for a in result.done),
    )


def counts(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Numbers only, for the parent's summary (a subflow's summary also holds report paths and notes)."""
    return {k: v for k, v in summary.items() if isinstance(v, int | dict)}


def build_intake_report(
    plan: IntakePlan,
    result: ApplyResult,
    lang: str,
    dry_run: bool,
    optin: OptInPlan | None = None,
    asked: Sequence[str] = (),
) -> Report:
    """Counts, then the new rows, the known members and the rejected submissions, each by the joiner's name.

    A rejected submission also shows its inbox id: it stays in the inbox as failed, and that is how a
    coordinator finds it there.
    """
    optin = optin or OptInPlan()
    s = summarise_intake(plan, result, optin, asked)
    report = Report("member-intake", t("intake.title", lang), lang)
    labels = ("submissions", "asked_to_confirm", "waiting_for_confirmation", "expired", "added", "already_added",
              "already_members", "rejected", "unknown")  # fmt: skip
    report.summary = [(t(f"intake.{k}", lang), str(s[k])) for k in labels]
    if dry_run:
        report.notes.append(t("sync.dry_run", lang))
    names = {j.entry_id: j.fields.get("name", "") or "—" for j in plan.joiners}
    cols = [t("col.member", lang), t("col.row", lang)]
    done = {a.key for a in (*result.done, *result.already_done, *result.skipped)}
    added = [[names[e], str(r)] for e, r in plan.added.items() if intake_key(e) in done]
    report.tables.append(Table(t("intake.added_table", lang), cols, added))
    known = [[names[e], str(r)] for e, r in plan.known.items()]
    report.tables.append(Table(t("intake.known_table", lang), cols, known))
    reasons = [[names[e], e, why] for e, why in plan.rejected.items()]
    headers = [cols[0], t("col.submission", lang), t("col.reason", lang)]
    report.tables.append(Table(t("intake.rejected_table", lang), headers, reasons))
    _optin_tables(report, optin, lang)
    return report


def _optin_tables(report: Report, optin: OptInPlan, lang: str) -> None:
    """Who was asked to confirm, and whose request expired unconfirmed (by name; their answers are erased)."""

    def name(joiner: Joiner) -> str:
        return str(joiner.fields.get("name") or "") or "—"

    def day(when: datetime | None) -> str:
        return when.date().isoformat() if when else ""

    cols = [t("col.member", lang), t("col.submission", lang), t("intake.asked_on", lang)]
    waiting = [[name(j), j.entry_id, day(j.asked_at)] for j in optin.waiting]
    if waiting:
        report.tables.append(Table(t("intake.waiting_table", lang), cols, waiting))
    expired = [[name(j), j.entry_id, day(j.asked_at)] for j in optin.expired]
    if expired:  # the coordinator's list of requests that lapsed (the people never confirmed)
        report.tables.append(Table(t("intake.expired_table", lang, days=optin.days), cols, expired))
