"""Survey summaries, pure: response rate by segment, answer distributions, free text for picking stories.

Counting rules a coordinator can rely on:

* The response rate is members who answered over members invited (a member who answered without a recorded
  invitation, e.g. after a resend by hand, counts in both). Anonymous responses are counted apart.
* A member who answered twice counts once, with their latest answers. Anonymous responses all count.
* Choice questions (known from the Google Form, or inferred: list answers, or at most 12 distinct short
  values with some repeated) are counted and charted; other questions are free text, listed with the member's name (or
  "anonymous") in the report file only, never in the Prefect artifact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prefect.cache_policies import NO_CACHE

from tasks.common.messages import Delivery
from tasks.common.prefect_task import task
from tasks.surveys.plan import SurveyPlan
from tasks.surveys.responses import Collected, Ingested
from tasks.surveys.surveys import SurveyContext
from weaver.i18n import t

MAX_CHOICES = 12
MAX_CHOICE_LENGTH = 40


@dataclass
class QuestionSummary:
    title: str
    kind: str  # choice | text
    answered: int = 0
    counts: list[tuple[str, int]] = field(default_factory=list)  # choice: option -> answers
    texts: list[tuple[str | None, str]] = field(default_factory=list)  # text: (member id or None, answer)


@dataclass
class SurveySummary:
    survey_id: str
    title: str
    status: str
    opens: date
    closes: date
    segment_by: str
    audience: int = 0
    invited: int = 0
    responded: int = 0
    anonymous: int = 0
    segments: list[tuple[str, int, int]] = field(default_factory=list)  # (value, invited, answered)
    questions: list[QuestionSummary] = field(default_factory=list)
    reminder_due: date | None = None
    invites_sent: int = 0
    reminders_sent: int = 0

    @property
    def rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


def latest_per_member(responses: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A member's latest response, and every anonymous one, oldest first."""
    ordered = sorted(responses, key=lambda r: r["submitted_at"])
    by_member = {r["member_id"]: r for r in ordered if r["member_id"]}
    keep = {id(r) for r in by_member.values()}
    return [r for r in ordered if not r["member_id"] or id(r) in keep]


def infer_kind(values: Sequence[Any]) -> str:
    if any(isinstance(v, list) for v in values):
        return "choice"
    distinct = {str(v) for v in values}
    short = all(len(v) <= MAX_CHOICE_LENGTH and "\n" not in v for v in distinct)
    repeated = len(values) > len(distinct)  # all-different answers read better as a list than as a chart
    return "choice" if repeated and len(distinct) <= MAX_CHOICES and short else "text"


def summarise_questions(responses: Sequence[Mapping[str, Any]], kinds: Mapping[str, str],
                        options: Mapping[str, Sequence[str]]) -> list[QuestionSummary]:  # fmt: skip
    """One summary per question, in the form's order (when known) then in the order first answered."""
    titles = list(kinds)
    for response in responses:
        titles += [q for q in response["answers"] if q not in titles]
    out = []
    for title in titles:
        answered = [(r["member_id"], r["answers"][title]) for r in responses if title in r["answers"]]
        kind = kinds.get(title)
        kind = "choice" if kind in ("choice", "scale") else kind or infer_kind([a for _, a in answered])
        summary = QuestionSummary(title, "choice" if kind == "choice" else "text", len(answered))
        if summary.kind == "choice":
            summary.counts = _count(answered, list(options.get(title, ())))
        else:
            summary.texts = [(m, a if isinstance(a, str) else ", ".join(a)) for m, a in answered]
        out.append(summary)
    return out


def _count(answered: Sequence[tuple[str | None, Any]], known: list[str]) -> list[tuple[str, int]]:
    counts: Counter[str] = Counter()
    for _member, answer in answered:
        counts.update(answer if isinstance(answer, list) else [answer])
    extra = [o for o in counts if o not in known]
    if all(o.lstrip("-").replace(".", "", 1).isdigit() for o in extra):
        extra.sort(key=float)  # a rating scale reads in order
    else:
        extra.sort(key=lambda o: (-counts[o], o))
    return [(o, counts.get(o, 0)) for o in [*known, *extra]]


def summarise_survey(plan: SurveyPlan, members: Mapping[str, Mapping[str, Any]], invited: set[str],
                     responses: Sequence[Mapping[str, Any]], kinds: Mapping[str, str],
                     options: Mapping[str, Sequence[str]], lang: str) -> SurveySummary:  # fmt: skip
    """The figures of one survey. `members`: every member by id (gone ones too, for their segment)."""
    survey = plan.survey
    kept = latest_per_member(responses)
    answered = {r["member_id"] for r in kept if r["member_id"]}
    out = SurveySummary(survey.survey_id, survey.title, plan.status, survey.opens, survey.closes, survey.segment_by)
    out.audience, out.invited, out.responded = len(plan.audience), len(invited | answered), len(answered)
    out.anonymous = sum(1 for r in kept if not r["member_id"])
    out.reminder_due = plan.reminder_due
    out.segments = _segments(invited | answered, answered, members, survey.segment_by, lang)
    out.questions = summarise_questions(kept, kinds, options)
    return out


def _segments(population: set[str], answered: set[str], members: Mapping[str, Mapping[str, Any]], segment_by: str,
              lang: str) -> list[tuple[str, int, int]]:  # fmt: skip
    blank = t("survey.blank_segment", lang)
    invited: Counter[str] = Counter()
    replied: Counter[str] = Counter()
    for member_id in population:
        value = ((members.get(member_id) or {}).get("fields") or {}).get(segment_by, "") or blank
        invited[value] += 1
        replied[value] += member_id in answered
    order = sorted(invited, key=lambda v: (v == blank, -invited[v], v))  # largest first, "not given" last
    return [(v, invited[v], replied[v]) for v in order]


def summarise_surveys(plans: Sequence[SurveyPlan], context: SurveyContext, ingested: Ingested,
                      collected: Collected, delivery: Delivery, lang: str) -> list[SurveySummary]:  # fmt: skip
    """Every survey's figures after this run (in a dry run: as if the planned messages had gone out)."""
    result = delivery.result
    sent = {a.key for a in (result.skipped if result.dry_run else result.done)}
    out = []
    for plan in plans:
        sid = plan.survey.survey_id
        invites = {m.member_id for m in plan.invites if m.key in sent and m.member_id}
        summary = summarise_survey(plan, context.all_members, context.invited(sid) | invites,
                                   ingested.by_survey.get(sid, []), collected.kinds.get(sid, {}),
                                   collected.options.get(sid, {}), lang)  # fmt: skip
        summary.invites_sent = len(invites)
        summary.reminders_sent = sum(1 for m in plan.reminders if m.key in sent)
        out.append(summary)
    return out


# Thin Prefect wrapper: one task for every survey's summary.
summarise_surveys_task = task(name="summarise-surveys", cache_policy=NO_CACHE)(summarise_surveys)
