"""Planned intents -> personalised messages: the member's language, their local time, and the .ics invitation.

Rendering only (templates and icalendar text): no sending, no database. Invitations, updates and
cancellations carry the calendar both as a `text/calendar; method=...` alternative (mail clients show
Accept / Decline) and as an `invite.ics` attachment (for the ones that do not).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connectors.mail import Attachment, Message
from tasks.common.messages import render
from tasks.events.calendar import Person, event_uid, invitation_ics
from tasks.events.events import CALENDAR_PURPOSES, CANCEL, INVITE, REMINDER, UPDATE, Event, Intent
from tasks.events.reminders import zone_or
from weaver.i18n import t

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # not the locale's
_WEEKDAYS = {"en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
             "zh": ("周一", "周二", "周三", "周四", "周五", "周六", "周日")}  # fmt: skip


@dataclass(frozen=True)
class Context:
    network_name: str
    network_tz: str
    default_language: str
    organizer: Person
    domain: str  # for calendar UIDs
    rsvp_url: str  # with {event_id}
    now: datetime
    links: Callable[[str, str, str], str] | None = None  # (purpose, member id, scope) -> personal URL


CHECKIN = "checkin"  # the link purpose of a personal check-in (deployments/pages/checkin.py); scope = event id
_WITH_CHECKIN = frozenset({INVITE, REMINDER})


def format_day(moment: datetime, lang: str) -> str:
    weekday = _WEEKDAYS.get(lang, _WEEKDAYS["en"])[moment.weekday()]
    if lang == "zh":
        return f"{moment.year}年{moment.month}月{moment.day}日（{weekday}）"
    return f"{weekday} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def short_day(moment: datetime, lang: str) -> str:
    """For subjects: '12月1日周二', 'Tue 1 Dec'."""
    weekday = _WEEKDAYS.get(lang, _WEEKDAYS["en"])[moment.weekday()]
    if lang == "zh":
        return f"{moment.month}月{moment.day}日{weekday}"
    return f"{weekday} {moment.day} {_MONTHS[moment.month - 1]}"


def format_span(start: datetime, end: datetime, zone: ZoneInfo, lang: str) -> str:
    """'2026年12月1日（周二）19:00–21:00（Asia/Shanghai）' in `zone`."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    tail = f"（{zone.key}）" if lang == "zh" else f" ({zone.key})"
    sep = "" if lang == "zh" else ", "
    if a.date() == b.date():
        return f"{format_day(a, lang)}{sep}{a:%H:%M}–{b:%H:%M}{tail}"
    return f"{format_day(a, lang)} {a:%H:%M} – {format_day(b, lang)} {b:%H:%M}{tail}"


def soon_label(start: datetime, now: datetime, zone: ZoneInfo, lang: str) -> str:
    """'in 2 days' / '明天' / 'in 3 hours', from the member's own calendar dates."""
    days = (start.astimezone(zone).date() - now.astimezone(zone).date()).days
    if days >= 2:
        return t("event.in_days", lang, n=days)
    if days == 1:
        return t("event.tomorrow", lang)
    hours = max(1, math.ceil((start - now).total_seconds() / 3600))
    return t("event.in_hours", lang, n=hours)


_WITH_CAPACITY = (INVITE, UPDATE)  # the places and waiting-list note matter before a member answers


def _language_note(event: Event, lang: str) -> str:
    return t(f"event.held_in.{event.language}", lang) if event.language else ""


def message_for(intent: Intent, event: Event, member: Mapping[str, Any], ctx: Context) -> Message:
    fields = member.get("fields") or {}
    lang = fields.get("language") or ctx.default_language
    zone = zone_or(fields.get("timezone", ""), ctx.network_tz)
    event_zone = ZoneInfo(event.timezone)
    local = zone.key != event_zone.key and event.start.astimezone(zone).utcoffset() != event.start.utcoffset()
    render_lang = lang if lang in ("zh", "en") else ctx.default_language
    context = {
        "network_name": ctx.network_name,
        "name": fields.get("name") or t("event.dear_member", render_lang),
        "title": event.title,
        "day": short_day(event.start, render_lang),
        "when": format_span(event.start, event.end, event_zone, render_lang),
        "when_local": format_span(event.start, event.end, zone, render_lang) if local else "",
        "place": event.place,
        "online": event.online,
        "description": event.description,
        "capacity": (event.capacity or "") if intent.purpose in _WITH_CAPACITY else "",  # a seat is already decided
        "language_note": _language_note(event, render_lang),
        "rsvp_url": ctx.rsvp_url.replace("{event_id}", event.event_id) if ctx.rsvp_url else "",
        "soon": soon_label(event.start, ctx.now, zone, render_lang) if intent.purpose == REMINDER else "",
        "checkin_url": ctx.links(CHECKIN, intent.member_id, event.event_id)
        if ctx.links and intent.purpose in _WITH_CHECKIN
        else "",
    }
    out = render(f"event_{intent.purpose}", lang, context, default_language=ctx.default_language)
    message = Message(intent.key, member["email"], fields.get("name", ""), out.subject, out.text, out.html,
                      out.language, intent.member_id, f"event_{intent.purpose}")  # fmt: skip
    if intent.purpose not in CALENDAR_PURPOSES:
        return message
    method = "CANCEL" if intent.purpose == CANCEL else "REQUEST"
    ics = invitation_ics(event, method, intent.sequence, event_uid(event.event_id, ctx.domain), ctx.organizer,
                         Person(member["email"], fields.get("name", "")), ctx.now)  # fmt: skip
    # charset=utf-8: without it strict parsers read the attachment as ASCII and a Chinese title turns into U+FFFD
    attachment = Attachment("invite.ics", f"text/calendar; charset=utf-8; method={method}", ics.encode("utf-8"))
    return replace(message, attachments=(attachment,), calendar=ics, calendar_method=method)


def build_messages(intents: Sequence[Intent], events: Mapping[str, Event], members: Mapping[str, Mapping[str, Any]],
                   ctx: Context) -> list[Message]:  # fmt: skip
    """One message per intent whose member is still active (a member who left gets nothing)."""
    return [
        message_for(i, events[i.event_id], members[i.member_id], ctx)
        for i in intents
        if i.member_id in members and members[i.member_id].get("email")
    ]
