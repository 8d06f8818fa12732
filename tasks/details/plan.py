"""details-check, plan (pure): once a year, each member is asked "is this still right?" with their details and
their personal "my details" link.

Each member is asked in the ISO week of the anniversary of their joining (the `joined` field, else the day
member-sync first saw them, else a week fixed by their id), so the year's asks spread over its weeks and a
network that starts using this asks no one twice and no crowd at once. A run that was missed is caught up
by the next (`CATCH_UP_WEEKS`). Ledger key `email:details-check:<member>:<year>`: once a year, whatever the
number of runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.dates import parse_date
from tasks.common.messages import render
from tasks.common.prefect_task import task
from weaver.config import WeaverConfig
from weaver.i18n import field_label
from weaver.links import LinkSigner, link_url
from weaver.models import parse_consent

PURPOSE = "my-details"  # the page's link purpose (deployments/pages/my_details.py)
CATCH_UP_WEEKS = 2  # a member whose week was up to two weeks ago and who was not asked is asked now
SHOWN = ("name", "email", "organisation", "region", "language", "interests", "needs", "offers")


@dataclass
class DetailsPlan:
    today: date
    year: int
    due: list[str] = field(default_factory=list)  # member ids asked this run
    later: int = 0  # members whose week has not come yet this year
    asked_before: int = 0  # members already asked this year
    messages: list[Message] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)


def anniversary_week(member: Mapping[str, Any], year: int) -> int:
    """The ISO week of this year in which the member is asked (their joining day's anniversary)."""
    joined = parse_date(str((member.get("fields") or {}).get("joined", "")))
    day = date.fromisoformat(joined) if joined else None
    if day is None and isinstance(member.get("first_seen"), datetime):
        day = member["first_seen"].date()
    if day is None:  # no date at all: a stable week from the member id
        return int(hashlib.sha1(str(member["member_id"]).encode()).hexdigest(), 16) % 52 + 1
    try:
        return date(year, day.month, day.day).isocalendar()[1]
    except ValueError:  # 29 February
        return date(year, 2, 28).isocalendar()[1]


def my_details_url(config: WeaverConfig, signer: LinkSigner, member_id: str) -> str:
    return link_url(config, PURPOSE, signer.token(PURPOSE, member_id))


def plan_details_check(members: Sequence[Mapping[str, Any]], asked: set[str], config: WeaverConfig,
                       signer: LinkSigner, today: date) -> DetailsPlan:  # fmt: skip
    """`asked`: ledger keys of this year's asks already sent (so the batch is filled with the ones still due)."""
    year, week, _ = today.isocalendar()
    plan = DetailsPlan(today, year)
    for member in sorted(members, key=lambda m: (anniversary_week(m, year), str(m["member_id"]))):
        member_id = str(member["member_id"])
        if parse_consent(str((member.get("fields") or {}).get("consent", ""))) is not True:
            continue  # only members who said yes to email are asked (the same rule as every send)
        key = f"email:details-check:{member_id}:{year}"
        if key in asked:
            plan.asked_before += 1
            continue
        due_week = anniversary_week(member, year)
        if due_week > week:
            plan.later += 1
            continue
        if due_week < week - CATCH_UP_WEEKS:
            continue  # their week passed before this network asked: next year's
        fields = {k: str(v) for k, v in (member.get("fields") or {}).items()}
        lang = fields.get("language", "")
        shown_lang = lang if lang in ("zh", "en") else config.network.default_language
        held = [{"label": field_label(k, shown_lang), "value": fields[k]} for k in SHOWN if fields.get(k)]
        context = {"network_name": config.network.name, "name": fields.get("name", ""), "held": held,
                   "url": my_details_url(config, signer, member_id)}  # fmt: skip
        r = render("details_check", lang, context, config.network.default_language)
        plan.messages.append(Message(key, str(member.get("email", "")), fields.get("name", ""), r.subject, r.text,
                                     r.html, r.language, member_id, "details_check"))  # fmt: skip
        plan.due.append(member_id)
        plan.names[member_id] = fields.get("name", "") or member_id
    return plan


plan_details_check_task = task(name="plan-details-check", cache_policy=NO_CACHE)(plan_details_check)
