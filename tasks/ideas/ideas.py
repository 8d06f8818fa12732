"""The rules of co-created event ideas: the Ideas tab, each member's dots, the ranking and the shortlist.

* **Ideas tab**: id, title, description, who proposed it, feasibility notes (a coordinator's).
* **A dot vote** (`[ideas] round`, `opens`, `closes`): each member taking part (`audience`) gets a personal
  signed link (purpose `dots`, scope = the round) to a page where they spread or stack `dots` dots over the
  ideas: never more than `dots` in all, whole numbers, on ideas of the round only. Voting again replaces the
  allocation until the close. Forged or foreign tokens never reach the page.
* **At close** the ideas are ranked by dots, then by how many members gave them any, then by their row; the
  top `shortlist` become draft rows of the Events tab (status draft, a placeholder date, the feasibility notes
  in the description) for a coordinator to finish, once (ledger `ideas-draft:<round>:<idea>`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.text import normalise_text
from weaver.config import IdeasConfig

FLOW = "event-ideas"
PURPOSE = "dots"
ROW_PROBLEMS = ("no_id", "bad_id", "duplicate_id", "no_title")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


@dataclass(frozen=True)
class Idea:
    row: int
    idea_id: str
    title: str
    description: str = ""
    proposed_by: str = ""
    feasibility: str = ""


@dataclass
class Ideas:
    ideas: list[Idea] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    missing_tab: bool = False


def parse_ideas(grid: Grid | None, cfg: IdeasConfig, source: str = "") -> Ideas:
    if grid is None:
        return Ideas(missing_tab=True)
    if not grid:
        return Ideas()
    cols = Columns(grid[0], cfg.tab, source)
    need = {f: cols.require(cfg.column(f), f"[ideas.columns] {f}") for f in ("idea_id", "title")}
    opt = {f: cols.find(cfg.column(f)) for f in ("description", "proposed_by", "feasibility")}
    out, seen = Ideas(), set()
    for number, raw in enumerate(grid[1:], start=2):
        v = {f: normalise_text(raw[c]) if c is not None and c < len(raw) else "" for f, c in (need | opt).items()}
        if not any(v.values()):
            continue
        problem = ("no_id" if not v["idea_id"] else "bad_id" if not _ID.match(v["idea_id"])
                   else "duplicate_id" if v["idea_id"] in seen else "no_title" if not v["title"] else "")  # fmt: skip
        if problem:
            out.problems.append((number, problem))
            continue
        seen.add(v["idea_id"])
        out.ideas.append(Idea(number, v["idea_id"], v["title"], v["description"], v["proposed_by"], v["feasibility"]))
    return out


class DotError(ValueError):
    """An allocation the page refuses: `code` is over_budget, not_a_number or unknown_idea."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def allocation(form: Mapping[str, str], idea_ids: Sequence[str], budget: int) -> dict[str, int]:
    """The dots a member gave (form fields `dots-<idea id>`), checked against their budget."""
    dots: dict[str, int] = {}
    for key, value in form.items():
        if not key.startswith("dots-"):
            continue
        idea = key.removeprefix("dots-")
        if idea not in idea_ids:
            raise DotError("unknown_idea")
        text = value.strip() or "0"
        if not text.isdigit():
            raise DotError("not_a_number")
        if int(text):
            dots[idea] = int(text)
    if sum(dots.values()) > budget:
        raise DotError("over_budget")
    return dots


@dataclass(frozen=True)
class Ranked:
    idea: Idea
    dots: int
    voters: int


def rank(ideas: Sequence[Idea], votes: Sequence[Mapping[str, int]], budget: int) -> list[Ranked]:
    """Ideas by dots, then by members who gave any, then by row; an allocation over budget counts for nothing."""
    dots = {i.idea_id: 0 for i in ideas}
    voters = {i.idea_id: 0 for i in ideas}
    for vote in votes:
        valid = {k: v for k, v in vote.items() if k in dots and isinstance(v, int) and v > 0}
        if sum(valid.values()) > budget:
            continue
        for idea, n in valid.items():
            dots[idea] += n
            voters[idea] += 1
    ranked = [Ranked(i, dots[i.idea_id], voters[i.idea_id]) for i in ideas]
    return sorted(ranked, key=lambda r: (-r.dots, -r.voters, r.idea.row))
