"""health-digest, plan (pure): from the facts, what needs a person, as the digest the coordinators read.

Sections, in this order, each only when it has something: runs that failed or crashed (since the last digest),
runs paused for a coordinator's approval, ledger entries whose outcome is unknown, rows the last member-sync
quarantined, bounces and unsubscribes (since the last digest), stale tabs (the operation that reads a tab last
finished longer ago than `[health] stale_days`), and a run history that could not be read.

Nothing needs a person: no message, no post. Otherwise one staff email to `[health] coordinator_email` and/or
one post to `[chat]` (when `[health] chat`), keyed by the period (`email:health-digest:2026-11-24`, or
`...:2026-W48` weekly): the ledger lets at most one of each out per period. Never member mail:
the digest names members (bounced, unsubscribed) for the coordinators only and carries no address or id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.health_digest.read import CHAT_PREFIX, EMAIL_PREFIX, HealthFacts
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action

SECTIONS = ("failed", "crashed", "paused", "unknown", "quarantined", "bounced", "unsubscribed", "stale", "unreadable")
BOUNCED = ("bounced", "cleaned", "soft bounces")  # Mailchimp "cleaned" is a hard bounce; "soft bounces": the limit
NAMES_SHOWN = 20  # names listed per section; the rest are counted


@dataclass
class Section:
    kind: str  # one of SECTIONS
    count: int
    title: str
    lines: list[str]


@dataclass
class DigestPlan:
    period: str  # 2026-11-24 (daily) or 2026-W48 (weekly)
    language: str
    since: datetime
    sections: list[Section] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)  # staff mail, never to members
    posts: list[Action] = field(default_factory=list)  # the chat post

    @property
    def all_well(self) -> bool:
        return not self.sections

    def counts(self) -> dict[str, int]:
        found = {s.kind: s.count for s in self.sections}
        return {kind: found.get(kind, 0) for kind in SECTIONS}


def period_key(today: date, period: str) -> str:
    if period == "weekly":
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return today.isoformat()


def plan_digest(facts: HealthFacts, config: WeaverConfig, today: date) -> DigestPlan:
    cfg = config.health
    lang = cfg.language or config.network.default_language
    zone = ZoneInfo(config.network.timezone)
    plan = DigestPlan(period_key(today, cfg.period), lang, facts.since)
    plan.sections = [s for s in _sections(facts, config, lang, zone) if s.count]
    if plan.all_well:
        return plan
    title = t("health.subject", lang, network=config.network.name, n=sum(s.count for s in plan.sections))
    if cfg.coordinator_email:
        plan.messages.append(_email(plan, title, config, lang, zone))
    if cfg.chat:
        body = "\n\n".join("\n".join([s.title, *(f"- {line}" for line in s.lines)]) for s in plan.sections)
        payload = {"title": title, "body": body}
        plan.posts.append(Action(CHAT_PREFIX + plan.period, "chat-health-digest", "chat health digest", payload))
    return plan


def _sections(facts: HealthFacts, config: WeaverConfig, lang: str, zone: ZoneInfo) -> list[Section]:
    def when(at: datetime) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def section(kind: str, count: int, lines: list[str]) -> Section:
        return Section(kind, count, t(f"health.section.{kind}", lang, n=count), lines)

    out: list[Section] = []
    for kind in ("failed", "crashed", "paused"):
        runs = [r for r in facts.runs if r.state == kind]
        lines = [t("health.line.run", lang, operation=r.operation, run=r.run_name, at=when(r.at))
                 + (f": {r.message}" if r.message and kind != "paused" else "") for r in runs]  # fmt: skip
        out.append(section(kind, len(runs), lines))
    by_flow = Counter(str(u["flow"]) for u in facts.unknown)
    lines = [t("health.line.unknown", lang, operation=flow, n=n) for flow, n in sorted(by_flow.items())]
    out.append(section("unknown", len(facts.unknown), [*lines, t("health.hint.unknown", lang)] if lines else []))
    hint = t("health.hint.quarantined", lang, tab=config.members.tab)
    out.append(section("quarantined", facts.quarantined, [hint] if facts.quarantined else []))
    bounced = [s for s in facts.suppressed if s["reason"] in BOUNCED]
    out.append(section("bounced", len(bounced) + (facts.bounce_reports or 0), _names(bounced, lang, facts, True)))
    gone = [s for s in facts.suppressed if s["reason"] not in BOUNCED]
    out.append(section("unsubscribed", len(gone), _names(gone, lang, facts, False)))
    stale = _stale(facts, config, lang, when)
    out.append(section("stale", len(stale), stale))
    out.append(section("unreadable", 1 if facts.runs_error else 0, [facts.runs_error] if facts.runs_error else []))
    return out


def _names(rows: list[dict[str, object]], lang: str, facts: HealthFacts, bounces: bool) -> list[str]:
    named = sorted({str(r["name"]) for r in rows if r["name"]})
    lines = [", ".join(named[:NAMES_SHOWN]) + (" …" if len(named) > NAMES_SHOWN else "")] if named else []
    others = len(rows) - sum(1 for r in rows if r["name"])
    if others:
        lines.append(t("health.line.not_members", lang, n=others))
    if bounces and facts.bounce_reports:
        lines.append(t("health.line.bounce_reports", lang, n=facts.bounce_reports))
    return lines


def _stale(facts: HealthFacts, config: WeaverConfig, lang: str, when: Callable[[datetime], str]) -> list[str]:
    tabs = {"member-sync": config.members.tab, "event-invites": config.tabs.events,
            "grant-pipeline": config.tabs.opportunities}  # fmt: skip
    lines = []
    for operation, days in sorted(config.health.stale_days.items()):
        last = facts.last_finished.get(operation)
        if last is None:  # never ran here: this network does not use it
            continue
        age = (facts.now - last).days
        if age > days:
            tab = tabs.get(operation, operation)
            lines.append(t("health.line.stale", lang, tab=tab, operation=operation, days=age, at=when(last)))
    return lines


def _email(plan: DigestPlan, title: str, config: WeaverConfig, lang: str, zone: ZoneInfo) -> Message:
    cfg = config.health
    ctx = {"network_name": config.network.name, "coordinator_name": cfg.coordinator_name, "title": title,
           "since": plan.since.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
           "sections": [{"title": s.title, "lines": s.lines} for s in plan.sections]}  # fmt: skip
    text = render("health_digest", lang, ctx, default_language=lang)
    return Message(key=EMAIL_PREFIX + plan.period, to_email=cfg.coordinator_email, to_name=cfg.coordinator_name,
                   subject=text.subject, text=text.text, html=text.html, language=text.language, member_id=None,
                   purpose="health_digest")  # fmt: skip


plan_digest_task = task(name="plan-health-digest", cache_policy=NO_CACHE)(plan_digest)
