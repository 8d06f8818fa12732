"""event-harvest, the vocabulary (pure): what a harvest answer holds and which events are being harvested.

An event is *finished* once its end is past. Its attendees (the Attendance tab's `attended` rows and the
check-ins made by link) are thanked within `[harvest] thank_within_days` of the end, each with a personal
link to the harvest page (`/l/harvest/<token>`, scope = the event id); the page takes answers until the
harvest *closes*, `[harvest] close_days` after the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

FLOW = "event-harvest"
PURPOSE = "harvest"  # the link purpose of the harvest page
TAGS = ("idea", "connection", "resource", "question", "other")  # what kind of insight an answer is
CONSENTS = ("name", "anonymous", "no")  # share the quote with my name, without it, or not at all
STATUSES = ("harvesting", "closed")
RATINGS = (1, 2, 3, 4, 5)


def thanks_key(event_id: str, member_id: str) -> str:
    return f"harvest-thanks:{event_id}:{member_id}"


def reminder_key(event_id: str, member_id: str) -> str:
    return f"harvest-reminder:{event_id}:{member_id}"


@dataclass(frozen=True)
class Answer:
    event_id: str
    member_id: str
    rating: int | None
    tag: str
    quote: str
    consent: str
    answered_at: datetime

    @property
    def shareable(self) -> bool:
        return self.consent in ("name", "anonymous") and bool(self.quote.strip())


@dataclass
class Finished:
    """A finished event being harvested (or closed), with who came and what they answered."""

    event_id: str
    title: str
    start: datetime
    end: datetime
    timezone: str
    closes: datetime
    status: str  # harvesting | closed
    attendees: list[str] = field(default_factory=list)  # member ids, sorted
    answers: list[Answer] = field(default_factory=list)
    thanked: set[str] = field(default_factory=set)  # by an earlier run
    reminded: set[str] = field(default_factory=set)  # by an earlier run
    opened: datetime | None = None  # when an earlier run first thanked (as of its clock)

    def snapshot(self, now: datetime) -> dict[str, object]:
        """What the harvest page shows and checks (weaver.state.harvest); `opened_at` is kept once set."""
        return {"event_id": self.event_id, "title": self.title, "starts_at": self.start, "ends_at": self.end,
                "closes_at": self.closes, "timezone": self.timezone, "opened_at": self.opened or now}  # fmt: skip


def top_insights(answers: list[Answer], n: int) -> list[Answer]:
    """The `n` best consented answers: the highest rated first, then the fuller quote, then the earliest."""
    shareable = [a for a in answers if a.shareable]
    ranked = sorted(shareable, key=lambda a: (-(a.rating or 0), -len(a.quote.strip()), a.answered_at, a.member_id))
    return ranked[:n]
