"""membership-fees, plan (pure, no I/O): each member's paid-until date, the emails due today, the receipts,
the overdue list and the coordinator's copy of it. Exactly what a dry run shows."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.messages import render
from tasks.common.money import money
from tasks.common.prefect_task import task
from tasks.fees.fees import Due, FeeMember, Payment, Payments, add_months, by_email, reminder_due, renewed_until
from weaver.config import FeesConfig, WeaverConfig
from weaver.ledger import Action


@dataclass(frozen=True)
class Receipt:
    payment: Payment
    member: FeeMember
    paid_until: date | None  # the member's paid-until date after this payment

    @property
    def key(self) -> str:
        return f"fee-receipt:{self.payment.payment_id}"


@dataclass(frozen=True)
class Overdue:
    member: FeeMember
    paid_until: date
    days: int
    emails_before: int  # overdue emails for this date sent by earlier runs


@dataclass
class FeePlan:
    today: date
    currency: str
    members: list[FeeMember]  # members with a fee
    until: dict[str, date | None]  # member id -> paid-until date after their payments
    due: list[Due] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)
    unmatched: list[Payment] = field(default_factory=list)  # payments from an address that is no member
    undated: list[FeeMember] = field(default_factory=list)  # a fee, no paid-until date, no payment
    unreadable: list[FeeMember] = field(default_factory=list)
    renewed: list[FeeMember] = field(default_factory=list)  # paid-until moved on by a payment
    payments: Payments = field(default_factory=Payments)
    records: list[Action] = field(default_factory=list)  # each payment, recorded once
    messages: list[Message] = field(default_factory=list)

    @property
    def names(self) -> dict[str, str]:
        return {m.member_id: m.name for m in self.members}


def plan_fees(
    rows: Sequence[FeeMember], payments: Payments, overdue_sent: set[str], config: WeaverConfig, today: date,
    currency: str,
) -> FeePlan:  # fmt: skip
    """Every member with a fee: paid until when, what is due today; a receipt for each recent payment."""
    cfg = config.fees
    members = [m for m in rows if m.fee is not None]
    plan = FeePlan(today, currency, members, {}, payments=payments, unreadable=[m for m in rows if m.problem])
    everyone = by_email(rows)
    mine: dict[str, list[Payment]] = {}
    for payment in payments.payments:
        member = everyone.get(payment.email)
        if member is None:
            plan.unmatched.append(payment)
        else:
            mine.setdefault(member.member_id, []).append(payment)
            plan.records.append(_record(payment, member))
    for member in members:
        paid = mine.get(member.member_id, [])
        until = plan.until[member.member_id] = renewed_until(member.paid_until, paid, cfg)
        if until != member.paid_until:
            plan.renewed.append(member)
        if until is None:
            if not member.problem:
                plan.undated.append(member)
            continue
        due = reminder_due(member, until, today, cfg)
        plan.due += [due] if due else []
        if until < today:
            before = sum(f"fee-overdue:{member.member_id}:{until.isoformat()}:{n}" in overdue_sent
                         for n in range(1, cfg.overdue_reminders + 1))  # fmt: skip
            plan.overdue.append(Overdue(member, until, (today - until).days, before))
    for member in rows:  # receipts also for a member whose fee cell is blank: they paid
        plan.receipts += _receipts(member, mine.get(member.member_id, []), cfg, today)
    plan.overdue.sort(key=lambda o: (-o.days, o.member.name))
    context = _context(config)
    plan.messages = [_reminder(d, context, config, currency) for d in plan.due]
    plan.messages += [_receipt(r, context, config) for r in plan.receipts]
    digest = _overdue_digest(plan, context, config)
    plan.messages += [digest] if digest else []
    return plan


def _receipts(member: FeeMember, paid: list[Payment], cfg: FeesConfig, today: date) -> list[Receipt]:
    out = []
    until = member.paid_until
    for payment in sorted(paid, key=lambda p: (p.paid_on, p.row)):
        until = renewed_until(until, [payment], cfg)
        if today - timedelta(days=cfg.receipt_days) <= payment.paid_on <= today:
            out.append(Receipt(payment, member, until))
    return out


def _record(payment: Payment, member: FeeMember) -> Action:
    summary = f"payment of {money(payment.amount, payment.currency)} on {payment.paid_on} recorded"
    payload = {"member_id": member.member_id, "paid_on": payment.paid_on.isoformat(),
               "amount": str(payment.amount), "currency": payment.currency, "row": payment.row}  # fmt: skip
    return Action(f"fee-payment:{payment.payment_id}", "fee-payment", summary, payload, idempotent=True)


# messages ---------------------------------------------------------------------------------------------------
def _context(config: WeaverConfig) -> dict[str, object]:
    cfg = config.fees
    return {"network_name": config.network.name, "how_to_pay_zh": cfg.how_to_pay_zh,
            "how_to_pay_en": cfg.how_to_pay_en, "pay_url": cfg.pay_url,
            "thresholds": ", ".join(map(str, cfg.reminder_days)), "overdue_max": cfg.overdue_reminders}  # fmt: skip


def _reminder(due: Due, context: dict[str, object], config: WeaverConfig, currency: str) -> Message:
    m = due.member
    fee = money(m.fee, currency) if m.fee is not None else ""
    ctx = {**context, "name": m.name, "fee": fee, "paid_until": due.paid_until.isoformat(), "days": due.days,
           "overdue": due.kind == "overdue", "step": due.step}  # fmt: skip
    text = render("fee_reminder", m.language, ctx, default_language=config.network.default_language)
    return Message(key=due.key, to_email=m.email, to_name=m.name, subject=text.subject, text=text.text,
                   html=text.html, language=text.language, member_id=m.member_id,
                   purpose="fee_overdue" if due.kind == "overdue" else "fee_reminder")  # fmt: skip


def _receipt(receipt: Receipt, context: dict[str, object], config: WeaverConfig) -> Message:
    m, p = receipt.member, receipt.payment
    until = receipt.paid_until.isoformat() if receipt.paid_until else ""
    ctx = {**context, "name": m.name, "amount": money(p.amount, p.currency), "paid_on": p.paid_on.isoformat(),
           "reference": p.reference, "paid_until": until}  # fmt: skip
    text = render("fee_receipt", m.language, ctx, default_language=config.network.default_language)
    return Message(key=receipt.key, to_email=m.email, to_name=m.name, subject=text.subject, text=text.text,
                   html=text.html, language=text.language, member_id=m.member_id, purpose="fee_receipt")  # fmt: skip


def _overdue_digest(plan: FeePlan, context: dict[str, object], config: WeaverConfig) -> Message | None:
    """The overdue list for the coordinator: sent again only when someone joins or leaves the list."""
    cfg = config.fees
    if not cfg.coordinator_email or not plan.overdue:
        return None
    lang = config.network.default_language
    due_now = {d.member.member_id for d in plan.due if d.kind == "overdue"}
    items = [{"name": o.member.name, "organisation": o.member.organisation, "paid_until": o.paid_until.isoformat(),
              "days": o.days, "fee": money(o.member.fee, plan.currency) if o.member.fee is not None else "",
              "emails": o.emails_before, "emailing": o.member.member_id in due_now and o.member.consent}
             for o in plan.overdue]  # fmt: skip
    ctx = {**context, "items": items, "coordinator_name": cfg.coordinator_name, "today": plan.today.isoformat()}
    text = render("fee_overdue_list", lang, ctx, default_language=lang)
    listed = "\n".join(sorted(f"{o.member.member_id}:{o.paid_until.isoformat()}" for o in plan.overdue))
    digest = hashlib.blake2b(listed.encode(), digest_size=8).hexdigest()
    return Message(key=f"fee-overdue-list:{digest}", to_email=cfg.coordinator_email, to_name=cfg.coordinator_name,
                   subject=text.subject, text=text.text, html=text.html, language=text.language, member_id=None,
                   purpose="fee_overdue_list")  # fmt: skip


plan_fees_task = task(name="plan-membership-fees", cache_policy=NO_CACHE)(plan_fees)
__all__ = ["FeePlan", "Overdue", "Receipt", "add_months", "plan_fees", "plan_fees_task"]
