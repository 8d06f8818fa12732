"""Survey summaries, pure: response rate by segment, answer distributions, free text for picking stories.

Counting rules a coordinator can rely on:

* The response rate is members who answered over members invited (a member who answered without a recorded
  invitation, e.g. after a resend by hand, counts in both). Anonymous responses are counted apart.
* A member who answered twice counts once, with their latest answers. Anonymous responses all count.
* Choice questions (known from the Google Form, or inferred: list answers, or at most 12 distinct short
  values with some repeated) are counted and charted; other questions are free text, listed with the member id (or
  "anonymous") in the report file only, never in the Prefect artifact.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from tasks.common.messages import Delivery
from tasks.surveys.responses import Collected, Ingested, Recorded
from tasks.surveys.surveys import RejectedRow, SurveyContext, SurveyPlan
from weaver.charts import bar_chart, percent
from weaver.i18n import field_label, t
from weaver.report import Report, Table

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


# the report ---------------------------------------------------------------------------------------------
def build_survey_report(summaries: Sequence[SurveySummary], rejected: Sequence[RejectedRow], notes: Sequence[str],
                        recorded: Recorded, lang: str, dry_run: bool) -> Report:  # fmt: skip
    report = Report("survey-distribution", t("survey.title", lang), lang)
    if dry_run:
        report.notes.append(t("survey.dry_run", lang))
    report.notes.extend(notes)
    report.summary = [
        (t("survey.new_responses", lang), str(recorded.new)),
        (t("survey.anonymous", lang), str(recorded.anonymous_new)),
        (t("survey.invites_sent", lang), str(sum(s.invites_sent for s in summaries))),
        (t("survey.reminders_sent", lang), str(sum(s.reminders_sent for s in summaries))),
    ]
    for summary in summaries:
        report.tables.extend(_tables(summary, lang))
    if rejected:
        rows = [[r.where, r.reason] for r in rejected]
        report.tables.append(Table(t("survey.rejected", lang), [t("survey.where", lang), t("col.reason", lang)], rows))
    report.extra_html = "".join(_section_html(s, lang) for s in summaries)
    return report


def _figures(s: SurveySummary, lang: str) -> list[list[str]]:
    rate = percent(s.rate) if s.rate is not None else "—"
    due = s.reminder_due.isoformat() if s.reminder_due else t("survey.none", lang)
    return [
        [t("survey.status", lang), t(f"survey.status.{s.status}", lang)],
        [t("survey.window", lang), f"{s.opens.isoformat()} – {s.closes.isoformat()}"],
        [t("survey.audience", lang), str(s.audience)],
        [t("survey.invited", lang), str(s.invited)],
        [t("survey.responded", lang), str(s.responded)],
        [t("survey.rate", lang), rate],
        [t("survey.anonymous", lang), str(s.anonymous)],
        [t("survey.reminder_due", lang), due],
        [t("survey.invites_sent", lang), str(s.invites_sent)],
        [t("survey.reminders_sent", lang), str(s.reminders_sent)],
    ]


def _tables(s: SurveySummary, lang: str) -> list[Table]:
    title = t("survey.section", lang, title=s.title, id=s.survey_id)
    segment = field_label(s.segment_by, lang)
    seg_rows = [[v, str(n), str(k), percent(k / n) if n else "—"] for v, n, k in s.segments]
    seg_head = [segment, t("survey.invited", lang), t("survey.responded", lang), t("survey.rate", lang)]
    dist_rows = [[q.title, o, str(n), percent(n / q.answered) if q.answered else "—"]
                 for q in s.questions if q.kind == "choice" for o, n in q.counts]  # fmt: skip
    dist_head = [t("survey.question", lang), t("survey.answer", lang), t("survey.count", lang), t("survey.share", lang)]
    texts = sum(len(q.texts) for q in s.questions)
    return [
        Table(title, [t("col.what", lang), ""], _figures(s, lang)),
        Table(f"{title}: {t('survey.by_segment', lang, segment=segment)}", seg_head, seg_rows),
        Table(f"{title}: {t('survey.distribution', lang)}", dist_head, dist_rows),
        Table(f"{title}: {t('survey.free_text', lang)}", [t("col.count", lang), ""],
              [[str(texts), t("survey.free_text_note", lang)]]),
    ]  # fmt: skip


def _section_html(s: SurveySummary, lang: str) -> str:
    esc = html.escape
    segment = field_label(s.segment_by, lang)
    parts = [f"<h2>{esc(t('survey.section', lang, title=s.title, id=s.survey_id))}</h2>"]
    rates = [(v, k / n if n else 0.0) for v, n, k in s.segments]
    if rates:
        parts.append(bar_chart(rates, title=t("survey.by_segment", lang, segment=segment), max_value=1.0,
                               value_text=percent))  # fmt: skip
    for q in s.questions:
        if q.kind == "choice":
            parts.append(bar_chart([(o, float(n)) for o, n in q.counts], title=q.title))
    texts = [q for q in s.questions if q.kind == "text" and q.texts]
    if texts:
        parts.append(f"<h3>{esc(t('survey.free_text', lang))}</h3>")
    anonymous = t("survey.anonymous_one", lang)
    for q in texts:
        items = "".join(f"<li><q>{esc(text)}</q> <small>— {esc(member or anonymous)}</small></li>"
                        for member, text in q.texts)  # fmt: skip
        parts.append(f"<h4>{esc(q.title)}</h4><ul>{items}</ul>")
    return "".join(parts)


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


def run_summary(summaries: Sequence[SurveySummary], recorded: Recorded, delivery: Mapping[str, int]) -> dict[str, Any]:
    """What the CLI prints and the flow returns: counts only."""
    return {
        "surveys": {s.survey_id: s.status for s in summaries},
        "responses_recorded": recorded.new,
        "anonymous_recorded": recorded.anonymous_new,
        "inbox_processed": recorded.inbox_processed,
        "invitations": sum(s.invites_sent for s in summaries),
        "reminders": sum(s.reminders_sent for s in summaries),
        "response_rate": {s.survey_id: percent(s.rate) if s.rate is not None else "—" for s in summaries},
        "delivery": dict(delivery),
    }


# Thin Prefect wrapper: one task for every survey's summary.
summarise_surveys_task = task(name="summarise-surveys", cache_policy=NO_CACHE)(summarise_surveys)
