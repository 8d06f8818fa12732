"""survey-distribution, report: the typed summary and the report a coordinator reads.

Surveys and people are named by their titles and names; the summary keys its per-survey figures by survey id,
the id the surveys tab gives each row. Free text is in the report file only, never in the Prefect artifact.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tasks.common.delivery import Delivery
from tasks.surveys.responses import Collected, Ingested, Recorded
from tasks.surveys.summary import SurveySummary
from tasks.surveys.surveys import RejectedRow, SurveyContext, SurveyTab
from weaver.charts import bar_chart, percent
from weaver.i18n import field_label, t
from weaver.report import Report, Table
from weaver.summary import Summary


@dataclass(kw_only=True)
class DistributionSummary(Summary):
    """What the CLI prints and the flow returns: counts only (survey ids as keys, never people)."""

    surveys: dict[str, str]  # survey id -> open | closed | upcoming
    responses_recorded: int
    anonymous_recorded: int
    inbox_processed: int
    invitations: int
    reminders: int
    response_rate: dict[str, str]  # survey id -> percent, or "—" before anyone was invited
    delivery: dict[str, int]
    rejected: int
    forms_api_calls: dict[str, int] = field(default_factory=dict)


def summarise_run(summaries: Sequence[SurveySummary], tab: SurveyTab, collected: Collected, ingested: Ingested,
                  delivery: Delivery) -> DistributionSummary:  # fmt: skip
    recorded = ingested.recorded
    return DistributionSummary(
        surveys={s.survey_id: s.status for s in summaries},
        responses_recorded=recorded.new,
        anonymous_recorded=recorded.anonymous_new,
        inbox_processed=recorded.inbox_processed,
        invitations=sum(s.invites_sent for s in summaries),
        reminders=sum(s.reminders_sent for s in summaries),
        response_rate={s.survey_id: percent(s.rate) if s.rate is not None else "—" for s in summaries},
        delivery=delivery.summary(),
        rejected=len(tab.rejected) + len(collected.rejected),
        forms_api_calls=dict(collected.calls),
    )


def survey_report(summaries: Sequence[SurveySummary], tab: SurveyTab, collected: Collected, context: SurveyContext,
                  ingested: Ingested, lang: str, dry_run: bool) -> Report:  # fmt: skip
    """The run's report: the rejected rows of the tab and the channels, the channels' notes, people by name."""
    notes = [*collected.notes, *([t("survey.throwaway_key", lang)] if context.throwaway_secret else [])]
    rejected = [*tab.rejected, *collected.rejected]
    return build_survey_report(summaries, rejected, notes, ingested.recorded, lang, dry_run, context.names())


def build_survey_report(summaries: Sequence[SurveySummary], rejected: Sequence[RejectedRow], notes: Sequence[str],
                        recorded: Recorded, lang: str, dry_run: bool,
                        names: Mapping[str, str] | None = None) -> Report:  # fmt: skip
    """The report: figures per survey (artifact and file); charts and free text (named) in the file only."""
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
    report.extra_html = "".join(_section_html(s, lang, names or {}) for s in summaries)
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
    title = t("survey.section", lang, title=s.title)
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


def _section_html(s: SurveySummary, lang: str, names: Mapping[str, str]) -> str:
    esc = html.escape
    segment = field_label(s.segment_by, lang)
    parts = [f"<h2>{esc(t('survey.section', lang, title=s.title))}</h2>"]
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
        who = [(names.get(member, member) if member else anonymous, text) for member, text in q.texts]
        items = "".join(f"<li><q>{esc(text)}</q> <small>— {esc(name)}</small></li>" for name, text in who)
        parts.append(f"<h4>{esc(q.title)}</h4><ul>{items}</ul>")
    return "".join(parts)
