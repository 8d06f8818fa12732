"""decision-rounds, plan (pure, no I/O): who takes part in each round, the invitations with personal links,
reminders to those who have not answered, and at close the tally, the Decisions row and the announcements.
Exactly what a dry run shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.audience import parse_audience
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.decisions.decisions import PURPOSE, Outcome, Proposal, Proposals, Response, tally
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action
from weaver.links import LinkSigner, link_url


@dataclass(frozen=True)
class Voter:
    member_id: str
    email: str
    name: str
    language: str
    fields: Mapping[str, str] = field(compare=False, hash=False)


def voter(row: Mapping[str, Any]) -> Voter:
    fields = row.get("fields") or {}
    return Voter(row["member_id"], row["email"], fields.get("name", "") or row["email"].partition("@")[0],
                 fields.get("language", ""), fields)  # fmt: skip


@dataclass
class RoundPlan:
    proposal: Proposal
    status: str  # upcoming, open, closed
    eligible: list[Voter]
    responded: set[str]
    outcome: Outcome | None = None  # closed rounds


@dataclass
class DecisionPlan:
    today: date
    proposals: Proposals
    rounds: list[RoundPlan] = field(default_factory=list)
    snapshots: dict[str, dict[str, object]] = field(default_factory=dict)  # open rounds, for the page
    messages: list[Message] = field(default_factory=list)
    outcome_rows: list[Action] = field(default_factory=list)  # Decisions tab rows, once per round
    chat_posts: list[Action] = field(default_factory=list)  # each outcome announced in the chat, once

    def count(self, purpose: str) -> int:
        return sum(1 for m in self.messages if m.purpose == purpose)


def plan_decisions(
    proposals: Proposals, members: Sequence[Mapping[str, Any]], answers: Sequence[Mapping[str, Any]],
    invited: set[str], recorded: set[str], signer: LinkSigner, config: WeaverConfig, today: date,
) -> DecisionPlan:  # fmt: skip
    """`invited`: invitation keys sent by earlier runs (reminders follow only those); `recorded`: rounds whose
    outcome is in the Decisions tab already."""
    cfg, tz = config.decisions, config.network.timezone
    plan = DecisionPlan(today, proposals)
    voters = [voter(m) for m in members]
    by_round: dict[str, list[Response]] = {}
    for a in answers:
        by_round.setdefault(a["proposal_id"], []).append(Response(a["member_id"], a["choice"], a.get("comment", "")))
    for p in proposals.proposals:
        audience = parse_audience(p.audience)
        eligible = [v for v in voters if audience.matches(v.fields, today)]
        mine = by_round.get(p.proposal_id, [])
        rp = RoundPlan(p, p.status(today), eligible, {r.member_id for r in mine})
        plan.rounds.append(rp)
        if rp.status == "open":
            plan.snapshots[p.proposal_id] = p.snapshot(tz)
            expires = p.closes_at(tz) + timedelta(days=cfg.link_days_after_close)
            for v in eligible:
                url = link_url(config, PURPOSE, signer.token(PURPOSE, v.member_id, p.proposal_id, expires))
                invite = f"decision-invite:{p.proposal_id}:{v.member_id}"
                plan.messages.append(_message("decision_invite", invite, p, v, url, config))
                left = (p.closes - today).days
                reached = [d for d in cfg.reminder_days if left <= d]
                if reached and invite in invited and v.member_id not in rp.responded:
                    key = f"decision-reminder:{p.proposal_id}:{v.member_id}:{min(reached)}"
                    plan.messages.append(_message("decision_reminder", key, p, v, url, config))
        elif rp.status == "closed":
            rp.outcome = tally(p, [v.member_id for v in eligible], mine)
            if p.proposal_id not in recorded:
                plan.outcome_rows.append(_outcome_row(rp.outcome, voters, config))
            plan.chat_posts.append(_chat_post(rp.outcome, config))
            plan.messages += [_announcement(rp.outcome, v, config) for v in eligible]
    return plan


def _context(p: Proposal, v: Voter, lang: str, config: WeaverConfig) -> dict[str, Any]:
    return {"network_name": config.network.name, "name": v.name, "title": p.title(lang), "text": p.text(lang),
            "kind": p.kind, "kind_text": t(f"dec.kind.{p.kind}", lang), "closes": p.closes.isoformat()}  # fmt: skip


def _message(template: str, key: str, p: Proposal, v: Voter, url: str, config: WeaverConfig) -> Message:
    lang = v.language if v.language in ("zh", "en") else config.network.default_language
    text = render(template, lang, {**_context(p, v, lang, config), "url": url},
                  default_language=config.network.default_language)  # fmt: skip
    return Message(key=key, to_email=v.email, to_name=v.name, subject=text.subject, text=text.text, html=text.html,
                   language=text.language, member_id=v.member_id, purpose=template)  # fmt: skip


def result_text(outcome: Outcome, lang: str) -> str:
    if outcome.result == "chosen":
        return t("dec.result.chosen", lang, option=outcome.chosen)
    return t(f"dec.result.{outcome.result}", lang)


def counts_text(outcome: Outcome, lang: str) -> str:
    p = outcome.proposal
    label = (lambda c: c) if p.kind == "vote" else (lambda c: t(f"dec.choice.{c}", lang))
    return ", ".join(f"{label(c)} {n}" for c, n in outcome.counts.items())


def _announcement(outcome: Outcome, v: Voter, config: WeaverConfig) -> Message:
    p = outcome.proposal
    lang = v.language if v.language in ("zh", "en") else config.network.default_language
    ctx = {**_context(p, v, lang, config), "result": result_text(outcome, lang), "counts": counts_text(outcome, lang),
           "responded": outcome.responded, "eligible": outcome.eligible, "needed": outcome.needed}  # fmt: skip
    text = render("decision_outcome", lang, ctx, default_language=config.network.default_language)
    return Message(key=f"decision-announce:{p.proposal_id}:{v.member_id}", to_email=v.email, to_name=v.name,
                   subject=text.subject, text=text.text, html=text.html, language=text.language,
                   member_id=v.member_id, purpose="decision_outcome")  # fmt: skip


def _outcome_row(outcome: Outcome, voters: Sequence[Voter], config: WeaverConfig) -> Action:
    lang = config.network.default_language
    p = outcome.proposal
    names = {v.member_id: v.name for v in voters}
    objections = "; ".join(f"{names.get(r.member_id, '')}: {r.comment}".strip(": ") for r in outcome.objections)
    values = [p.proposal_id, p.title(lang), t(f"dec.kind.{p.kind}", lang), p.closes.isoformat(),
              str(outcome.eligible), str(outcome.responded), str(outcome.needed), result_text(outcome, lang),
              counts_text(outcome, lang), objections]  # fmt: skip
    summary = f"decision {p.proposal_id}: {outcome.result}"
    return Action(f"decision-outcome:{p.proposal_id}", "sheet-append", summary, {"values": values}, idempotent=True)


def _chat_post(outcome: Outcome, config: WeaverConfig) -> Action:
    lang = config.network.default_language
    p = outcome.proposal
    title = t("dec.chat.title", lang, title=p.title(lang))
    body = t("dec.chat.body", lang, result=result_text(outcome, lang), counts=counts_text(outcome, lang),
             responded=outcome.responded, eligible=outcome.eligible)  # fmt: skip
    return Action(f"chat:decision:{p.proposal_id}", "chat", f"chat post: outcome of {p.proposal_id}",
                  {"title": title, "body": body})  # fmt: skip


plan_decisions_task = task(name="plan-decision-rounds", cache_policy=NO_CACHE)(plan_decisions)
