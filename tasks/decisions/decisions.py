"""The rules of decision rounds: proposals, who takes part, one response per member, the tally at close.

* **Proposals tab**: id, title and text in Chinese and English, kind (`advice`, `consent` or `vote` with its
  options), who takes part (the audience grammar), opens, closes (the end of that day, network time), quorum
  (`50%` of those taking part, or a number of responses).
* **One response per member**, kept by (proposal, member): answering again replaces it until the close; after
  it the page shows the answer and changes nothing. Responses come only through a personal signed link
  (`weaver.links`, purpose `decide`, scope = the proposal): a forged token or one of another network never
  reaches the page, and only the responses of members taking part are counted.
* **Tally at close**: no quorum -> `no_quorum`. A vote: the option with most votes, `tie` when two lead. Consent:
  `passed` when nobody objects, else `objected` (the objections listed). Advice: `advice` (support and concerns
  counted, comments kept for the proposer). The outcome is written once to the Decisions tab and announced.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from connectors.tables import Grid
from tasks.common.audience import AudienceError, parse_audience
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.text import normalise_text
from weaver.config import DecisionsConfig
from weaver.errors import SourceError

FLOW = "decision-rounds"
PURPOSE = "decide"
KINDS = ("advice", "consent", "vote")
CONSENT_CHOICES = ("consent", "stand_aside", "object")
ADVICE_CHOICES = ("support", "concern")
RESULTS = ("no_quorum", "tie", "passed", "objected", "advice", "chosen")
ROW_PROBLEMS = ("no_id", "duplicate_id", "no_title", "bad_kind", "no_options", "bad_opens", "bad_closes",
                "closes_before_opens", "bad_quorum", "bad_audience")  # fmt: skip
_KIND_WORDS = {"advice": "advice", "建议": "advice", "征求意见": "advice", "consent": "consent", "同意": "consent",
               "共识": "consent", "无异议": "consent", "vote": "vote", "投票": "vote", "表决": "vote"}  # fmt: skip


@dataclass(frozen=True)
class Proposal:
    row: int
    proposal_id: str
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    kind: str
    options: tuple[str, ...]
    audience: str
    opens: date
    closes: date
    quorum_share: Decimal | None = None  # of those taking part
    quorum_count: int = 0

    def title(self, lang: str) -> str:
        return (self.title_zh or self.title_en) if lang == "zh" else (self.title_en or self.title_zh)

    def text(self, lang: str) -> str:
        return (self.text_zh or self.text_en) if lang == "zh" else (self.text_en or self.text_zh)

    @property
    def choices(self) -> tuple[str, ...]:
        return self.options if self.kind == "vote" else CONSENT_CHOICES if self.kind == "consent" else ADVICE_CHOICES

    def closes_at(self, tz: str) -> datetime:
        """The end of the closing day in the network's time zone."""
        return datetime.combine(self.closes + timedelta(days=1), time(0), ZoneInfo(tz))

    def needed(self, eligible: int) -> int:
        if self.quorum_share is not None:
            return math.ceil(self.quorum_share * eligible)
        return self.quorum_count

    def status(self, today: date) -> str:
        return "upcoming" if today < self.opens else "open" if today <= self.closes else "closed"

    def snapshot(self, tz: str) -> dict[str, object]:
        """What the page shows (it never reads the spreadsheet)."""
        return {"title_zh": self.title_zh, "title_en": self.title_en, "text_zh": self.text_zh,
                "text_en": self.text_en, "kind": self.kind, "choices": list(self.choices),
                "closes": self.closes.isoformat(), "closes_at": self.closes_at(tz).isoformat()}  # fmt: skip


@dataclass
class Proposals:
    proposals: list[Proposal] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    missing_tab: bool = False


def parse_quorum(text: str) -> tuple[Decimal | None, int]:
    """'50%' -> (0.5, 0); '12' -> (None, 12); '' -> (None, 0). ValueError otherwise."""
    value = normalise_text(text).replace(" ", "")
    if not value:
        return None, 0
    try:
        if value.endswith("%"):
            share = Decimal(value[:-1]) / 100
            if not 0 <= share <= 1:
                raise ValueError("quorum")
            return share, 0
        count = int(value)
    except (InvalidOperation, ValueError):
        raise ValueError("quorum") from None
    if count < 0:
        raise ValueError("quorum")
    return None, count


def parse_proposals(grid: Grid | None, cfg: DecisionsConfig, source: str = "") -> Proposals:
    if grid is None:
        return Proposals(missing_tab=True)
    if not grid:
        return Proposals()
    cols = Columns(grid[0], cfg.proposals_tab, source)
    need = {f: cols.require(cfg.column(f), f"[decisions.columns] {f}") for f in ("proposal_id", "kind", "closes")}
    opt = {f: cols.find(cfg.column(f)) for f in ("title_zh", "title_en", "text_zh", "text_en", "options",
                                                 "audience", "opens", "quorum")}  # fmt: skip
    out, seen = Proposals(), set()
    for number, raw in enumerate(grid[1:], start=2):
        v = {f: normalise_text(raw[c]) if c is not None and c < len(raw) else "" for f, c in (need | opt).items()}
        if not any(v.values()):
            continue
        proposal, problem = _proposal(number, v)
        if proposal is not None and proposal.proposal_id in seen:
            proposal, problem = None, "duplicate_id"
        if proposal is None:
            out.problems.append((number, problem))
        else:
            seen.add(proposal.proposal_id)
            out.proposals.append(proposal)
    return out


def _proposal(row: int, v: Mapping[str, str]) -> tuple[Proposal | None, str]:
    if not v["proposal_id"]:
        return None, "no_id"
    if not (v["title_zh"] or v["title_en"]):
        return None, "no_title"
    kind = _KIND_WORDS.get(v["kind"].casefold())
    if kind is None:
        return None, "bad_kind"
    options = tuple(o.strip() for o in v["options"].replace("；", ";").replace("|", ";").split(";") if o.strip())
    if kind == "vote" and len(options) < 2:
        return None, "no_options"
    closes = parse_date(v["closes"]) if v["closes"] else None
    if closes is None:
        return None, "bad_closes"
    opens = parse_date(v["opens"]) if v["opens"] else closes
    if opens is None:
        return None, "bad_opens"
    if opens > closes:
        return None, "closes_before_opens"
    try:
        share, count = parse_quorum(v["quorum"])
    except ValueError:
        return None, "bad_quorum"
    try:
        parse_audience(v["audience"] or "all")
    except AudienceError:
        return None, "bad_audience"
    proposal = Proposal(row, v["proposal_id"], v["title_zh"], v["title_en"], v["text_zh"], v["text_en"], kind,
                        options, v["audience"] or "all", date.fromisoformat(opens), date.fromisoformat(closes), share,
                        count)  # fmt: skip
    return proposal, ""


# the tally ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    member_id: str
    choice: str
    comment: str = ""


@dataclass
class Outcome:
    proposal: Proposal
    eligible: int
    responded: int
    needed: int
    counts: dict[str, int]
    result: str  # one of RESULTS
    chosen: str = ""  # the winning option of a vote
    objections: list[Response] = field(default_factory=list)
    comments: list[Response] = field(default_factory=list)

    @property
    def quorum_met(self) -> bool:
        return self.responded >= self.needed


def tally(proposal: Proposal, eligible: Sequence[str], answers: Sequence[Response]) -> Outcome:
    """Count the responses of members taking part (one each: the last answer before the close)."""
    taking_part = set(eligible)
    valid = [r for r in answers if r.member_id in taking_part and r.choice in proposal.choices]
    latest = {r.member_id: r for r in valid}  # the store keeps one per member; this guards a caller's list
    counted = list(latest.values())
    counts = {c: 0 for c in proposal.choices} | dict(Counter(r.choice for r in counted))
    needed = proposal.needed(len(taking_part))
    out = Outcome(proposal, len(taking_part), len(counted), needed, counts, "no_quorum")
    out.comments = [r for r in counted if r.comment]
    out.objections = [r for r in counted if r.choice == "object"]
    if not out.quorum_met:
        return out
    if proposal.kind == "vote":
        ranked = sorted(proposal.choices, key=lambda c: -counts[c])
        if len(ranked) > 1 and counts[ranked[0]] == counts[ranked[1]]:
            out.result = "tie"
        else:
            out.result, out.chosen = "chosen", ranked[0]
    elif proposal.kind == "consent":
        out.result = "objected" if out.objections else "passed"
    else:
        out.result = "advice"
    return out


def calendar_closes(grid: Grid | None, cfg: DecisionsConfig, today: date, lang: str) -> list[tuple[int, str, date]]:
    """(row, title, close) of rounds closing today or later: what event-invites puts into calendar.ics."""
    if not grid or Columns(grid[0], cfg.proposals_tab).find(cfg.column("proposal_id")) is None:
        return []
    try:
        proposals = parse_proposals(grid, cfg).proposals
    except SourceError:  # a tab missing a required column is decision-rounds' to report, not the calendar's
        return []
    return [(p.row, p.title(lang), p.closes) for p in proposals if p.closes >= today]
