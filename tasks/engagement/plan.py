"""engagement-review, plan (pure): scores, flags, check-ins, introductions, write-back cells and emails.

The flow hands in the members tab and the attendance tab as grids, the recorded ties and the inbox's RSVPs
and survey responses. Everything here is what `--dry-run` shows. The owned columns (engagement score and
last active date, by default "Engagement" and "Last active", or as mapped in `[members.owned_columns]`
under `engagement` and `last_active`) are created at the right of the members tab when missing; no other
column is ever written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from connectors.tables import Cell, Grid
from tasks.common.attendance import Event, RejectedRow, attended, event_titles, events, next_event, parse_attendance
from tasks.common.links import LinkMaker, checkin_url
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.common.tables import number_cell
from tasks.common.text import normalise_email
from tasks.common.ties import MET_PURPOSE, Tie, due_followups, event_ties, met_scope, reoffers
from tasks.common.vocabulary import Vocabulary
from tasks.engagement.introductions import Introduction, newcomer_of, plan_introductions
from tasks.engagement.score import (
    NEWCOMER,
    Assignment,
    Score,
    assign_checkins,
    attendance_activities,
    event_activities,
    flagged,
    inbox_activities,
    score_members,
    suggest_activities,
)
from tasks.members.plan import Deduped, Layout, dedupe, locate_columns, parse_members
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import t
from weaver.ledger import Action

ENGAGEMENT_COLUMNS = ("engagement", "last_active")


@dataclass
class ReviewPlan:
    today: date
    scores: dict[str, Score]
    assignments: list[Assignment]
    waiting: list[Score]
    suggestions: dict[str, list[str]]
    introductions: list[Introduction]
    followups_due: list[Tie]
    followups_planned: list[tuple[Tie, date]]
    event_ties: list[Tie]
    cells: list[Cell]
    messages: list[Message]
    rejected: list[RejectedRow]
    sources: dict[str, int]  # records each source gave (a zero is visible, not silent)
    tab: str
    traits: dict[str, dict[str, str]] = field(default_factory=dict)  # member id -> region, language, org type
    intro_keys: dict[str, list[str]] = field(default_factory=dict)  # intro ref -> its message keys
    names: dict[str, str] = field(default_factory=dict)  # member id -> name, for the report and the Kumu sheet
    event_titles: dict[str, str] = field(default_factory=dict)  # event id -> title, from the events tab
    # weaver id -> members whose check-in answer (by link) asked for a follow-up in the last FOLLOW_UP_DAYS
    followup_requests: dict[str, list[str]] = field(default_factory=dict)
    reoffers: list[Tie] = field(default_factory=list)  # introductions answered "not yet": offered once more

    def name(self, member_id: str) -> str:
        """The member's name as the tab has it (the id only for someone no longer on the tab)."""
        return self.names.get(member_id) or member_id

    @property
    def actions(self) -> list[Action]:
        out = []
        if self.cells:
            digest = _digest("".join(f"{c.row}\x1f{c.col}\x1f{c.value}\x1e" for c in self.cells))
            out.append(Action(f"sheet-write:{self.tab}:{digest}", "sheet-write",
                              f"write {len(self.cells)} cells of engagement columns in {self.tab}",
                              idempotent=True))  # fmt: skip
        if self.event_ties:
            digest = _digest("".join(f"{x.a}{x.b}{x.ref}" for x in self.event_ties))
            out.append(Action(f"ties:events:{digest}", "ties", f"record {len(self.event_ties)} co-attendance ties",
                              idempotent=True))  # fmt: skip
        return out


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# the members tab ----------------------------------------------------------------------------------------------
@dataclass
class Roster:
    layout: Layout
    deduped: Deduped
    headers: dict[str, str]  # engagement / last_active -> the column header

    @property
    def fields(self) -> dict[str, dict[str, str]]:
        return {m.member_id: m.fields for m in self.deduped.members}


def read_roster(grid: Grid, config: WeaverConfig, source: str, lang: str) -> Roster:
    """The members tab as members (the same parsing as member-sync) and where our two columns are."""
    cfg = config.members
    defaults = {"engagement": t("eng.col.engagement", lang), "last_active": t("eng.col.last_active", lang)}
    headers = {k: cfg.owned_columns.get(k, defaults[k]) for k in ENGAGEMENT_COLUMNS}
    ours = cfg.model_copy(update={"owned_columns": {**cfg.owned_columns, **headers}})
    if len(grid) < cfg.header_row:
        raise SourceError(f"{source}: tab {cfg.tab!r} has no header row {cfg.header_row}")
    layout = locate_columns(grid[cfg.header_row - 1], ours, cfg.tab, source)
    parsed = parse_members(grid, layout, ours, config.network.default_language, lang)
    return Roster(layout, dedupe(parsed.members, lang), headers)


def plan_writeback(grid: Grid, roster: Roster, scores: Mapping[str, Score]) -> list[Cell]:
    """Score and last-active cells that differ from what the tab shows; headers for missing columns."""
    layout = roster.layout
    cols = {k: layout.owned_cols[k] for k in ENGAGEMENT_COLUMNS if k in layout.owned_cols}
    cells = []
    missing = [k for k in ENGAGEMENT_COLUMNS if k not in cols]
    for offset, name in enumerate(missing):
        cols[name] = layout.next_free_col + offset
        cells.append(Cell(layout.header_row, cols[name] + 1, roster.headers[name]))
    for member in roster.deduped.members:
        score = scores[member.member_id]
        values = {"engagement": str(score.score), "last_active": score.last_active.isoformat() if score.last_active
                  else ""}  # fmt: skip
        for row_no in member.rows:
            raw = grid[row_no - 1] if row_no - 1 < len(grid) else []
            for name, value in values.items():
                col = cols[name]
                if (raw[col] if col < len(raw) else "") != value:
                    cells.append(Cell(row_no, col + 1, number_cell(value) if name == "engagement" else value))
    return cells


# the plan ---------------------------------------------------------------------------------------------------
def plan_review(members_grid: Grid, attendance_grid: Grid, ties: Sequence[Tie], inbox: Sequence[Mapping[str, Any]],
                recorded: Sequence[Mapping[str, Any]], config: WeaverConfig, today: date, source: str,
                lang: str, events_grid: Grid = (), vocabulary_grid: Grid = (), links: LinkMaker | None = None,
                answers: Sequence[Mapping[str, Any]] = (),
                checkin_answers: Sequence[Mapping[str, Any]] = ()) -> ReviewPlan:  # fmt: skip
    """The whole review from what was read; `events_grid` (the events tab, if any) gives events their titles,
    `vocabulary_grid` (the network's zh/en vocabulary, if any) makes 气候 and climate one shared interest.

    With `links`, "did you meet?" carries two signed links (yes / not yet); `answers` are the uses of those
    links so far: an introduction answered "not yet" (and not confirmed since) is offered once more. With
    `links` too, each check-in in a weaver's digest carries a signed link to its outcome form; the answers given
    by those links (`checkin_answers`) that asked for a follow-up are listed in that weaver's next digests.
    """
    cfg = config.engagement
    roster = read_roster(members_grid, config, source, lang)
    members = roster.fields
    by_email = {normalise_email(f.get("email", "")): m for m, f in members.items()}
    records, rejected = parse_attendance(attendance_grid, config.mixing.attendance_tab, by_email, set(members), lang)
    from_tab, from_inbox = attendance_activities(records), inbox_activities(inbox, by_email, set(members))
    from_events = event_activities(recorded, set(members))
    scores = score_members(members, [*from_tab, *from_inbox, *from_events], cfg, today)
    assignments, waiting = assign_checkins(flagged(scores), members, cfg.weavers)
    upcoming = next_event(events(records), today)
    titles = event_titles(events_grid, config.events.columns)
    suggestions = {s.member_id: _suggestions(s.member_id, members, config, upcoming, today, titles, lang)
                   for a in assignments for s in a.members}  # fmt: skip
    vocabulary = Vocabulary.from_grid(vocabulary_grid, config.matching.vocabulary_tab) if vocabulary_grid else None
    intros = plan_introductions(scores, members, ties, vocabulary=vocabulary) if cfg.introductions else []
    due, planned = due_followups(ties, "introduction", cfg.followup_days, today)
    past = attended(records, before=today)
    co = [x for e in past.values() for x in event_ties(e.attendees, e.event_id, e.day)]
    plan = ReviewPlan(today, scores, assignments, waiting, suggestions, intros, due, planned, co,
                      plan_writeback(members_grid, roster, scores), [], rejected,
                      {"attendance_rows": len(records), "inbox_rsvps": len(from_inbox),
                       "engagement_events": len(from_events), "ties": len(ties)},
                      config.members.tab)  # fmt: skip
    plan.event_titles = titles
    plan.followup_requests = followup_requests(checkin_answers, set(members), today)
    plan.reoffers = [x for x in reoffers(answers, ties) if newcomer_of(x)[0] in members]
    plan.messages = review_messages(plan, members, config, upcoming, lang, links)
    plan.traits = {m: {k: f.get(k, "") for k in ("region", "language", "org_type")} for m, f in members.items()}
    plan.names = {m: str(f.get("name", "")) for m, f in members.items()}
    return plan


FOLLOW_UP_DAYS = 21  # a check-in answer asking for a follow-up stays in the weaver's digest this long


def followup_requests(answers: Sequence[Mapping[str, Any]], members: set[str], today: date) -> dict[str, list[str]]:
    """Weaver id -> members (still on the tab) whose recent check-in answer asked for a follow-up."""
    out: dict[str, list[str]] = {}
    for a in answers:
        used = a.get("used_at")
        day = used.date() if hasattr(used, "date") else None
        if not (a.get("outcome") or {}).get("followup") or day is None or (today - day).days > FOLLOW_UP_DAYS:
            continue
        weaver_id = str(a.get("scope", "")).partition(":")[0]
        if a.get("subject") in members and a["subject"] not in out.get(weaver_id, []):
            out.setdefault(weaver_id, []).append(str(a["subject"]))
    return out


def _suggestions(member_id: str, members: Mapping[str, Mapping[str, Any]], config: WeaverConfig,
                 upcoming: Event | None, today: date, titles: Mapping[str, str], lang: str) -> list[str]:  # fmt: skip
    out = suggest_activities(members[member_id], config.engagement.activities)
    if upcoming is not None and upcoming.day >= today and member_id not in upcoming.attendees:
        day, title = upcoming.day.isoformat(), titles.get(upcoming.event_id)
        out.append(f"{title} ({day})" if title else t("eng.gathering", lang, date=day))
    return out


# emails -------------------------------------------------------------------------------------------------------
def _person(member_id: str, members: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    f = members.get(member_id, {})
    keys = ("organisation", "language", "region", "interests")
    return {"member_id": member_id, "name": str(f.get("name", member_id)), **{k: str(f.get(k, "")) for k in keys}}


def review_messages(plan: ReviewPlan, members: Mapping[str, Mapping[str, Any]], config: WeaverConfig,
                    upcoming: Event | None, lang: str, links: LinkMaker | None = None) -> list[Message]:  # fmt: skip
    out = []
    for intro in plan.introductions:
        keys = []
        for me, other in ((intro.newcomer, intro.partner), (intro.partner, intro.newcomer)):
            event = ({"title": plan.event_titles.get(upcoming.event_id, ""), "date": upcoming.day.isoformat()}
                     if upcoming else None)  # fmt: skip
            context = {"other": _person(other, members), "shared": ", ".join(intro.shared), "event": event,
                       "newcomer": me == intro.newcomer}  # fmt: skip
            msg = _member_message("introduction", f"email:introduction:{intro.ref}:{me}", me, members, config, context)
            keys.append(msg.key)
            out.append(msg)
        plan.intro_keys[intro.ref] = keys
    for due in plan.followups_due:
        newcomer, partner = newcomer_of(due)
        if newcomer in members:
            out.append(_member_message("intro_followup", f"email:intro-followup:{due.ref}", newcomer, members,
                                       config, {"other": _person(partner, members),
                                                **_met_links(links, newcomer, due.ref)}))  # fmt: skip
    for again in plan.reoffers:
        newcomer, partner = newcomer_of(again)
        context = {"other": _person(partner, members), **_met_links(links, newcomer, again.ref)}
        out.append(_member_message("intro_reoffer", f"email:intro-reoffer:{again.ref}", newcomer, members, config,
                                   context))  # fmt: skip
    out += digests(plan, members, config, lang, links)
    return out


def _met_links(links: LinkMaker | None, member_id: str, ref: str) -> dict[str, str]:
    """The two one-click answers of "did you meet?" (empty without links: the email then asks for a reply)."""
    if links is None:
        return {}
    return {"yes_url": links(MET_PURPOSE, member_id, met_scope("yes", ref)),
            "not_yet_url": links(MET_PURPOSE, member_id, met_scope("not-yet", ref))}  # fmt: skip


def _member_message(template: str, key: str, member_id: str, members: Mapping[str, Mapping[str, Any]],
                    config: WeaverConfig, extra: dict[str, Any]) -> Message:  # fmt: skip
    fields = members[member_id]
    context = {"network_name": config.network.name, "name": fields.get("name", ""), **extra}
    r = render(template, str(fields.get("language", "")), context, config.network.default_language)
    return Message(key, str(fields.get("email", "")), str(fields.get("name", "")), r.subject, r.text, r.html,
                   r.language, member_id, template)  # fmt: skip


def digests(plan: ReviewPlan, members: Mapping[str, Mapping[str, Any]], config: WeaverConfig,
            lang: str, links: LinkMaker | None = None) -> list[Message]:  # fmt: skip
    """One digest per weaver per week: their check-ins with suggestions, and the introductions around them."""
    year, week, _ = plan.today.isocalendar()
    owner = {s.member_id: a.weaver.id for a in plan.assignments for s in a.members}
    first = plan.assignments[0].weaver.id if plan.assignments else ""
    out = []
    for a in plan.assignments:
        intros = [i for i in plan.introductions if owner.get(i.newcomer, first) == a.weaver.id]
        asks = [newcomer_of(d) for d in plan.followups_due
                if owner.get(newcomer_of(d)[0], first) == a.weaver.id]  # fmt: skip
        requested = plan.followup_requests.get(a.weaver.id, [])
        if not a.members and not intros and not asks and not requested:
            continue
        language = next((x for x in a.weaver.languages if x in ("zh", "en")), config.network.default_language)
        checkins = [{**_person(s.member_id, members), "score": s.score, "reason": t(f"eng.reason.{s.status}", language),
                     "last_active": s.last_active.isoformat() if s.last_active else "-",
                     "suggestions": plan.suggestions.get(s.member_id, []),
                     "link": checkin_url(links, s.member_id, a.weaver.id, f"{year}-W{week:02d}", language)
                     if links is not None else ""} for s in a.members]  # fmt: skip
        context = {"network_name": config.network.name, "weaver": a.weaver.name, "week": f"{year}-W{week:02d}",
                   "checkins": checkins, "waiting": len(plan.waiting),
                   "introductions": [{"newcomer": _person(i.newcomer, members)["name"],
                                      "partner": _person(i.partner, members)["name"], "shared": ", ".join(i.shared)}
                                     for i in intros],
                   "followups": [{"newcomer": _person(n, members)["name"], "partner": _person(p, members)["name"]}
                                 for n, p in asks],
                   "requested": [_person(m, members)["name"] for m in requested]}  # fmt: skip
        r = render("weaver_digest", language, context, config.network.default_language)
        out.append(Message(f"email:digest:{a.weaver.id}:{year}-W{week:02d}", a.weaver.email, a.weaver.name,
                           r.subject, r.text, r.html, r.language, None, "weaver_digest"))  # fmt: skip
    return out


def introduced(plan: ReviewPlan, delivered: set[str]) -> list[Tie]:
    """Introductions of which at least one email went out (now or on an earlier run): they are ties."""
    return [i.as_tie(plan.today) for i in plan.introductions if delivered & set(plan.intro_keys.get(i.ref, []))]


def newcomers_not_engaged(plan: ReviewPlan) -> list[Score]:
    return [s for s in plan.scores.values() if s.status == NEWCOMER]


# Thin Prefect wrapper: one task over the whole review (never one task per member).
plan_review_task = task(name="plan-engagement-review", cache_policy=NO_CACHE)(plan_review)
