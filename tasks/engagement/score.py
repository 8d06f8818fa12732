"""Engagement, pure: a score per member, who is drifting away, and newcomers not yet engaged.

The score (0 to 100 with the default weights; configurable in `[engagement]` of weaver.toml) adds up:

    attendance  40 x min(1, events attended in the window / 3)
    rsvps       15 x min(1, RSVPs in the window / 3)
    surveys     15 x min(1, survey responses in the window / 2)
    recency     30 x 0.5 ^ (days since last active / 45)          (0 if never active)

over a window of 180 days. Where each count comes from:

* events attended: rows with status "attended" in the attendance tab;
* RSVPs: "registered" rows in the attendance tab, RSVP submissions in the state database's inbox
  (`kind = 'rsvp'`, from form webhooks) whose payload names the member by `member_id` or `email`, and
  engagement events whose kind mentions "rsvp";
* survey responses: engagement events of kind `survey_response` (recorded by survey-distribution when an
  answer carries the member's token; the inbox's raw survey submissions are not counted again);
* engagement events of any other kind (recorded by other operations) count towards "last active" only;
* last active: the latest of all the above. What *we* do (a buddy pairing, an introduction, a check-in,
  the groups we form) is not the member's activity and does not count, so a review's own introductions
  never change the next review's scores.

A source that does not exist yet (no inbox rows, an empty attendance tab) simply counts zero; the report
says how many records each source gave, so a zero is visible, not silent.

Flags: a **newcomer not yet engaged** joined within `newcomer_days` and has done nothing since joining;
a member is **drifting** when they were active once, their score is below `drifting_below`, and they
have been quiet for `drift_after_days`. Members never active (and not new) are counted as quiet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tasks.common.attendance import Attendance
from tasks.common.dates import parse_date
from tasks.common.text import normalise_email
from weaver.config import Activity as Offer
from weaver.config import EngagementConfig, Weaver
from weaver.models import split_list

ENGAGED, DRIFTING, NEWCOMER, QUIET = "engaged", "drifting", "newcomer", "quiet"
STATUSES = (ENGAGED, DRIFTING, NEWCOMER, QUIET)  # each has the texts eng.reason.<status> and eng.s.<status>


@dataclass(frozen=True)
class Activity:
    member_id: str
    kind: str  # attendance | rsvp | survey | other (counts for recency only)
    day: date


@dataclass(frozen=True)
class Score:
    member_id: str
    score: int
    attendance: int
    rsvps: int
    surveys: int
    last_active: date | None
    joined: date | None
    status: str  # engaged | drifting | newcomer (not yet engaged) | quiet

    @property
    def flagged(self) -> bool:
        return self.status in (DRIFTING, NEWCOMER)


# activities -------------------------------------------------------------------------------------------------
def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def event_activities(rows: Iterable[Mapping[str, Any]], member_ids: set[str]) -> list[Activity]:
    """Engagement events (member_id, kind, at) recorded by other operations, e.g. survey answers."""
    out = []
    for row in rows:
        kind, day = str(row.get("kind", "")), _day(row.get("at"))
        if row.get("member_id") in member_ids and day is not None:
            mapped = ("survey" if kind.startswith("survey") else "rsvp" if "rsvp" in kind
                      else "attendance" if "attend" in kind else "other")  # fmt: skip
            out.append(Activity(str(row["member_id"]), mapped, day))
    return out


def inbox_activities(rows: Iterable[Mapping[str, Any]], member_by_email: Mapping[str, str],
                     member_ids: set[str]) -> list[Activity]:  # fmt: skip
    """RSVP submissions, matched to members by `member_id` or `email` in their payload."""
    out = []
    for row in rows:
        payload = row.get("payload") or {}
        member = str(payload.get("member_id", "")) if isinstance(payload, dict) else ""
        if member not in member_ids:
            email = str(payload.get("email", "")) if isinstance(payload, dict) else ""
            member = member_by_email.get(normalise_email(email), "")
        day = _day(row.get("received_at"))
        if member and day is not None and row.get("kind") == "rsvp":
            out.append(Activity(member, "rsvp", day))
    return out


def attendance_activities(records: Iterable[Attendance]) -> list[Activity]:
    out = []
    for rec in records:
        if rec.status == "attended":
            out.append(Activity(rec.member_id, "attendance", rec.day))
        elif rec.status == "registered":
            out.append(Activity(rec.member_id, "rsvp", rec.day))
    return out


# scores -----------------------------------------------------------------------------------------------------
def score_members(members: Mapping[str, Mapping[str, Any]], activities: Iterable[Activity],
                  cfg: EngagementConfig, today: date) -> dict[str, Score]:  # fmt: skip
    """A score and a status for every member (see the module docstring for the formula)."""
    by_member: dict[str, list[Activity]] = {}
    for act in activities:
        if act.member_id in members:
            by_member.setdefault(act.member_id, []).append(act)
    return {m: _score(m, fields, by_member.get(m, []), cfg, today) for m, fields in members.items()}


def _score(member_id: str, fields: Mapping[str, Any], acts: list[Activity], cfg: EngagementConfig,
           today: date) -> Score:  # fmt: skip
    since = today - timedelta(days=cfg.window_days)
    window = [a for a in acts if since <= a.day]
    attendance = len({a.day for a in window if a.kind == "attendance" and a.day <= today})
    rsvps = sum(1 for a in window if a.kind == "rsvp")
    surveys = sum(1 for a in window if a.kind == "survey" and a.day <= today)
    past = [min(a.day, today) for a in acts]
    last = max(past) if past else None
    joined_text = parse_date(str(fields.get("joined") or ""))
    joined = date.fromisoformat(joined_text) if joined_text else None
    w, sat = cfg.weights, cfg.saturation
    value = sum(w.get(k, 0.0) * min(1.0, n / sat.get(k, 1.0)) for k, n in
                (("attendance", attendance), ("rsvps", rsvps), ("surveys", surveys)))  # fmt: skip
    if last is not None:
        value += w.get("recency", 0.0) * 0.5 ** ((today - last).days / cfg.recency_half_life_days)
    score = int(round(value))
    return Score(member_id, score, attendance, rsvps, surveys, last, joined, _status(score, last, joined, cfg, today))


def _status(score: int, last: date | None, joined: date | None, cfg: EngagementConfig, today: date) -> str:
    new = joined is not None and (today - joined).days <= cfg.newcomer_days
    if new and (last is None or last < joined):
        return NEWCOMER
    if last is None:
        return QUIET
    if score < cfg.drifting_below and (today - last).days >= cfg.drift_after_days:
        return DRIFTING
    return ENGAGED


def counts_by_status(scores: Mapping[str, Score]) -> dict[str, int]:
    out = {s: 0 for s in STATUSES}
    for score in scores.values():
        out[score.status] += 1
    return out


def flagged(scores: Mapping[str, Score]) -> list[Score]:
    """Newcomers first (earliest joined), then drifting members (lowest score first)."""
    newcomers = sorted((s for s in scores.values() if s.status == NEWCOMER),
                       key=lambda s: (s.joined or date.min, s.member_id))  # fmt: skip
    drifting = sorted((s for s in scores.values() if s.status == DRIFTING), key=lambda s: (s.score, s.member_id))
    return newcomers + drifting


# check-ins --------------------------------------------------------------------------------------------------
@dataclass
class Assignment:
    weaver: Weaver
    members: list[Score]


def assign_checkins(people: Sequence[Score], members: Mapping[str, Mapping[str, Any]],
                    weavers: Sequence[Weaver]) -> tuple[list[Assignment], list[Score]]:  # fmt: skip
    """Each flagged member to a weaver: same language first, then same region, then the lightest load.

    In priority order (newcomers, then the lowest scores), each member goes to the weaver with room who
    best matches: speaking the member's language counts most, covering their region next, and among
    equals the one with the lowest load relative to capacity (then the id, so the result is stable).
    Members left when every weaver is full are returned as waiting.
    """
    plan = [Assignment(w, []) for w in weavers]
    waiting: list[Score] = []
    for person in people:
        fields = members.get(person.member_id, {})
        language, region = str(fields.get("language", "")), str(fields.get("region", ""))
        open_ = [a for a in plan if len(a.members) < a.weaver.capacity]
        if not open_:
            waiting.append(person)
            continue
        best = min(open_, key=lambda a: (language not in a.weaver.languages, region not in a.weaver.regions,
                                         len(a.members) / max(1, a.weaver.capacity), a.weaver.id))  # fmt: skip
        best.members.append(person)
    return plan, waiting


def suggest_activities(fields: Mapping[str, Any], offers: Sequence[Offer], limit: int = 2) -> list[str]:
    """Activities whose tags meet the member's interests or needs, the best match first."""
    wants = {w.casefold() for w in (*split_list(str(fields.get("interests", ""))),
                                    *split_list(str(fields.get("needs", ""))))}  # fmt: skip
    scored = [(sum(tag.casefold() in wants for tag in offer.tags), i, offer.name) for i, offer in enumerate(offers)]
    return [name for hits, _i, name in sorted(scored, key=lambda x: (-x[0], x[1])) if hits > 0][:limit]
