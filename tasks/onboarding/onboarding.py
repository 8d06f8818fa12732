"""Onboarding, pure logic: who is new, who their buddy is, and the messages that welcome them.

Rules a coordinator can rely on:

* **Who is new.** A member first synced after the previous onboarding run is new, unless their join date
  is older than `[onboarding] new_member_days` (an old member added to the sheet late is not a newcomer).
  On the very first run in a workspace (no onboarding run since the first member sync) only members whose
  join date falls within `new_member_days` are new: the existing membership is never welcomed wholesale.
* **Consent first.** A newcomer without an explicit yes to email is not contacted and gets no buddy (the
  buddy would receive their address); the weaver's digest counts them.
* **Buddies.** Each newcomer is paired with an established member who may be emailed and shares interests
  (3 points each), region (2) or language (1): highest score first, then the least busy, then member id.
  Nobody is their own buddy, a newcomer is never a buddy, and no buddy has more than
  `max_newcomers_per_buddy` newcomers whose onboarding started within `new_member_days`. The pairing is
  recorded in the ledger (`onboarding:newcomer:<id>`) before any email, so a rerun never changes it.
* **Messages.** A welcome (principles, how to take part, the buddy), an introduction to the buddy, and a
  digest for the network weaver; follow-ups on the days in `[onboarding] followup_days` are planned in the
  ledger when the welcome goes out and sent by the first run after they fall due.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.delivery import Delivery
from tasks.common.messages import render
from tasks.common.ties import BUDDY_RECORD
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.models import parse_consent, split_list
from weaver.report import Report, Table
from weaver.state import StateDB
from weaver.state.delivery import suppressed_emails
from weaver.state.onboarding import newcomer_records

FLOW = "onboarding"
RECORD = BUDDY_RECORD  # each newcomer's buddy, kept in the ledger (read back as ties)
FOLLOWUP = "onboarding:followup-"


# people -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    """A member as onboarding sees them (from the state database)."""

    member_id: str
    email: str
    name: str
    language: str
    region: str
    organisation: str
    interests: tuple[str, ...]
    consent: bool
    phone: str
    joined: date | None
    first_seen: datetime


def person_from_row(row: Mapping[str, Any]) -> Person:
    fields = row.get("fields") or {}
    return Person(
        member_id=row["member_id"],
        email=row["email"],
        name=fields.get("name", "") or row["email"].partition("@")[0],
        language=fields.get("language", ""),
        region=fields.get("region", ""),
        organisation=fields.get("organisation", ""),
        interests=split_list(fields.get("interests", "")),
        consent=parse_consent(fields.get("consent", "")) is True,
        phone=fields.get("phone", ""),
        joined=_date(fields.get("joined", "")),
        first_seen=aware(row["first_seen"]),
    )


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without a zone; ours are all UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# who is new ---------------------------------------------------------------------------------------------
def joined_recently(person: Person, today: date, days: int) -> bool:
    return person.joined is not None and today - timedelta(days=days) <= person.joined <= today


def is_new(person: Person, last_run: datetime | None, today: date, days: int) -> bool:
    """`last_run` is the start of the previous onboarding run; None on the very first run."""
    if last_run is None:
        return joined_recently(person, today, days)
    return person.first_seen > last_run and (person.joined is None or joined_recently(person, today, days))


# buddies --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Overlap:
    interests: tuple[str, ...] = ()
    region: str = ""
    language: str = ""

    @property
    def score(self) -> int:
        return 3 * len(self.interests) + 2 * bool(self.region) + bool(self.language)

    def phrase(self, lang: str) -> str:
        """'an interest in climate and the region Europe' / '同样关注气候，同在华东'."""
        parts = []
        if self.interests:
            items = join_list(self.interests, t("onb.list_sep", lang), t("onb.list_last", lang))
            parts.append(t("onb.shared.interests", lang, items=items))
        if self.region:
            parts.append(t("onb.shared.region", lang, region=self.region))
        if self.language:
            parts.append(t("onb.shared.language", lang))
        return join_list(parts, t("onb.parts_sep", lang), t("onb.parts_last", lang))

    def kinds(self, lang: str) -> str:
        """What matched, without the values (for reports): 'interests (2), region'."""
        parts = [t("onb.kind.interests", lang, n=len(self.interests))] if self.interests else []
        parts += [t("onb.kind.region", lang)] if self.region else []
        parts += [t("onb.kind.language", lang)] if self.language else []
        return t("onb.list_sep", lang).join(parts)


def join_list(items: Sequence[str], sep: str, last: str) -> str:
    """'a, b and c' (or 'a、b、c')."""
    if len(items) < 2:
        return "".join(items)
    return sep.join(items[:-1]) + last + items[-1]


def same_person(a: Person, b: Person) -> bool:
    """Never one's own buddy: the same member, the same address, or a look-alike row of the same person
    (same name, ignoring case, width, spacing and word order, and the same organisation or phone)."""
    if a.member_id == b.member_id or a.email == b.email:
        return True
    if _name_fold(a.name) != _name_fold(b.name):
        return False
    return bool((a.organisation and a.organisation == b.organisation) or (a.phone and a.phone == b.phone))


def _name_fold(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(sorted(folded.split())) if folded.isascii() else "".join(folded.split())


def overlap(newcomer: Person, buddy: Person) -> Overlap:
    theirs = {i.casefold() for i in buddy.interests}
    interests = tuple(i for i in newcomer.interests if i.casefold() in theirs)
    region = newcomer.region if newcomer.region and newcomer.region.casefold() == buddy.region.casefold() else ""
    language = newcomer.language if newcomer.language and newcomer.language == buddy.language else ""
    return Overlap(interests, region, language)


def match_buddies(
    newcomers: Sequence[Person], candidates: Sequence[Person], cap: int, load: Mapping[str, int]
) -> dict[str, str | None]:
    """newcomer id -> buddy id (None: nobody fits). Pure and deterministic.

    Newcomers with the fewest possible buddies choose first, so a rare match is not taken by someone
    who had many options. `load` counts newcomers each buddy already has.
    """
    busy = Counter(load)
    options = {
        n.member_id: [c for c in candidates if not same_person(n, c) and overlap(n, c).score > 0]
        for n in newcomers
    }  # fmt: skip
    result: dict[str, str | None] = {}
    for newcomer in sorted(newcomers, key=lambda n: (len(options[n.member_id]), n.member_id)):
        free = [c for c in options[newcomer.member_id] if busy[c.member_id] < cap]
        if not free:
            result[newcomer.member_id] = None
            continue
        best = min(free, key=lambda c: (-overlap(newcomer, c).score, busy[c.member_id], c.member_id))
        busy[best.member_id] += 1
        result[newcomer.member_id] = best.member_id
    return result


# reading state --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """A newcomer's onboarding as recorded in the ledger: their buddy, and when it started."""

    buddy: str | None
    started: datetime


@dataclass
class OnboardingState:
    people: list[Person]
    last_run: datetime | None
    records: dict[str, Record]
    suppressed: set[str]
    due: list[str]  # ledger keys of follow-ups now due
    now: datetime
    today: date


def read_onboarding_state(db: StateDB, now: datetime, today: date) -> OnboardingState:
    """Everything onboarding needs from the state database, in five queries."""
    people = [person_from_row(r) for r in db.member_rows("active")]
    records = {
        r["key"].removeprefix(RECORD): Record((r["payload"] or {}).get("buddy"), r["created_at"])
        for r in newcomer_records(db, RECORD)
    }
    suppressed = suppressed_emails(db)
    due = [e["key"] for e in Ledger(db, FLOW).due(FOLLOWUP, now)]
    return OnboardingState(people, _last_run(db), records, suppressed, due, now, today)


def _last_run(db: StateDB) -> datetime | None:
    """The previous onboarding run's start, if it came after the first member sync (else: a first run)."""
    first_sync = db.first_sync_run_start("member-sync")
    last = db.last_sync_run(FLOW)
    if last is None or first_sync is None or aware(last["started_at"]) < aware(first_sync):
        return None
    return aware(last["started_at"])


# planning -------------------------------------------------------------------------------------------------
@dataclass
class OnboardingPlan:
    new: list[Person]  # new since the last run and may be emailed
    not_contacted: list[Person]  # new, but no consent to email
    cohort: list[Person]  # every newcomer whose welcome is planned (new ones and recent ones not finished)
    matches: dict[str, str | None]
    shared: dict[str, Overlap]  # newcomer id -> what they share with their buddy
    records: list[Action]
    messages: list[Message]
    cancel: list[str] = field(default_factory=list)  # due follow-ups of members who left
    welcome_keys: dict[str, str] = field(default_factory=dict)  # welcome key -> member id


def plan_onboarding(state: OnboardingState, config: WeaverConfig) -> OnboardingPlan:
    """The whole plan phase, pure: newcomers, buddies and every message (what a dry run shows)."""
    cfg = config.onboarding
    by_id = {p.member_id: p for p in state.people}
    fresh = [p for p in state.people if is_new(p, state.last_run, state.today, cfg.new_member_days)]
    new = [p for p in fresh if p.consent]
    since = state.now - timedelta(days=cfg.new_member_days)
    recent = {mid: r for mid, r in state.records.items() if r.started >= since}
    cohort_ids = dict.fromkeys([p.member_id for p in new] + sorted(m for m in recent if m in by_id))
    cohort = [by_id[m] for m in cohort_ids]
    matches = _matches(cohort, state, fresh, recent, cfg.max_newcomers_per_buddy)
    shared = {m: overlap(by_id[m], by_id[b]) for m, b in matches.items() if m in by_id and b in by_id}
    plan = OnboardingPlan(new, [p for p in fresh if not p.consent], cohort, matches, shared, [], [])
    plan.records = [_record_action(m, matches[m]) for m in cohort_ids if m not in state.records]
    context = _context(config)
    for person in cohort:
        buddy = by_id.get(matches.get(person.member_id) or "")
        plan.messages += _welcome_and_intro(person, buddy, context, config, plan)
    plan.messages += _due_followups(state, by_id, context, config, plan)
    digest = _digest(plan, by_id, context, config)
    plan.messages += [digest] if digest else []
    return plan


def _matches(cohort: list[Person], state: OnboardingState, fresh: list[Person], recent: Mapping[str, Record],
             cap: int) -> dict[str, str | None]:  # fmt: skip
    fixed = {m: state.records[m].buddy for m in (p.member_id for p in cohort) if m in state.records}
    newcomer_ids = {p.member_id for p in fresh} | set(recent)
    candidates = [p for p in state.people if p.consent and p.member_id not in newcomer_ids
                  and p.email not in state.suppressed]  # fmt: skip
    load = Counter(r.buddy for r in recent.values() if r.buddy)
    todo = [p for p in cohort if p.member_id not in fixed]
    return {**fixed, **match_buddies(todo, candidates, cap, load)}


def _record_action(member_id: str, buddy: str | None) -> Action:
    summary = f"newcomer {member_id}: buddy {buddy or 'none found'}"
    return Action(f"{RECORD}{member_id}", "onboarding-newcomer", summary, {"buddy": buddy}, idempotent=True)


def _context(config: WeaverConfig) -> dict[str, Any]:
    return {"network_name": config.network.name, "handbook_url": config.onboarding.handbook_url}


def _message(key: str, to: Person, template: str, context: Mapping[str, Any], config: WeaverConfig) -> Message:
    out = render(template, to.language, {**context, "name": to.name}, config.network.default_language)
    return Message(key, to.email, to.name, out.subject, out.text, out.html, out.language, to.member_id, template)


def _welcome_and_intro(person: Person, buddy: Person | None, context: Mapping[str, Any], config: WeaverConfig,
                       plan: OnboardingPlan) -> list[Message]:  # fmt: skip
    lang = person.language or config.network.default_language
    shared = plan.shared.get(person.member_id)
    about_buddy = None
    if buddy and shared:
        about_buddy = {"name": buddy.name, "organisation": buddy.organisation, "shared": shared.phrase(lang)}
    key = f"onboarding:welcome:{person.member_id}"
    plan.welcome_keys[key] = person.member_id
    out = [_message(key, person, "onboarding_welcome", {**context, "buddy": about_buddy}, config)]
    if buddy and shared:
        their_lang = buddy.language or config.network.default_language
        interests = t("onb.list_sep", their_lang).join(person.interests)
        newcomer = {"name": person.name, "email": person.email, "organisation": person.organisation,
                    "region": person.region, "interests": interests}  # fmt: skip
        intro = {**context, "newcomer": newcomer, "shared": shared.phrase(their_lang)}
        key = f"onboarding:buddy:{buddy.member_id}:{person.member_id}"
        out.append(_message(key, buddy, "onboarding_buddy", intro, config))
    return out


def followup_key(day: int, member_id: str) -> str:
    return f"{FOLLOWUP}{day}:{member_id}"


def parse_followup_key(key: str) -> tuple[int, str]:
    day, _, member_id = key.removeprefix(FOLLOWUP).partition(":")
    return int(day), member_id


def _due_followups(state: OnboardingState, by_id: Mapping[str, Person], context: Mapping[str, Any],
                   config: WeaverConfig, plan: OnboardingPlan) -> list[Message]:  # fmt: skip
    out = []
    for key in state.due:
        day, member_id = parse_followup_key(key)
        person = by_id.get(member_id)
        if person is None:  # left the network (or the sheet) since: never sent
            plan.cancel.append(key)
            continue
        record = state.records.get(member_id)
        buddy = by_id.get(record.buddy or "") if record else None
        extra = {"day": day, "buddy_name": buddy.name if buddy else ""}
        out.append(_message(key, person, "onboarding_followup", {**context, **extra}, config))
    return out


def _digest(plan: OnboardingPlan, by_id: Mapping[str, Person], context: Mapping[str, Any],
            config: WeaverConfig) -> Message | None:  # fmt: skip
    """One email to the network weaver per group of newcomers (keyed by who they are: sent once)."""
    cfg, lang = config.onboarding, config.network.default_language
    if not cfg.weaver_email or not (plan.new or plan.not_contacted):
        return None
    rows = []
    for person in plan.new:
        buddy = by_id.get(plan.matches.get(person.member_id) or "")
        shared = plan.shared.get(person.member_id)
        rows.append({"member_id": person.member_id, "name": person.name, "region": person.region,
                     "buddy_name": buddy.name if buddy else "", "buddy_id": buddy.member_id if buddy else "",
                     "shared": shared.phrase(lang) if shared else ""})  # fmt: skip
    ids = sorted(p.member_id for p in (*plan.new, *plan.not_contacted))
    occasion = hashlib.blake2b("\x1f".join(ids).encode(), digest_size=8).hexdigest()
    name = cfg.weaver_name or config.network.name
    followups = sum(1 for m in plan.messages if m.purpose == "onboarding_followup")
    extra = {"name": name, "newcomers": rows, "not_contacted": len(plan.not_contacted), "followups_sent": followups}
    out = render("onboarding_digest", lang, {**context, **extra}, lang)
    return Message(f"onboarding:digest:{occasion}", cfg.weaver_email, name, out.subject, out.text, out.html,
                   out.language, None, "onboarding_digest")  # fmt: skip


def plan_followups(delivery: Delivery, plan: OnboardingPlan, days: Iterable[int], now: datetime) -> list[Action]:
    """Follow-ups for every newcomer whose welcome has gone out (planned once: the ledger keeps the first)."""
    result: ApplyResult = delivery.result
    welcomed = [plan.welcome_keys[a.key] for a in (*result.done, *result.already_done) if a.key in plan.welcome_keys]
    return [
        Action(
            followup_key(day, member_id),
            "email",
            f"follow-up day {day} to {member_id}",
            {"member_id": member_id, "day": day},
            due_at=now + timedelta(days=day),
        )  # fmt: skip
        for member_id in welcomed
        for day in days
    ]


# applying -------------------------------------------------------------------------------------------------
def record_newcomers(plan: OnboardingPlan, db: StateDB, dry_run: bool) -> ApplyResult:
    """Write each new pairing into the ledger before any email names it."""
    result = Ledger(db, FLOW).apply(plan.records, _noted, dry_run=dry_run)
    if plan.cancel and not dry_run:
        Ledger(db, FLOW).cancel(plan.cancel, "not sent: the member left")
    return result


def _noted(batch: Sequence[Action]) -> list[Outcome]:
    return [Outcome.success("recorded") for _ in batch]  # the ledger row itself is the record


def schedule_followups(delivery: Delivery | None, plan: OnboardingPlan, config: WeaverConfig, db: StateDB,
                       now: datetime, dry_run: bool) -> int:  # fmt: skip
    if delivery is None or dry_run:
        return 0
    return Ledger(db, FLOW).schedule(plan_followups(delivery, plan, config.onboarding.followup_days, now))


# reporting ------------------------------------------------------------------------------------------------
def onboarding_summary(plan: OnboardingPlan, delivery: Delivery | None, scheduled: int) -> dict[str, Any]:
    sent = Counter(a.payload.get("purpose", "") for a in delivery.result.done) if delivery else Counter()
    return {
        "newcomers": len(plan.new),
        "not_contacted_no_consent": len(plan.not_contacted),
        "buddies_matched": sum(1 for p in plan.new if plan.matches.get(p.member_id)),
        "no_buddy_found": sum(1 for p in plan.new if not plan.matches.get(p.member_id)),
        "welcomes_sent": sent["onboarding_welcome"],
        "buddy_intros_sent": sent["onboarding_buddy"],
        "followups_sent": sent["onboarding_followup"],
        "digests_sent": sent["onboarding_digest"],
        "followups_planned": scheduled,
        "emails": delivery.summary() if delivery else {},
    }


def build_onboarding_report(plan: OnboardingPlan, summary: Mapping[str, Any], lang: str, notes: list[str]) -> Report:
    report = Report(FLOW, t("onb.title", lang), lang, notes=list(notes))
    labels = ["newcomers", "not_contacted_no_consent", "buddies_matched", "no_buddy_found", "welcomes_sent",
              "buddy_intros_sent", "followups_sent", "digests_sent", "followups_planned"]  # fmt: skip
    report.summary = [(t(f"onb.{k}", lang), str(summary[k])) for k in labels]
    rows = []
    for person in plan.new:
        shared = plan.shared.get(person.member_id)
        buddy = plan.matches.get(person.member_id) or t("onb.none", lang)
        rows.append([person.member_id, buddy, shared.kinds(lang) if shared else ""])
    rows += [[p.member_id, t("onb.no_consent", lang), ""] for p in plan.not_contacted]
    headers = [t("onb.col.newcomer", lang), t("onb.col.buddy", lang), t("onb.col.shared", lang)]
    report.tables.append(Table(t("onb.table", lang), headers, rows))
    return report


# Thin Prefect wrappers: one task per phase, each over the whole batch (never one task per member).
read_onboarding_state_task = task(name="read-onboarding-state", cache_policy=NO_CACHE)(read_onboarding_state)
plan_onboarding_task = task(name="plan-onboarding", cache_policy=NO_CACHE)(plan_onboarding)
record_newcomers_task = task(name="record-newcomers", cache_policy=NO_CACHE)(record_newcomers)
schedule_followups_task = task(name="schedule-follow-ups", cache_policy=NO_CACHE)(schedule_followups)
