"""chat-prompts, plan (pure): the due questions, this week's "what's on" digest, the due event reminders.

The rules are in tasks/prompts/prompts.py's docstring. Every message carries both languages of the network,
one after the other: a network chat is one room for Chinese and English speakers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.events.calendar import parse_deadlines
from tasks.events.events import SCHEDULED, Event, parse_events
from tasks.newsletter.compile import format_day
from tasks.prompts.prompts import Chat, PromptPlan, digest_due, parse_questions, plan_questions, reminders, week_key
from tasks.prompts.read import PromptSources
from tasks.site.directory import allowed_fields
from weaver.config import WeaverConfig
from weaver.errors import WeaverError
from weaver.i18n import t


def _both(key: str, languages: Sequence[str], **values: str) -> str:
    return " · ".join(dict.fromkeys(t(key, lang, **values) for lang in languages))


def _events(sources: PromptSources, config: WeaverConfig, plan: PromptPlan) -> list[Event]:
    if sources.events is None:
        return []
    tab, lang = config.tabs.events, config.network.default_language
    try:
        events, _problems = parse_events(sources.events, config.events, tab, config.network.timezone, lang, tab)
    except WeaverError as exc:
        plan.problems.append(str(exc))
        return []
    return [e for e in events if e.status == SCHEDULED]


def _when(e: Event, lang: str) -> str:
    return format_day(e.start.date(), f"{e.start:%H:%M}", lang)


def _rsvp(config: WeaverConfig, e: Event) -> str:
    return config.events.rsvp_url.replace("{event_id}", e.event_id) if config.events.rsvp_url else ""


def _newcomers(sources: PromptSources, config: WeaverConfig, today: date) -> list[str]:
    """Members who joined in the last 7 days and said yes to being listed (their name only)."""
    out = []
    for fields in sources.members:
        joined = fields.get("joined", "")
        try:
            day = date.fromisoformat(joined[:10])
        except ValueError:
            continue
        allowed = allowed_fields(fields.get("directory", ""), config.site.directory_fields)
        if today - timedelta(days=7) < day <= today and "name" in allowed and fields.get("name"):
            out.append(fields["name"])
    return sorted(out, key=str.casefold)


def _digest(sources: PromptSources, config: WeaverConfig, events: Sequence[Event], now: datetime,
            today: date) -> Chat | None:  # fmt: skip
    languages = config.network.languages
    week = [e for e in events if now < e.start <= now + timedelta(days=7)]
    deadlines = sorted((d for d in parse_deadlines(sources.opportunities or [], today, config.grants.columns)
                        if d.day <= today + timedelta(days=14)), key=lambda d: (d.day, d.row))  # fmt: skip
    newcomers = _newcomers(sources, config, today) if config.prompts.introduce_new_members else []
    if not (week or deadlines or newcomers):
        return None
    parts: list[str] = []
    if week:
        parts.append(_both("prompts.digest.events", languages))
        parts += [f"- {_when(e, languages[0])} {e.title}" + (f" {_rsvp(config, e)}" if _rsvp(config, e) else "")
                  for e in sorted(week, key=lambda e: (e.start, e.row))]  # fmt: skip
    if deadlines:
        parts.append(_both("prompts.digest.deadlines", languages))
        parts += [f"- {format_day(d.day, '', languages[0])} {d.title}" + (f" ({d.funder})" if d.funder else "")
                  for d in deadlines]  # fmt: skip
    if newcomers:
        parts.append(_both("prompts.digest.newcomers", languages))
        parts.append("- " + ", ".join(newcomers))
    title = _both("prompts.digest.title", languages)
    return Chat(f"chat-digest:{week_key(today)}", "digest", title, "\n".join(parts))


def plan_prompts(sources: PromptSources, config: WeaverConfig, now: datetime, today: date) -> PromptPlan:
    cfg, languages, lang = config.prompts, config.network.languages, config.network.default_language
    plan = PromptPlan()
    questions = parse_questions(sources.prompts or [], cfg.tab, config.network.timezone, plan,
                                t("prompts.bad_date", lang))  # fmt: skip
    plan_questions(questions, now, cfg.stale_days, _both("prompts.question_title", languages), plan)
    events = _events(sources, config, plan)
    if digest_due(today, cfg.digest_weekday):
        digest = _digest(sources, config, events, now, today)
        if digest is not None:
            plan.messages.append(digest)
    texts = {e.event_id: "\n".join(dict.fromkeys(
        t("prompts.reminder", code, title=e.title, when=_when(e, code), link=_rsvp(config, e)).strip()
        for code in languages)) for e in events}  # fmt: skip
    plan.messages += reminders(events, now, cfg.event_reminder_hours, _both("prompts.reminder_title", languages),
                               texts)  # fmt: skip
    return plan


plan_prompts_task = task(name="plan-chat-prompts", cache_policy=NO_CACHE)(plan_prompts)
