"""impact-report, pure: the quarter's figures (members, engagement, events, new ties, surveys), as of a day.

Counting rules a coordinator can rely on:

* **The quarter** is the calendar quarter of the run's day (`as_of`), counted up to that day; "change" compares
  with the end of the quarter before, computed from the same records (so a replayed quarter gives the same).
* **Members** are the members member-sync has recorded (the state database), each from the day they joined
  (the members tab's joined date, else the day they were first synced) until the day member-sync marked them
  gone. Joins and leavers fall in the quarter; retention is the share of the members at the quarter's start
  who are still members at its end.
* **Engagement** is the engagement-review score and status of every member at the quarter's end, and at the
  end of the quarter before (the same formula, on the activities recorded up to each day).
* **Events** are the attendance rows dated in the quarter: events held (anyone attended), attendances,
  people who came, and the attendance rate (attended over attended, no-shows and those registered but not
  marked). Feedback counts the survey answers received in the quarter.
* **New ties** per month count pairs who *met* for the first time (a group we formed, a buddy pairing, a
  check-in, a meeting confirmed by "did you meet?"); introductions we made are counted apart, since an
  introduction is not yet a meeting. Sitting at the same event is not a tie here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tasks.common.attendance import Attendance
from tasks.common.dates import parse_date
from tasks.common.ties import INTRODUCTIONS, MEETING_SOURCES, Tie, new_ties, period_of
from tasks.engagement.score import STATUSES, Activity, score_members
from weaver.config import EngagementConfig

# sources of a tie that say two people met; an introduction is counted apart, an event is not a tie here
CONFIRMED = MEETING_SOURCES
INTRODUCED = INTRODUCTIONS
SCORE_BANDS = ((0, 24), (25, 49), (50, 74), (75, 100))


@dataclass(frozen=True)
class Quarter:
    label: str  # 2026-Q4
    start: date
    end: date  # the quarter's last day

    @classmethod
    def of(cls, day: date) -> Quarter:
        first_month = 3 * ((day.month - 1) // 3) + 1
        start = date(day.year, first_month, 1)
        nxt = date(day.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1)
        return cls(period_of(day, "quarter"), start, nxt - timedelta(days=1))

    @classmethod
    def named(cls, label: str, today: date) -> Quarter:
        """The quarter to report: "" for the quarter of `today`, "previous" for the one before, or "2026-Q3"."""
        label = label.strip()
        if not label:
            return cls.of(today)
        if label.casefold() == "previous":
            return cls.of(today).previous()
        year, _, number = label.upper().partition("-Q")
        if not (year.isdigit() and number in ("1", "2", "3", "4")):
            raise ValueError(f"quarter {label!r}: write it as 2026-Q3, or 'previous', or leave it empty")
        quarter = cls.of(date(int(year), 3 * int(number) - 2, 1))
        if quarter.start > today:
            raise ValueError(f"quarter {label!r} has not begun on {today.isoformat()}")
        return quarter

    def previous(self) -> Quarter:
        return Quarter.of(self.start - timedelta(days=1))

    def months(self) -> list[str]:
        return [f"{self.start.year}-{m:02d}" for m in range(self.start.month, self.start.month + 3)]


@dataclass(frozen=True)
class Person:
    member_id: str
    name: str
    joined: date
    gone_on: date | None
    fields: Mapping[str, Any]

    def member_on(self, day: date) -> bool:
        return self.joined <= day and (self.gone_on is None or self.gone_on > day)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def people(rows: Iterable[Mapping[str, Any]]) -> dict[str, Person]:
    """Members as member-sync recorded them (state rows: member_id, fields, status, first_seen, updated_at)."""
    out = {}
    for row in rows:
        fields = row.get("fields") or {}
        joined_text = parse_date(str(fields.get("joined") or ""))
        first_seen = _day(row.get("first_seen")) or date.min
        joined = date.fromisoformat(joined_text) if joined_text else first_seen
        gone = _day(row.get("updated_at")) if row.get("status") == "gone" else None
        member_id = str(row["member_id"])
        out[member_id] = Person(member_id, str(fields.get("name") or ""), joined, gone, fields)
    return out


@dataclass(frozen=True)
class Membership:
    at_start: int
    at_end: int
    joins: int
    leavers: int
    retained: int  # of those at the start, still members at the end

    @property
    def retention(self) -> float | None:
        return self.retained / self.at_start if self.at_start else None


def membership(everyone: Mapping[str, Person], quarter: Quarter, today: date) -> Membership:
    end, before = min(quarter.end, today), quarter.start - timedelta(days=1)
    at_start = {m for m, p in everyone.items() if p.member_on(before)}
    at_end = {m for m, p in everyone.items() if p.member_on(end)}
    joins = sum(1 for p in everyone.values() if quarter.start <= p.joined <= end)
    leavers = sum(1 for p in everyone.values() if p.gone_on is not None and quarter.start <= p.gone_on <= end)
    return Membership(len(at_start), len(at_end), joins, leavers, len(at_start & at_end))


@dataclass(frozen=True)
class Engagement:
    statuses: dict[str, int]  # engaged / drifting / newcomer / quiet -> members
    bands: dict[str, int]  # "0-24" ... -> members
    average: float


def engagement(everyone: Mapping[str, Person], activities: Sequence[Activity], cfg: EngagementConfig,
               day: date) -> Engagement:  # fmt: skip
    """Scores of the members on `day`, from the activities up to that day."""
    members = {m: p.fields for m, p in everyone.items() if p.member_on(day)}
    scores = score_members(members, [a for a in activities if a.day <= day], cfg, day)
    statuses = Counter(s.status for s in scores.values())
    bands = {f"{lo}-{hi}": sum(1 for s in scores.values() if lo <= s.score <= hi) for lo, hi in SCORE_BANDS}
    average = sum(s.score for s in scores.values()) / len(scores) if scores else 0.0
    return Engagement({k: statuses.get(k, 0) for k in STATUSES}, bands, round(average, 1))


@dataclass(frozen=True)
class EventLine:
    event_id: str
    title: str
    day: date
    attended: int
    expected: int  # attended + no-shows + registered (not marked)


@dataclass(frozen=True)
class Events:
    lines: tuple[EventLine, ...]
    people: int  # distinct members who came to any event

    @property
    def held(self) -> int:
        return sum(1 for e in self.lines if e.attended)

    @property
    def attendances(self) -> int:
        return sum(e.attended for e in self.lines)

    @property
    def rate(self) -> float | None:
        expected = sum(e.expected for e in self.lines)
        return self.attendances / expected if expected else None


def events_in(records: Sequence[Attendance], titles: Mapping[str, str], quarter: Quarter, today: date) -> Events:
    end = min(quarter.end, today)
    latest: dict[tuple[str, str], Attendance] = {}
    for rec in records:
        if quarter.start <= rec.day <= end:
            latest[(rec.event_id, rec.member_id)] = rec
    by_event: dict[str, list[Attendance]] = {}
    for (event_id, _), rec in latest.items():
        by_event.setdefault(event_id, []).append(rec)
    lines = []
    for event_id, recs in by_event.items():
        came = sum(1 for r in recs if r.status == "attended")
        expected = sum(1 for r in recs if r.status in ("attended", "no-show", "registered"))
        day = min(r.day for r in recs)
        lines.append(EventLine(event_id, titles.get(event_id, event_id), day, came, expected))
    came_people = {m for (_, m), r in latest.items() if r.status == "attended"}
    return Events(tuple(sorted(lines, key=lambda e: (e.day, e.title))), len(came_people))


def ties_per_month(ties: Sequence[Tie], quarter: Quarter, today: date) -> list[tuple[str, int, int]]:
    """(month, pairs who met for the first time, introductions made) for each month of the quarter, up to today
    (groups formed for an event still to come are not a meeting yet)."""
    known = [x for x in ties if x.met_on <= today]
    met, introduced = new_ties(known, "month", CONFIRMED), new_ties(known, "month", INTRODUCED)
    return [(m, sum(met.get(m, Counter()).values()), sum(introduced.get(m, Counter()).values()))
            for m in quarter.months()]  # fmt: skip


@dataclass(frozen=True)
class SurveyHighlight:
    title: str
    responses: int
    top: tuple[tuple[str, str, float], ...]  # (question, most chosen answer, its share of that question's answers)


def survey_highlights(responses: Sequence[Mapping[str, Any]], titles: Mapping[str, str], quarter: Quarter,
                      today: date, per_survey: int = 3) -> list[SurveyHighlight]:  # fmt: skip
    """Each survey answered in the quarter: how many answers, and its choice questions' most chosen answers.

    Free text is never quoted here: a quote is published only as a story its author agreed to.
    """
    from tasks.surveys.summary import latest_per_member, summarise_questions

    end = min(quarter.end, today)
    by_survey: dict[str, list[Mapping[str, Any]]] = {}
    for r in responses:
        day = _day(r.get("submitted_at"))
        if day is not None and quarter.start <= day <= end:
            by_survey.setdefault(str(r["survey_id"]), []).append(r)
    out = []
    for survey_id, rows in sorted(by_survey.items()):
        latest = latest_per_member(rows)
        top = []
        for q in summarise_questions(latest, {}, {}):
            if q.kind == "choice" and q.counts and len(top) < per_survey:
                total = sum(n for _, n in q.counts)
                option, n = max(q.counts, key=lambda c: (c[1], c[0]))
                top.append((q.title, option, n / total if total else 0.0))
        out.append(SurveyHighlight(titles.get(survey_id, survey_id), len(latest), tuple(top)))
    return out


@dataclass
class Figures:
    """Everything the report, the fact sheet and the summary show, for one quarter as of one day."""

    quarter: Quarter
    today: date
    network_name: str
    members: Membership
    engagement_now: Engagement
    engagement_before: Engagement
    events: Events
    ties_by_month: list[tuple[str, int, int]]
    surveys: list[SurveyHighlight]
    feedback: int  # survey answers received in the quarter
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def new_ties(self) -> int:
        return sum(m for _, m, _ in self.ties_by_month)

    @property
    def introductions(self) -> int:
        return sum(i for _, _, i in self.ties_by_month)
