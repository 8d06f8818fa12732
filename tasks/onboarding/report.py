"""onboarding, report: what a run did, in counts and names a coordinator reads (never member ids)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tasks.common.approval import Approval
from tasks.common.delivery import Delivery
from tasks.onboarding.onboarding import FLOW, OnboardingState, Person
from tasks.onboarding.plan import OnboardingPlan
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class OnboardingSummary(Summary):
    newcomers: int
    not_contacted_no_consent: int
    buddies_matched: int
    no_buddy_found: int
    welcomes_sent: int
    buddy_intros_sent: int
    followups_sent: int
    digests_sent: int
    followups_planned: int
    emails: dict[str, Any] = field(default_factory=dict)


def summarise_onboarding(plan: OnboardingPlan, delivery: Delivery | None, scheduled: int) -> OnboardingSummary:
    """Counts of the plan and of what went out (nothing went out when the gate held the send)."""
    sent = Counter(a.payload.get("purpose", "") for a in delivery.result.done) if delivery else Counter()
    return OnboardingSummary(
        newcomers=len(plan.new),
        not_contacted_no_consent=len(plan.not_contacted),
        buddies_matched=sum(1 for p in plan.new if plan.matches.get(p.member_id)),
        no_buddy_found=sum(1 for p in plan.new if not plan.matches.get(p.member_id)),
        welcomes_sent=sent["onboarding_welcome"],
        buddy_intros_sent=sent["onboarding_buddy"],
        followups_sent=sent["onboarding_followup"],
        digests_sent=sent["onboarding_digest"],
        followups_planned=scheduled,
        emails=delivery.summary() if delivery else {},
    )


def onboarding_notes(state: OnboardingState, config: WeaverConfig, approval: Approval, lang: str,
                     dry_run: bool) -> list[str]:  # fmt: skip
    """What a coordinator should know about this run: the gate's answer, a dry or first run, no weaver."""
    notes = [t("onb.approval", lang, how=approval.describe(lang))]
    notes += [t("onb.dry_run", lang)] if dry_run else []
    notes += [t("onb.first_run", lang, days=config.onboarding.new_member_days)] if state.last_run is None else []
    notes += [t("onb.no_weaver", lang)] if not config.onboarding.weaver_email else []
    return notes


def build_onboarding_report(plan: OnboardingPlan, summary: OnboardingSummary, lang: str, notes: list[str]) -> Report:
    """The counts, then one row per newcomer: their name, their buddy's name, what they share."""
    report = Report(FLOW, t("onb.title", lang), lang, notes=list(notes))
    labels = ["newcomers", "not_contacted_no_consent", "buddies_matched", "no_buddy_found", "welcomes_sent",
              "buddy_intros_sent", "followups_sent", "digests_sent", "followups_planned"]  # fmt: skip
    report.summary = [(t(f"onb.{k}", lang), str(summary[k])) for k in labels]
    rows = []
    for person in plan.new:
        shared = plan.shared.get(person.member_id)
        buddy = plan.names.get(plan.matches.get(person.member_id) or "") or t("onb.none", lang)
        rows.append([_who(person), buddy, shared.kinds(lang) if shared else ""])
    rows += [[_who(p), t("onb.no_consent", lang), ""] for p in plan.not_contacted]
    headers = [t("onb.col.newcomer", lang), t("onb.col.buddy", lang), t("onb.col.shared", lang)]
    report.tables.append(Table(t("onb.table", lang), headers, rows))
    return report


def _who(person: Person) -> str:
    """'Ana Lima (Green Org)': a name, and the organisation to tell two people of one name apart."""
    return f"{person.name} ({person.organisation})" if person.organisation else person.name
