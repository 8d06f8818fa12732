"""survey-distribution, plan: invitations and the due reminder for every survey, pure (no I/O, no Prefect run).

"Today" is the run's clock (`weaver.clock.Clock`, the network's one today): a survey is open from `opens` to
the end of `closes` in the network's time zone, and a reminder reminds only those invited before its day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.surveys.surveys import Network, Survey, SurveyContext, member_token, personal_link
from weaver.clock import Clock


def invite_key(survey_id: str, member_id: str) -> str:
    return f"survey-invite:{survey_id}:{member_id}"


def reminder_key(survey_id: str, due: date, member_id: str) -> str:
    return f"survey-reminder:{survey_id}:{due.isoformat()}:{member_id}"


@dataclass(frozen=True)
class SurveyState:
    """What the state database says about one survey before this run."""

    sent: Mapping[str, datetime] = field(default_factory=dict)  # invitation/reminder key -> when it was sent
    responded: frozenset[str] = frozenset()  # member ids with an attributed response


@dataclass
class SurveyPlan:
    survey: Survey
    status: str  # one of SURVEY_STATUSES
    audience: list[str] = field(default_factory=list)  # member ids
    invites: list[Message] = field(default_factory=list)
    reminders: list[Message] = field(default_factory=list)
    reminder_due: date | None = None


def started_surveys(surveys: Sequence[Survey], today: date) -> list[Survey]:
    """The surveys that have opened (open or closed): only their responses are read."""
    return [s for s in surveys if s.status(today) != "upcoming"]


def local_date(moment: datetime, clock: Clock) -> date:
    """The network's date of a stored moment (SQLite hands back naive UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(clock.zone).date()


def select_audience(survey: Survey, members: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [m for m in members if survey.audience.matches(m["member_id"], m.get("fields") or {})]


def plan_survey(survey: Survey, members: Sequence[Mapping[str, Any]], state: SurveyState, secret: bytes,
                network: Network, clock: Clock) -> SurveyPlan:  # fmt: skip
    """Invitations for the audience not yet invited, and the due reminder for those invited but silent."""
    today = clock.today
    audience = select_audience(survey, members)
    plan = SurveyPlan(survey, survey.status(today), [m["member_id"] for m in audience])
    if plan.status != "open":
        return plan
    plan.reminder_due = survey.due_reminder(today)
    for member in audience:
        mid = member["member_id"]
        if mid in state.responded:
            continue
        invited = state.sent.get(invite_key(survey.survey_id, mid))
        if invited is None:
            plan.invites.append(survey_message(survey, member, secret, network, today, None))
        elif _reminder_due_for(plan.reminder_due, local_date(invited, clock)) and \
                reminder_key(survey.survey_id, plan.reminder_due, mid) not in state.sent:  # fmt: skip
            plan.reminders.append(survey_message(survey, member, secret, network, today, plan.reminder_due))
    return plan


def _reminder_due_for(due: date | None, invited_on: date) -> bool:
    """A reminder reminds of an earlier invitation: someone invited on or after its day skips it."""
    return due is not None and invited_on < due


def survey_message(survey: Survey, member: Mapping[str, Any], secret: bytes, network: Network, today: date,
                   reminder: date | None) -> Message:  # fmt: skip
    """The invitation (or a reminder) for one member, in their language, with their personal link."""
    fields = member.get("fields") or {}
    mid = member["member_id"]
    template = "survey-reminder" if reminder else "survey-invite"
    context = {
        "name": fields.get("name", ""),
        "title": survey.title,
        "link": personal_link(survey, member_token(secret, survey.survey_id, mid)),
        "closes": survey.closes,
        "days_left": (survey.closes - today).days + 1,
        "network_name": network.name,
    }
    out = render(template, fields.get("language", ""), context, network.default_language)
    key = reminder_key(survey.survey_id, reminder, mid) if reminder else invite_key(survey.survey_id, mid)
    return Message(key, member["email"], fields.get("name", ""), out.subject, out.text, out.html, out.language,
                   mid, template)  # fmt: skip


def plan_surveys(surveys: Sequence[Survey], context: SurveyContext, responded: Mapping[str, set[str]],
                 clock: Clock) -> list[SurveyPlan]:  # fmt: skip
    """Every survey's plan; `responded` includes the responses recorded earlier in this run."""
    plans = []
    for survey in surveys:
        state = SurveyState(context.sent.get(survey.survey_id, {}), frozenset(responded.get(survey.survey_id, set())))
        plans.append(plan_survey(survey, context.members, state, context.secret, context.network, clock))
    return plans


def survey_messages(plans: Sequence[SurveyPlan]) -> list[Message]:
    """Every planned email of the run, invitations and reminders, for one send through the approval gate."""
    return [m for p in plans for m in (*p.invites, *p.reminders)]


# Thin Prefect wrapper: one task over every survey at once.
plan_surveys_task = task(name="plan-survey-messages", cache_policy=NO_CACHE)(plan_surveys)
