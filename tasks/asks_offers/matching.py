"""Needs meet offers, pure: who takes part, which introductions to make, and when to ask "did you meet?".

Only members who opted in take part: a yes in the `asks_offers` column and a yes to email. Everyone else is
never read further, listed in a digest or introduced, whatever their needs and offers say.

Each need (a tag of the needs column, read with the network's vocabulary) of each participant is introduced
to at most one participant who offers it per run, and never twice to the same member for the same need
(the tie `match:<with the need>:<with the offer>:<need>` says it was done). A need whose last introduction
is younger than `followup_days` waits for its "did you meet?" before another. Among the members who offer
it, the one preferred: fewest introductions so far this run, then the same language, the same region, more
shared interests, then the member id (so the result is the same on every run). A member with an offer
receives at most `per_offerer` introductions per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tasks.common.ties import Tie, tie
from tasks.common.vocabulary import Tag, Vocabulary
from weaver.models import parse_consent

SOURCE = "match"  # the tie source of an introduction made here
REF_KEY_CHARS = 60  # a free-text need is cut to this in the tie's ref (refs hold 200 characters)


@dataclass(frozen=True)
class Person:
    member_id: str
    name: str
    language: str
    region: str
    organisation: str
    needs: tuple[Tag, ...]
    offers: tuple[Tag, ...]
    interests: tuple[Tag, ...]

    def need_keys(self) -> set[str]:
        return {x.key for x in self.needs}

    def offer_keys(self) -> set[str]:
        return {x.key for x in self.offers}


def opted_in(fields: Mapping[str, Any]) -> bool:
    """Takes part only with an explicit yes to the digest and to email (blank or unclear is no)."""
    yes = parse_consent(str(fields.get("asks_offers", ""))) is True
    return yes and parse_consent(str(fields.get("consent", ""))) is True


def participants(members: Mapping[str, Mapping[str, Any]], vocabulary: Vocabulary) -> list[Person]:
    """The members who opted in, with their needs, offers and interests as tags, by member id."""
    out = []
    for member_id in sorted(members):
        f = members[member_id]
        if not opted_in(f):
            continue
        out.append(Person(member_id, str(f.get("name", "")), str(f.get("language", "")), str(f.get("region", "")),
                          str(f.get("organisation", "")), vocabulary.tags(str(f.get("needs", ""))),
                          vocabulary.tags(str(f.get("offers", ""))),
                          vocabulary.tags(str(f.get("interests", "")))))  # fmt: skip
    return out


def need_ref(key: str) -> str:
    return key[:REF_KEY_CHARS]


@dataclass(frozen=True)
class Match:
    needer: str  # the member with the need
    offerer: str  # the member with the matching offer
    need: Tag

    @property
    def ref(self) -> str:
        return f"match:{self.needer}:{self.offerer}:{need_ref(self.need.key)}"

    def as_tie(self, day: date) -> Tie:
        return tie(self.needer, self.offerer, SOURCE, self.ref, day)


def parse_ref(ref: str) -> tuple[str, str, str]:
    """(with the need, with the offer, the need's key as the ref holds it) from `match:<a>:<b>:<need>`."""
    _prefix, needer, offerer, need = ref.split(":", 3)
    return needer, offerer, need


def plan_matches(people: Sequence[Person], ties: Sequence[Tie], today: date, followup_days: int,
                 per_offerer: int) -> list[Match]:  # fmt: skip
    done: set[tuple[str, str, str]] = set()  # (needer, offerer, need) already introduced
    latest: dict[tuple[str, str], date] = {}  # (needer, need) -> the day of its last introduction
    for t in ties:
        if t.source == SOURCE:
            needer, offerer, need = parse_ref(t.ref)
            done.add((needer, offerer, need))
            latest[(needer, need)] = max(t.met_on, latest.get((needer, need), date.min))
    load: dict[str, int] = {}
    out = []
    for person in people:
        for need in person.needs:
            ref_key = need_ref(need.key)
            last = latest.get((person.member_id, ref_key))
            if last is not None and today < last + timedelta(days=followup_days):
                continue  # its last introduction waits for "did you meet?"
            best: tuple[Any, ...] | None = None
            for other in people:
                oid = other.member_id
                if oid == person.member_id or need.key not in other.offer_keys():
                    continue
                if (person.member_id, oid, ref_key) in done or load.get(oid, 0) >= per_offerer:
                    continue
                shared = len({x.key for x in person.interests} & {x.key for x in other.interests})
                rank = (load.get(oid, 0), other.language != person.language, other.region != person.region,
                        -shared, oid)  # fmt: skip
                if best is None or rank < best[0]:
                    best = (rank, other)
            if best is not None:
                offerer = best[1].member_id
                load[offerer] = load.get(offerer, 0) + 1
                done.add((person.member_id, offerer, ref_key))
                out.append(Match(person.member_id, offerer, need))
    return out


def match_followups(ties: Sequence[Tie], followup_days: int, today: date,
                    catch_up_days: int = 30) -> tuple[list[Tie], list[tuple[Tie, date]]]:  # fmt: skip
    """Introductions whose "did you meet?" is due today (or missed by at most `catch_up_days`), and those
    planned later, with their date."""
    due, planned = [], []
    for t in ties:
        if t.source != SOURCE:
            continue
        when = t.met_on + timedelta(days=followup_days)
        if when > today:
            planned.append((t, when))
        elif (today - when).days <= catch_up_days:
            due.append(t)
    return due, planned


Listed = tuple[Person, tuple[Tag, ...], bool]  # a person, their asks (or offers), whether they meet the reader's


def relevant(reader: Person, people: Sequence[Person], limit: int) -> tuple[list[Listed], list[Listed]]:
    """What one reader's digest lists: others' asks and others' offers, each (person, tags, meets yours).

    The asks the reader's offers meet come first, then the others; likewise offers that meet the reader's
    needs. Within each, by name then member id. At most `limit` of each.
    """
    mine_offers, mine_needs = reader.offer_keys(), reader.need_keys()
    asks: list[Listed] = []
    offers: list[Listed] = []
    for other in people:
        if other.member_id == reader.member_id:
            continue
        if other.needs:
            asks.append((other, other.needs, bool(other.need_keys() & mine_offers)))
        if other.offers:
            offers.append((other, other.offers, bool(other.offer_keys() & mine_needs)))

    def order(x: Listed) -> tuple[bool, str, str]:
        return (not x[2], x[0].name, x[0].member_id)

    return sorted(asks, key=order)[:limit], sorted(offers, key=order)[:limit]
