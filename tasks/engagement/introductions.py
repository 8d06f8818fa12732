"""Introductions, pure: who to introduce each newcomer to, and the "did you meet?" follow-up.

Each newcomer not yet engaged (and who said yes to our emails) is introduced once to an engaged member who
also said yes, shares at least one interest, and has not met them: most shared interests first, then the
same language, the same region, the higher engagement score. A member is introduced to at most one
newcomer per review, so no one is swamped. Both get an email naming the other and what they share; no
email address is passed on (replying to us is how they ask to be connected).

When at least one of the two emails went out, the introduction is a tie (source `introduction`, ref
`intro:<newcomer>:<member>`, dated that day). Its follow-up is fixed by it: `followup_days` later the
newcomer is asked "did you meet?" (ledger key `email:intro-followup:<ref>`), by the first review on or
after that day; until then the report lists it as planned, with its date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tasks.common.ties import Tie, tie
from tasks.common.vocabulary import Vocabulary
from tasks.engagement.score import ENGAGED, NEWCOMER, Score
from weaver.models import parse_consent, split_list


@dataclass(frozen=True)
class Introduction:
    newcomer: str
    partner: str
    shared: tuple[str, ...]

    @property
    def ref(self) -> str:
        return f"intro:{self.newcomer}:{self.partner}"

    def as_tie(self, day: date) -> Tie:
        return tie(self.newcomer, self.partner, "introduction", self.ref, day)


def consents(fields: Mapping[str, Any]) -> bool:
    return parse_consent(str(fields.get("consent", ""))) is True


def _interests(fields: Mapping[str, Any], vocabulary: Vocabulary | None = None) -> dict[str, str]:
    """Interest key -> how the member reads it; with the network's vocabulary, 气候 and climate are one key."""
    text = str(fields.get("interests", ""))
    if vocabulary is None:
        return {i.casefold(): i for i in split_list(text)}
    return {x.key: x.label(str(fields.get("language", ""))) for x in vocabulary.tags(text)}


def plan_introductions(scores: Mapping[str, Score], members: Mapping[str, Mapping[str, Any]],
                       ties: Sequence[Tie], per_partner: int = 1,
                       vocabulary: Vocabulary | None = None) -> list[Introduction]:  # fmt: skip
    met = {(t.a, t.b) for t in ties}
    introduced = {m for t in ties if t.source == "introduction" for m in (t.a, t.b)}
    waiting = [s for s in scores.values() if s.status == NEWCOMER and s.member_id not in introduced]
    newcomers = sorted((s for s in waiting if consents(members[s.member_id])),
                       key=lambda s: (s.joined or date.min, s.member_id))  # fmt: skip
    partners = [s for s in scores.values() if s.status == ENGAGED and consents(members[s.member_id])]
    load: dict[str, int] = {}
    out = []
    for newcomer in newcomers:
        mine, fields = _interests(members[newcomer.member_id], vocabulary), members[newcomer.member_id]
        best: tuple[Any, ...] | None = None
        for partner in partners:
            pid = partner.member_id
            pair = tuple(sorted((newcomer.member_id, pid)))
            if pid == newcomer.member_id or pair in met or load.get(pid, 0) >= per_partner:
                continue
            theirs = _interests(members[pid], vocabulary)
            shared = tuple(mine[k] for k in mine if k in theirs)
            if not shared:
                continue
            other = members[pid]
            rank = (-len(shared), other.get("language") != fields.get("language"),
                    other.get("region") != fields.get("region"), -partner.score, pid)  # fmt: skip
            if best is None or rank < best[0]:
                best = (rank, pid, shared)
        if best is not None:
            load[best[1]] = load.get(best[1], 0) + 1
            out.append(Introduction(newcomer.member_id, best[1], best[2]))
    return out


def newcomer_of(t: Tie) -> tuple[str, str]:
    """(newcomer, partner) from an introduction's ref `intro:<newcomer>:<partner>`."""
    _prefix, newcomer, partner = t.ref.split(":", 2)
    return newcomer, partner
