"""The rules of funder stewardship: the Funders tab, when contact is due, report deadlines, meeting prep.

* **Keep in touch.** A funder's contact is due `cadence` after the last contact (`monthly`, `quarterly`,
  `90`, `6 weeks`, `每季度` ...). Its owner hears once per due date (key `funder-contact:<funder>:<due>`);
  logging a contact in the tab moves the date, and the next reminder comes a cadence later.
* **Reports.** Before a report is due, the owner hears once per threshold (`report_days`, the tightest
  reached: key `funder-report:<funder>:<due>:<days>`); report deadlines also go into calendar.ics (written
  by event-invites, with the opportunities' deadlines).
* **Meeting prep.** When the next meeting is within `prep_days`, its owner gets a prep sheet once (key
  `funder-prep:<funder>:<meeting>`): the funder's open opportunities and past awards from the pipeline, the
  notes, and the newest impact fact sheet if the network keeps one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from connectors.tables import Grid
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.text import normalise_text
from tasks.grants.pipeline import OPEN_STAGES, parse_stage
from weaver.config import FundersConfig

FLOW = "funder-stewardship"
ROW_PROBLEMS = ("no_funder", "bad_cadence", "bad_last_contact", "bad_report_due", "bad_next_meeting")

_WORDS = {"weekly": 7, "每周": 7, "fortnightly": 14, "biweekly": 14, "每两周": 14, "monthly": 30, "每月": 30,
          "bimonthly": 61, "每两月": 61, "每两个月": 61, "quarterly": 91, "每季度": 91, "每季": 91,
          "half-yearly": 182, "半年": 182, "每半年": 182, "yearly": 365, "annually": 365, "每年": 365}  # fmt: skip
_UNITS = {"d": 1, "day": 1, "days": 1, "天": 1, "日": 1, "w": 7, "week": 7, "weeks": 7, "周": 7, "m": 30,
          "month": 30, "months": 30, "个月": 30, "月": 30}  # fmt: skip
_SPAN = re.compile(r"^(?:every\s+|每)?(\d+)\s*([a-z]+|天|日|周|个月|月)?$")


def parse_cadence(text: str) -> int | None:
    """Days between contacts: 'monthly' 30, 'quarterly' 91, '90' 90, '6 weeks' 42, '每两周' 14; None if unreadable."""
    value = normalise_text(text).casefold()
    if value in _WORDS:
        return _WORDS[value]
    match = _SPAN.match(value)
    if not match or (match[2] and match[2] not in _UNITS):
        return None
    days = int(match[1]) * _UNITS.get(match[2] or "d", 1)
    return days if days > 0 else None


@dataclass(frozen=True)
class Funder:
    row: int
    name: str
    owner: str
    cadence: int | None
    last_contact: date | None
    report_due: date | None
    next_meeting: date | None
    notes: str = ""

    @property
    def fid(self) -> str:
        return hashlib.blake2b(self.name.casefold().encode(), digest_size=6).hexdigest()


@dataclass
class Funders:
    funders: list[Funder] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)
    missing_tab: bool = False


def parse_funders(grid: Grid | None, cfg: FundersConfig, source: str = "") -> Funders:
    if grid is None:
        return Funders(missing_tab=True)
    if not grid:
        return Funders()
    cols = Columns(grid[0], cfg.tab, source)
    where = {"funder": cols.require(cfg.column("funder"), "[funders.columns] funder")}
    where |= {f: cols.find(cfg.column(f)) for f in ("owner", "cadence", "last_contact", "report_due", "next_meeting",
                                                    "notes")}  # fmt: skip
    out = Funders()
    for number, raw in enumerate(grid[1:], start=2):
        v = {f: normalise_text(raw[c]) if c is not None and c < len(raw) else "" for f, c in where.items()}
        if not any(v.values()):
            continue
        if not v["funder"]:
            out.problems.append((number, "no_funder"))
            continue
        cadence = parse_cadence(v["cadence"]) if v["cadence"] else None
        if v["cadence"] and cadence is None:
            out.problems.append((number, "bad_cadence"))
        days: dict[str, date | None] = {}
        for f in ("last_contact", "report_due", "next_meeting"):
            iso = parse_date(v[f]) if v[f] else None
            if v[f] and iso is None:
                out.problems.append((number, f"bad_{f}"))
            days[f] = date.fromisoformat(iso) if iso else None
        out.funders.append(Funder(number, v["funder"], v["owner"].lower(), cadence, days["last_contact"],
                                  days["report_due"], days["next_meeting"], v["notes"]))  # fmt: skip
    return out


# the pipeline, for prep sheets --------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineItem:
    funder: str
    title: str
    amount: str
    stage: str | None
    deadline: str

    @property
    def open(self) -> bool:
        return self.stage in (None, *OPEN_STAGES, "submitted")


def parse_pipeline(grid: Grid | None, columns: Mapping[str, str]) -> list[PipelineItem]:
    """The opportunities tab as prep sheets need it (funder, title, amount, stage, deadline)."""
    if not grid:
        return []
    header = Columns(grid[0], "opportunities")
    defaults = {"funder": "Funder", "title": "Title", "amount": "Amount", "currency": "Currency", "stage": "Stage",
                "deadline": "Deadline"}  # fmt: skip
    cols = {f: header.find(columns.get(f) or d) for f, d in defaults.items()}
    if cols["funder"] is None or cols["title"] is None:
        return []
    out = []
    for raw in grid[1:]:
        c = {f: normalise_text(raw[i]) if i is not None and i < len(raw) else "" for f, i in cols.items()}
        if c["funder"] and c["title"]:
            amount = " ".join(x for x in (c["currency"], c["amount"]) if x)
            out.append(PipelineItem(c["funder"], c["title"], amount, parse_stage(c["stage"]), c["deadline"]))
    return out


def of_funder(items: list[PipelineItem], name: str) -> list[PipelineItem]:
    key = name.casefold()
    return [i for i in items if i.funder.casefold() == key]


def calendar_deadlines(grid: Grid | None, cfg: FundersConfig, today: date) -> list[tuple[int, str, date]]:
    """(row, funder, day) of report deadlines from today on: what event-invites puts into calendar.ics."""
    if not grid or Columns(grid[0], cfg.tab).find(cfg.column("funder")) is None:
        return []
    return [(f.row, f.name, f.report_due) for f in parse_funders(grid, cfg).funders
            if f.report_due is not None and f.report_due >= today]  # fmt: skip
