"""event-ideas, plan (pure, no I/O): who takes part, the invitations with personal links while the vote is
open, and at close the ranking and the draft Events rows of the shortlist. Exactly what a dry run shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.audience import parse_audience
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.ideas.ideas import PURPOSE, Ideas, Ranked, rank
from weaver.config import WeaverConfig
from weaver.ledger import Action
from weaver.links import LinkSigner, link_url


@dataclass
class IdeasPlan:
    today: date
    round_id: str
    status: str  # none (no round configured), upcoming, open, closed
    ideas: Ideas
    eligible: int = 0
    voted: int = 0
    snapshot: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    ranked: list[Ranked] = field(default_factory=list)
    drafts: list[Action] = field(default_factory=list)  # Events tab rows of the shortlist


def closes_at(config: WeaverConfig) -> datetime:
    closes = date.fromisoformat(config.ideas.closes)
    return datetime.combine(closes + timedelta(days=1), time(0), ZoneInfo(config.network.timezone))


def plan_ideas(ideas: Ideas, members: Sequence[Mapping[str, Any]], votes: Sequence[Mapping[str, Any]],
               signer: LinkSigner, config: WeaverConfig, today: date) -> IdeasPlan:  # fmt: skip
    cfg = config.ideas
    if not cfg.round:
        return IdeasPlan(today, "", "none", ideas)
    opens, closes = date.fromisoformat(cfg.opens), date.fromisoformat(cfg.closes)
    status = "upcoming" if today < opens else "open" if today <= closes else "closed"
    audience = parse_audience(cfg.audience)
    eligible = [m for m in members if audience.matches(m.get("fields") or {}, today)]
    taking_part = {m["member_id"] for m in eligible}
    counted = [v for v in votes if v["member_id"] in taking_part]
    plan = IdeasPlan(today, cfg.round, status, ideas, len(eligible), len(counted))
    plan.ranked = rank(ideas.ideas, [v["dots"] for v in counted], cfg.dots)
    if status == "open":
        plan.snapshot = {"ideas": [{"id": i.idea_id, "title": i.title, "description": i.description}
                                   for i in ideas.ideas], "dots": cfg.dots, "closes": cfg.closes,
                         "closes_at": closes_at(config).isoformat()}  # fmt: skip
        expires = closes_at(config) + timedelta(days=30)
        for m in eligible:
            url = link_url(config, PURPOSE, signer.token(PURPOSE, m["member_id"], cfg.round, expires))
            plan.messages.append(_invite(m, url, config))
    elif status == "closed":
        start = datetime.combine(closes + timedelta(days=cfg.event_days_after_close), time(19))
        plan.drafts = [_draft(r, start, config) for r in plan.ranked[: cfg.shortlist] if r.dots > 0]
    return plan


def _invite(member: Mapping[str, Any], url: str, config: WeaverConfig) -> Message:
    fields = member.get("fields") or {}
    name = fields.get("name", "") or member["email"].partition("@")[0]
    lang = fields.get("language", "") if fields.get("language", "") in ("zh", "en") else config.network.default_language
    cfg = config.ideas
    ctx = {"network_name": config.network.name, "name": name, "dots": cfg.dots, "closes": cfg.closes, "url": url}
    text = render("ideas_invite", lang, ctx, default_language=config.network.default_language)
    return Message(key=f"ideas-invite:{cfg.round}:{member['member_id']}", to_email=member["email"], to_name=name,
                   subject=text.subject, text=text.text, html=text.html, language=text.language,
                   member_id=member["member_id"], purpose="ideas_invite")  # fmt: skip


def _draft(r: Ranked, start: datetime, config: WeaverConfig) -> Action:
    idea = r.idea
    notes = [idea.description, f"{r.dots} dots / {r.voters} members ({config.ideas.round})"]
    notes += [f"Feasibility: {idea.feasibility}"] if idea.feasibility else []
    notes += [f"Proposed by: {idea.proposed_by}"] if idea.proposed_by else []
    values = {"event_id": f"idea-{idea.idea_id}", "title": idea.title, "start": start.strftime("%Y-%m-%d %H:%M"),
              "status": "draft", "description": "\n".join(n for n in notes if n)}  # fmt: skip
    summary = f"draft event for idea {idea.idea_id} ({r.dots} dots)"
    return Action(f"ideas-draft:{config.ideas.round}:{idea.idea_id}", "sheet-append", summary, {"values": values},
                  idempotent=True)  # fmt: skip


plan_ideas_task = task(name="plan-event-ideas", cache_policy=NO_CACHE)(plan_ideas)
