"""onboarding, plan (pure, no I/O): newcomers, buddies, and every message a run sends (what a dry run shows).

The rules are in `tasks/onboarding/onboarding.py`'s docstring.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.delivery import Delivery
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.onboarding.onboarding import (
    FOLLOWUP,
    RECORD,
    OnboardingState,
    Overlap,
    Person,
    Record,
    is_new,
    match_buddies,
    overlap,
)
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult


@dataclass
class OnboardingPlan:
    new: list[Person]  # new since the last run and may be emailed
    not_contacted: list[Person]  # new, but no consent to email
    cohort: list[Person]  # every newcomer whose welcome is planned (new ones and recent ones not finished)
    matches: dict[str, str | None]
    shared: dict[str, Overlap]  # newcomer id -> what they share with their buddy
    records: list[Action]
    messages: list[Message]
    cancel: list[str] = field(default_factory=list)  # due follow-ups of members who left
    welcome_keys: dict[str, str] = field(default_factory=dict)  # welcome key -> member id
    names: dict[str, str] = field(default_factory=dict)  # member id -> name, for reports that never show ids


def plan_onboarding(state: OnboardingState, config: WeaverConfig) -> OnboardingPlan:
    """The whole plan phase, pure: newcomers, buddies and every message (what a dry run shows)."""
    cfg = config.onboarding
    by_id = {p.member_id: p for p in state.people}
    fresh = [p for p in state.people if is_new(p, state.last_run, state.today, cfg.new_member_days)]
    new = [p for p in fresh if p.consent]
    since = state.now - timedelta(days=cfg.new_member_days)
    recent = {mid: r for mid, r in state.records.items() if r.started >= since}
    cohort_ids = dict.fromkeys([p.member_id for p in new] + sorted(m for m in recent if m in by_id))
    cohort = [by_id[m] for m in cohort_ids]
    matches = _matches(cohort, state, fresh, recent, cfg.max_newcomers_per_buddy)
    shared = {m: overlap(by_id[m], by_id[b]) for m, b in matches.items() if m in by_id and b in by_id}
    plan = OnboardingPlan(new, [p for p in fresh if not p.consent], cohort, matches, shared, [], [])
    plan.records = [_record_action(m, matches[m]) for m in cohort_ids if m not in state.records]
    plan.names = {m: by_id[m].name for m in (*cohort_ids, *matches.values()) if m and m in by_id}
    context = _context(config)
    for person in cohort:
        buddy = by_id.get(matches.get(person.member_id) or "")
        plan.messages += _welcome_and_intro(person, buddy, context, config, plan)
    plan.messages += _due_followups(state, by_id, context, config, plan)
    digest = _digest(plan, by_id, context, config)
    plan.messages += [digest] if digest else []
    return plan


def _matches(cohort: list[Person], state: OnboardingState, fresh: list[Person], recent: Mapping[str, Record],
             cap: int) -> dict[str, str | None]:  # fmt: skip
    fixed = {m: state.records[m].buddy for m in (p.member_id for p in cohort) if m in state.records}
    newcomer_ids = {p.member_id for p in fresh} | set(recent)
    candidates = [p for p in state.people if p.consent and p.member_id not in newcomer_ids
                  and p.email not in state.suppressed]  # fmt: skip
    load = Counter(r.buddy for r in recent.values() if r.buddy)
    todo = [p for p in cohort if p.member_id not in fixed]
    return {**fixed, **match_buddies(todo, candidates, cap, load)}


def _record_action(member_id: str, buddy: str | None) -> Action:
    summary = f"newcomer {member_id}: buddy {buddy or 'none found'}"
    return Action(f"{RECORD}{member_id}", "onboarding-newcomer", summary, {"buddy": buddy}, idempotent=True)


def _context(config: WeaverConfig) -> dict[str, Any]:
    return {"network_name": config.network.name, "handbook_url": config.onboarding.handbook_url}


def _message(key: str, to: Person, template: str, context: Mapping[str, Any], config: WeaverConfig) -> Message:
    out = render(template, to.language, {**context, "name": to.name}, config.network.default_language)
    return Message(key, to.email, to.name, out.subject, out.text, out.html, out.language, to.member_id, template)


def _welcome_and_intro(person: Person, buddy: Person | None, context: Mapping[str, Any], config: WeaverConfig,
                       plan: OnboardingPlan) -> list[Message]:  # fmt: skip
    lang = person.language or config.network.default_language
    shared = plan.shared.get(person.member_id)
    about_buddy = None
    if buddy and shared:
        about_buddy = {"name": buddy.name, "organisation": buddy.organisation, "shared": shared.phrase(lang)}
    key = f"onboarding:welcome:{person.member_id}"
    plan.welcome_keys[key] = person.member_id
    out = [_message(key, person, "onboarding_welcome", {**context, "buddy": about_buddy}, config)]
    if buddy and shared:
        their_lang = buddy.language or config.network.default_language
        interests = t("onb.list_sep", their_lang).join(person.interests)
        newcomer = {"name": person.name, "email": person.email, "organisation": person.organisation,
                    "region": person.region, "interests": interests}  # fmt: skip
        intro = {**context, "newcomer": newcomer, "shared": shared.phrase(their_lang)}
        key = f"onboarding:buddy:{buddy.member_id}:{person.member_id}"
        out.append(_message(key, buddy, "onboarding_buddy", intro, config))
    return out


def followup_key(day: int, member_id: str) -> str:
    return f"{FOLLOWUP}{day}:{member_id}"


def parse_followup_key(key: str) -> tuple[int, str]:
    day, _, member_id = key.removeprefix(FOLLOWUP).partition(":")
    return int(day), member_id


def _due_followups(state: OnboardingState, by_id: Mapping[str, Person], context: Mapping[str, Any],
                   config: WeaverConfig, plan: OnboardingPlan) -> list[Message]:  # fmt: skip
    out = []
    for key in state.due:
        day, member_id = parse_followup_key(key)
        person = by_id.get(member_id)
        if person is None:  # left the network (or the sheet) since: never sent
            plan.cancel.append(key)
            continue
        record = state.records.get(member_id)
        buddy = by_id.get(record.buddy or "") if record else None
        extra = {"day": day, "buddy_name": buddy.name if buddy else ""}
        out.append(_message(key, person, "onboarding_followup", {**context, **extra}, config))
    return out


def _digest(plan: OnboardingPlan, by_id: Mapping[str, Person], context: Mapping[str, Any],
            config: WeaverConfig) -> Message | None:  # fmt: skip
    """One email to the network weaver per group of newcomers (keyed by who they are: sent once)."""
    cfg, lang = config.onboarding, config.network.default_language
    if not cfg.weaver_email or not (plan.new or plan.not_contacted):
        return None
    rows = [_digest_row(p, by_id.get(plan.matches.get(p.member_id) or ""), plan, lang) for p in plan.new]
    ids = sorted(p.member_id for p in (*plan.new, *plan.not_contacted))
    occasion = hashlib.blake2b("\x1f".join(ids).encode(), digest_size=8).hexdigest()
    name = cfg.weaver_name or config.network.name
    followups = sum(1 for m in plan.messages if m.purpose == "onboarding_followup")
    extra = {"name": name, "newcomers": rows, "not_contacted": len(plan.not_contacted), "followups_sent": followups}
    out = render("onboarding_digest", lang, {**context, **extra}, lang)
    return Message(f"onboarding:digest:{occasion}", cfg.weaver_email, name, out.subject, out.text, out.html,
                   out.language, None, "onboarding_digest")  # fmt: skip


def _digest_row(person: Person, buddy: Person | None, plan: OnboardingPlan, lang: str) -> dict[str, str]:
    """What the weaver needs to act on one newcomer: who they are, how to reach them, and their buddy.

    Names, never member ids: the weaver reads this, and finds people in the sheet by name or email.
    """
    shared = plan.shared.get(person.member_id)
    return {
        "name": person.name,
        "email": person.email,
        "organisation": person.organisation,
        "region": person.region,
        "interests": t("onb.list_sep", lang).join(person.interests),
        "buddy_name": buddy.name if buddy else "",
        "buddy_organisation": buddy.organisation if buddy else "",
        "shared": shared.phrase(lang) if shared else "",
    }


def plan_followups(delivery: Delivery, plan: OnboardingPlan, days: Iterable[int], now: datetime) -> list[Action]:
    """Follow-ups for every newcomer whose welcome has gone out (planned once: the ledger keeps the first)."""
    result: ApplyResult = delivery.result
    welcomed = [plan.welcome_keys[a.key] for a in (*result.done, *result.already_done) if a.key in plan.welcome_keys]
    return [
        Action(
            followup_key(day, member_id),
            "email",
            f"follow-up day {day} to {member_id}",
            {"member_id": member_id, "day": day},
            due_at=now + timedelta(days=day),
        )  # fmt: skip
        for member_id in welcomed
        for day in days
    ]


plan_onboarding_task = task(name="plan-onboarding", cache_policy=NO_CACHE)(plan_onboarding)
