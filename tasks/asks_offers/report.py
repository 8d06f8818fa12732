"""asks-offers, report: the typed summary and the report a coordinator reads, by name (never by id)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks.asks_offers.matching import parse_ref
from tasks.asks_offers.plan import AsksPlan
from tasks.common.delivery import Delivery
from tasks.common.ties import Tie
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class AsksOffersSummary(Summary):
    members: int
    opted_in: int
    needs: int
    offers: int
    introductions: int
    followups_due: int
    followups_planned: int
    digests: int
    unknown_terms: int
    introductions_recorded: int = 0
    chat: dict[str, int] = field(default_factory=dict)
    emails: dict[str, int] = field(default_factory=dict)


# the counts the report shows, in its order: each labelled with ask.s.<key>
SUMMARY_KEYS = ("members", "opted_in", "needs", "offers", "introductions", "followups_due", "followups_planned",
                "digests", "unknown_terms")  # fmt: skip


def summary_counts(plan: AsksPlan) -> dict[str, int]:
    return {
        "members": plan.members,
        "opted_in": len(plan.people),
        "needs": sum(len(p.needs) for p in plan.people),
        "offers": sum(len(p.offers) for p in plan.people),
        "introductions": len(plan.matches),
        "followups_due": len(plan.followups_due),
        "followups_planned": len(plan.followups_planned),
        "digests": len(plan.digests),
        "unknown_terms": len(plan.unknown),
    }


def summarise_asks_offers(plan: AsksPlan, delivery: Delivery, made: list[Tie], chat: ApplyResult) -> AsksOffersSummary:
    return AsksOffersSummary(**summary_counts(plan), introductions_recorded=len(made), chat=chat.counts(),
                             emails=delivery.summary())  # fmt: skip


def build_asks_offers_report(plan: AsksPlan, delivery: Delivery, lang: str, dry_run: bool) -> Report:
    report = Report("asks-offers", t("ask.title", lang, week=plan.week), lang)
    report.summary = [(t(f"ask.s.{k}", lang), str(v)) for k, v in summary_counts(plan).items()]
    report.summary.append((t("ask.s.emails", lang), ", ".join(f"{k} {v}" for k, v in delivery.summary().items() if v)))
    if not plan.opted_in_column:
        report.notes.append(t("ask.no_column", lang))
    if dry_run:
        report.notes.append(t("ask.dry_run", lang))
    heads = [t("ask.col.need", lang), t("ask.col.with_need", lang), t("ask.col.with_offer", lang)]
    rows = [[m.need.label(lang), plan.name(m.needer), plan.name(m.offerer)] for m in plan.matches]
    report.tables.append(Table(t("ask.t.introductions", lang), heads, rows))
    planned = [[*_pair(plan, x), due.isoformat()] for x, due in plan.followups_planned]
    heads = [t("ask.col.with_need", lang), t("ask.col.with_offer", lang), t("ask.col.due", lang)]
    report.tables.append(Table(t("ask.t.followups", lang), heads, planned))
    unknown = [[text, str(n)] for text, n in sorted(plan.unknown.items(), key=lambda x: (-x[1], x[0]))]
    heads = [t("ask.col.text", lang), t("ask.col.count", lang)]
    report.tables.append(Table(t("ask.t.unknown", lang, tab=plan.vocabulary_tab), heads, unknown))
    return report


def _pair(plan: AsksPlan, x: Tie) -> list[str]:
    needer, offerer, _need = parse_ref(x.ref)
    return [plan.name(needer), plan.name(offerer)]
