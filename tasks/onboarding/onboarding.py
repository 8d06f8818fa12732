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

import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tasks.common.ties import BUDDY_RECORD
from weaver.i18n import t
from weaver.models import parse_consent, split_list

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


# what a run knows ----------------------------------------------------------------------------------------
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
