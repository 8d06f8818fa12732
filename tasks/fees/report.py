"""membership-fees, report: counts, the reminders and receipts that went out, the overdue list and the rows a
coordinator should fix. Names and organisations, never addresses or ids."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tasks.common.delivery import Delivery
from tasks.common.money import money
from tasks.fees.fees import FLOW, PAYMENT_PROBLEMS
from tasks.fees.plan import FeePlan
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

__all__ = ["MEMBER_PROBLEMS", "OUTCOMES", "PAYMENT_PROBLEMS", "SUMMARY_KEYS", "FeeSummary", "build_fee_report",
           "fee_summary"]  # fmt: skip
SUMMARY_KEYS = ("members_with_fee", "reminders_due", "reminders_sent", "overdue_members", "overdue_emails_sent",
                "payments", "payments_new", "payments_unmatched", "receipts_sent", "renewed_by_payment",
                "overdue_list_sent", "rows_to_fix")  # fmt: skip
MEMBER_PROBLEMS = ("fee", "paid_until")
OUTCOMES = ("would_send", "sent", "already_sent", "failed", "suppressed", "held")


@dataclass(kw_only=True)
class FeeSummary(Summary):
    members_with_fee: int
    reminders_due: int
    reminders_sent: int
    overdue_members: int
    overdue_emails_sent: int
    payments: int
    payments_new: int
    payments_unmatched: int
    receipts_sent: int
    renewed_by_payment: int
    overdue_list_sent: int
    rows_to_fix: int
    emails: dict[str, Any] = field(default_factory=dict)


def _sent(delivery: Delivery | None) -> Counter[str]:
    if delivery is None:
        return Counter()
    return Counter(a.payload.get("purpose", "") for a in delivery.result.done)


def fee_summary(plan: FeePlan, recorded: ApplyResult, delivery: Delivery | None) -> FeeSummary:
    sent = _sent(delivery)
    return FeeSummary(
        members_with_fee=len(plan.members),
        reminders_due=len(plan.due),
        reminders_sent=sent["fee_reminder"],
        overdue_members=len(plan.overdue),
        overdue_emails_sent=sent["fee_overdue"],
        payments=len(plan.payments.payments),
        payments_new=len(recorded.done) + (len(recorded.skipped) if recorded.dry_run else 0),
        payments_unmatched=len(plan.unmatched),
        receipts_sent=sent["fee_receipt"],
        renewed_by_payment=len(plan.renewed),
        overdue_list_sent=sent["fee_overdue_list"],
        rows_to_fix=len(plan.payments.problems) + len(plan.unreadable) + len(plan.undated),
        emails=delivery.summary() if delivery else {},
    )


def build_fee_report(plan: FeePlan, summary: FeeSummary, delivery: Delivery | None, config: WeaverConfig,
                     dry_run: bool) -> Report:  # fmt: skip
    lang = config.network.default_language
    report = Report(FLOW, t("fees.title", lang), lang)
    report.notes += [t("fees.dry_run", lang)] if dry_run else []
    if plan.payments.missing_tab:
        report.notes.append(t("fees.no_payments_tab", lang, tab=config.fees.payments_tab))
    report.summary = [(t(f"fees.s.{k}", lang), str(summary[k])) for k in SUMMARY_KEYS]
    outcome = _outcomes(delivery, lang)
    rows = [[d.member.name, d.paid_until.isoformat(), _when(d.kind, d.days, d.step, lang), outcome(d.key)]
            for d in plan.due]  # fmt: skip
    report.tables.append(Table(t("fees.due_table", lang), [t("fees.col.member", lang), t("fees.col.paid_until", lang),
                               t("fees.col.when", lang), t("fees.col.outcome", lang)], rows))  # fmt: skip
    rows = [[r.member.name, money(r.payment.amount, r.payment.currency), r.payment.paid_on.isoformat(),
             r.paid_until.isoformat() if r.paid_until else "", outcome(r.key)] for r in plan.receipts]  # fmt: skip
    report.tables.append(Table(t("fees.receipt_table", lang), [t("fees.col.member", lang), t("fees.col.amount", lang),
                               t("fees.col.paid_on", lang), t("fees.col.paid_until", lang),
                               t("fees.col.outcome", lang)], rows))  # fmt: skip
    cap = config.fees.overdue_reminders
    rows = [[o.member.name, o.member.organisation, o.paid_until.isoformat(), str(o.days),
             money(o.member.fee, plan.currency) if o.member.fee is not None else "",
             t("fees.emails_of", lang, sent=o.emails_before, most=cap)] for o in plan.overdue]  # fmt: skip
    report.tables.append(Table(t("fees.overdue_table", lang), [t("fees.col.member", lang), t("fees.col.org", lang),
                               t("fees.col.paid_until", lang), t("fees.col.days_overdue", lang),
                               t("fees.col.fee", lang), t("fees.col.emails", lang)], rows))  # fmt: skip
    fix = [[str(row), t(f"fees.problem.{code}", lang)] for row, code in plan.payments.problems]
    fix += [[str(row), t("fees.problem.duplicate", lang)] for row in plan.payments.duplicates]
    fix += [[str(p.row), t("fees.problem.unmatched", lang)] for p in plan.unmatched]
    if fix:
        headers = [t("fees.col.row", lang), t("fees.col.problem", lang)]
        report.tables.append(Table(t("fees.payment_problems", lang, tab=config.fees.payments_tab), headers, fix))
    check = [[m.name, t("fees.member.no_date", lang)] for m in plan.undated]
    check += [[m.name, t(f"fees.member.bad_{m.problem}", lang)] for m in plan.unreadable]
    if check:
        report.tables.append(Table(t("fees.member_problems", lang), [t("fees.col.member", lang),
                                                                     t("fees.col.problem", lang)], check))  # fmt: skip
    return report


def _when(kind: str, days: int, step: int, lang: str) -> str:
    if kind == "overdue":
        return t("fees.when_overdue", lang, days=days, n=step)
    return t("fees.when_before", lang, days=days, threshold=step)


def _outcomes(delivery: Delivery | None, lang: str) -> Any:
    status: dict[str, str] = {}
    if delivery is not None:
        r = delivery.result
        status |= {a.key: "would_send" for a in r.skipped} if r.dry_run else {}
        status |= {a.key: "sent" for a in r.done} | {a.key: "already_sent" for a in r.already_done}
        status |= {a.key: "failed" for a, _ in r.failed} | {a.key: "failed" for a in r.unknown}
        status |= {s.message.key: "suppressed" for s in delivery.suppressed}

    def outcome(key: str) -> str:
        return t(f"fees.outcome.{status.get(key, 'held')}", lang)

    return outcome
