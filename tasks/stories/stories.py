"""stories, the vocabulary (pure): candidates from harvest insights and survey answers, and the tally.

A *candidate* is a quote its author offered: a harvest answer they agreed to share (tasks/harvest) or a member's
answer to a survey's story question (`[stories] questions`: any question whose title contains one of them). A
round puts a few candidates to every member for a vote by personal link; at its close the most voted are
*chosen*, and their authors are asked whether we may publish them. Only a yes (with their name or without it)
publishes a story.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

FLOW = "stories"
VOTE = "story-vote"  # link purposes: the vote page and the author's consent page
CONSENT = "story-consent"
ANSWERS = ("name", "anonymous", "no")
PUBLISH = ("name", "anonymous")


def story_id(ref: str) -> str:
    return "s-" + hashlib.sha256(ref.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Candidate:
    story_id: str
    author: str  # member id
    text: str
    source: str  # harvest | survey
    title: str  # the event's or the survey's title
    at: datetime

    def nominee(self) -> dict[str, str]:
        return {"story_id": self.story_id, "author": self.author, "text": self.text, "source": self.source,
                "title": self.title}  # fmt: skip


def candidates(harvest: Iterable[Mapping[str, Any]], event_titles: Mapping[str, str],
               responses: Iterable[Mapping[str, Any]], survey_titles: Mapping[str, str],
               questions: Sequence[str], min_chars: int) -> list[Candidate]:  # fmt: skip
    """Every quote offered as a story, oldest first (harvest answers shared with consent; survey story answers)."""
    out = []
    for a in harvest:
        text = str(a["quote"]).strip()
        if a["consent"] in PUBLISH and len(text) >= min_chars:
            ref = f"harvest:{a['event_id']}:{a['member_id']}"
            title = event_titles.get(a["event_id"], "")
            out.append(Candidate(story_id(ref), a["member_id"], text, "harvest", title, a["answered_at"]))
    wanted = [q.casefold() for q in questions if q.strip()]
    for r in responses:
        if not r.get("member_id"):
            continue  # an anonymous answer has nobody to ask for consent
        for question, answer in sorted((r.get("answers") or {}).items()):
            text = answer.strip() if isinstance(answer, str) else ""
            if len(text) >= min_chars and any(w in question.casefold() for w in wanted):
                ref = f"survey:{r['survey_id']}:{r['member_id']}:{question}"
                title = survey_titles.get(r["survey_id"], "")
                out.append(Candidate(story_id(ref), r["member_id"], text, "survey", title, r["submitted_at"]))
    return sorted(out, key=lambda c: (c.at, c.story_id))


def tally(nominees: Sequence[Mapping[str, str]], votes: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """(story id, votes) for each nominee, the most voted first (a tie keeps the nominees' order)."""
    counts = {n["story_id"]: 0 for n in nominees}
    for v in votes:
        for pick in set(v["picks"]):
            if pick in counts:
                counts[pick] += 1
    order = {n["story_id"]: i for i, n in enumerate(nominees)}
    return sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))
