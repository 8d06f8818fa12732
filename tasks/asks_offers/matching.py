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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
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

    @cached_property
    def need_keys(self) -> frozenset[str]:
        return frozenset(x.key for x in self.needs)

    @cached_property
    def offer_keys(self) -> frozenset[str]:
        return frozenset(x.key for x in self.offers)

    @cached_property
    def interest_keys(self) -> frozenset[str]:
        return frozenset(x.key for x in self.interests)


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
    offering: dict[str, list[Person]] = {}  # need key -> the participants who offer it
    for other in people:
        for key in other.offer_keys:
            offering.setdefault(key, []).append(other)
    load: dict[str, int] = {}
    out = []
    for person in people:
        for need in person.needs:
            ref_key = need_ref(need.key)
            last = latest.get((person.member_id, ref_key))
            if last is not None and today < last + timedelta(days=followup_days):
                continue  # its last introduction waits for "did you meet?"
            best: tuple[Any, ...] | None = None
            for other in offering.get(need.key, ()):
                oid = other.member_id
                if oid == person.member_id:
                    continue
                if (person.member_id, oid, ref_key) in done or load.get(oid, 0) >= per_offerer:
                    continue
                shared = len(person.interest_keys & other.interest_keys)
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


Listed = tuple[Person, tuple[Tag, ...], bool]  # a person, their asks (or offers), whether they meet the reader's


class Board:
    """Everyone's asks and offers, ordered once, so each reader's digest costs only what it lists.

    A reader sees the others' asks and offers, at most `limit` of each: first the asks their own offers meet
    (and the offers that meet their needs), then the others; within each, by name then member id.
    """

    def __init__(self, people: Sequence[Person]) -> None:
        self.asks = sorted((p for p in people if p.needs), key=_by_name)
        self.offers = sorted((p for p in people if p.offers), key=_by_name)
        self.needing: dict[str, list[Person]] = {}  # key -> who needs it
        self.offering: dict[str, list[Person]] = {}  # key -> who offers it
        for p in people:
            for key in p.need_keys:
                self.needing.setdefault(key, []).append(p)
            for key in p.offer_keys:
                self.offering.setdefault(key, []).append(p)

    def for_reader(self, reader: Person, limit: int) -> tuple[list[Listed], list[Listed]]:
        asks = _pick(self.asks, self.needing, reader.offer_keys, reader, limit, lambda p: p.needs)
        offers = _pick(self.offers, self.offering, reader.need_keys, reader, limit, lambda p: p.offers)
        return asks, offers


def _by_name(p: Person) -> tuple[str, str]:
    return (p.name, p.member_id)


def _pick(ordered: Sequence[Person], index: Mapping[str, Sequence[Person]], keys: frozenset[str], reader: Person,
          limit: int, tags: Callable[[Person], tuple[Tag, ...]]) -> list[Listed]:  # fmt: skip
    meeting = {p.member_id: p for k in keys for p in index.get(k, ()) if p.member_id != reader.member_id}
    out: list[Listed] = [(p, tags(p), True) for p in sorted(meeting.values(), key=_by_name)[:limit]]
    for p in ordered:
        if len(out) >= limit:
            break
        if p.member_id != reader.member_id and p.member_id not in meeting:
            out.append((p, tags(p), False))
    return out
