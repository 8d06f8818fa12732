"""impact-report, plan (pure): the quarter's figures, the network map and its change, the pages to write.

Everything here is what `--dry-run` shows. The plan holds each language's report page, fact sheet and map as
text, and one action per language keyed by the quarter and a digest of those pages: the same records give
the same pages and the same key, so a rerun writes nothing; a changed figure writes that language's files anew.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from prefect.cache_policies import NO_CACHE

from tasks.common.attendance import RejectedRow, event_titles, parse_attendance
from tasks.common.prefect_task import task
from tasks.common.text import normalise_email
from tasks.engagement.score import attendance_activities, event_activities, inbox_activities
from tasks.impact import figures as f
from tasks.impact.network import NetworkMetrics, build_graph, change, layout, map_svg, measure
from tasks.impact.read import ImpactRead
from tasks.impact.render import factsheet_page, legend, report_page
from weaver.config import WeaverConfig
from weaver.errors import WeaverError
from weaver.i18n import LANGUAGES, t
from weaver.ledger import Action

FOLDER = "impact"  # reports/impact/<quarter>/


@dataclass
class Pages:
    lang: str
    report: str
    factsheet: str
    map_svg: str

    def files(self, quarter: str) -> dict[str, str]:
        """File name -> content; the PDFs are printed from the two pages."""
        return {f"impact-{quarter}-{self.lang}.html": self.report, f"factsheet-{quarter}-{self.lang}.html":
                self.factsheet, f"network-map-{quarter}-{self.lang}.svg": self.map_svg}  # fmt: skip

    def digest(self) -> str:
        text = "\x1e".join((self.report, self.factsheet, self.map_svg))
        return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class ImpactPlan:
    figures: f.Figures
    network: NetworkMetrics
    network_before: NetworkMetrics
    change: dict[str, float]
    names: dict[str, str]
    pages: dict[str, Pages] = field(default_factory=dict)  # language -> its pages
    rejected: list[RejectedRow] = field(default_factory=list)
    pdf: bool = False

    @property
    def quarter(self) -> str:
        return self.figures.quarter.label

    @property
    def actions(self) -> list[Action]:
        out = []
        for lang, pages in self.pages.items():
            digest = pages.digest() + ("+pdf" if self.pdf else "")
            out.append(Action(f"impact:{self.quarter}:{lang}:{digest}", "impact-files",
                              f"write the {self.quarter} impact report and fact sheet ({lang})",
                              payload={"lang": lang}, idempotent=True))  # fmt: skip
        return out


def plan_impact(read: ImpactRead, config: WeaverConfig, today: date, lang: str, pdf: bool = False,
                languages: Sequence[str] = LANGUAGES, quarter_name: str = "") -> ImpactPlan:  # fmt: skip
    """The quarter (`quarter_name`, by default that of `today`), counted up to `today` at most, against the end
    of the quarter before."""
    cfg = config.impact
    try:
        quarter = f.Quarter.named(quarter_name, today)
    except ValueError as error:
        raise WeaverError(f"impact-report: {error}") from None
    today = min(today, quarter.end)
    before_day = quarter.start - timedelta(days=1)
    everyone = f.people(read.member_rows)
    names = {m: p.name for m, p in everyone.items()}
    by_email = {normalise_email(str(p.fields.get("email", ""))): m for m, p in everyone.items()}
    records, rejected = parse_attendance(read.attendance, config.mixing.attendance_tab, by_email, set(everyone), lang)
    activities = [*attendance_activities(records), *inbox_activities(read.inbox, by_email, set(everyone)),
                  *event_activities(read.engagement_events, set(everyone))]  # fmt: skip
    titles = event_titles(read.events, config.events.columns)
    end = min(quarter.end, today)
    in_quarter = [r for r in read.responses if quarter.start <= _day(r.get("submitted_at")) <= end]
    figures = f.Figures(
        quarter=quarter, today=today, network_name=config.network.name,
        members=f.membership(everyone, quarter, today),
        engagement_now=f.engagement(everyone, activities, config.engagement, end),
        engagement_before=f.engagement(everyone, activities, config.engagement, before_day),
        events=f.events_in(records, titles, quarter, today),
        ties_by_month=f.ties_per_month(read.ties, quarter, end),
        surveys=f.survey_highlights(read.responses, read.survey_titles, quarter, today),
        feedback=len(in_quarter),
    )  # fmt: skip
    options = {"brokers": cfg.brokers, "newcomer_days": cfg.newcomer_days, "sample_above": cfg.sample_above,
               "sample_size": cfg.sample_size}  # fmt: skip
    graph = build_graph(everyone, read.ties, end, cfg.events_together)
    now = measure(graph, everyone, end, **options)
    options["brokers"] = 0  # who bridged a quarter ago is not shown: only the change of the other measures
    before = measure(build_graph(everyone, read.ties, before_day, cfg.events_together), everyone, before_day, **options)
    delta = change(now, before)
    plan = ImpactPlan(figures, now, before, delta, names, rejected=rejected, pdf=pdf)
    stories = [s for s in read.stories if quarter.start <= _day(s["answered_at"]) <= end]
    drawing = layout(graph, now, cfg.map_people)
    for language in languages:
        title = t("impact.map.title", language, quarter=quarter.label)
        named = map_svg(drawing, now, title=title, legend=legend(language), names=names)
        anonymous = map_svg(drawing, now, title=title, legend=legend(language))
        plan.pages[language] = Pages(
            language,
            report_page(
                figures, now, before, delta, named, names, language, stories=_stories(stories, names, language)
            ),
            factsheet_page(figures, now, delta, anonymous, language),
            anonymous,
        )
    return plan


def _stories(stories: Sequence[dict], names: dict[str, str], lang: str) -> list[tuple[str, str, str]]:
    """(text, who, title) of the quarter's consented stories: the author's name only when they said so."""
    return [(s["text"], names.get(s["author"], "") if s["answer"] == "name" else t("stories.anonymous", lang),
             s.get("title", "")) for s in stories]  # fmt: skip


def _day(value: object) -> date:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.min


plan_impact_task = task(name="plan-impact-report", cache_policy=NO_CACHE)(plan_impact)
