"""Chat prompts, pure: the question of the week, the weekly "what's on" digest and event reminders, each once.

Rules a coordinator can rely on:

* **Questions.** The Prompts tab holds one question per row: 编号 / `prompt_id`, 日期 / `date` (the day, or day
  and time, it is posted on, in the network's time zone), 中文问题 / `text_zh`, 英文问题 / `text_en`, 状态 /
  `status` (草稿 / draft rows wait). A question is posted once (`chat-prompt:<id>`) by the first run on or
  after its time, in both languages; a question more than `stale_days` late is not posted (listed as missed).
* **What's on.** Once a week (`chat-digest:<ISO week>`), on the first run on or after `digest_weekday`: the
  events of the next 7 days, the deadlines of the next 14 days, and the members who joined in the last 7 days
  and said yes to the public directory (by name only).
* **Event reminders.** Each scheduled event is reminded once in chat (`chat-reminder:<event>:<start>`) by the
  first run within `event_reminder_hours` before it starts; a moved event is reminded again at its new time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.tables import Grid, cell_name
from tasks.common.text import normalise_header, normalise_text
from tasks.events.events import Event, parse_when
from weaver.ledger import Action

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALIASES = {
    "prompt_id": ("prompt_id", "id", "编号"),
    "date": ("date", "when", "日期", "时间", "发布时间"),
    "text_zh": ("text_zh", "中文", "中文问题", "问题（中文）"),
    "text_en": ("text_en", "english", "英文", "英文问题", "问题（英文）"),
    "status": ("status", "状态"),
}
_WAIT = {"draft", "草稿", "hidden", "隐藏", "no", "否"}


@dataclass(frozen=True)
class Chat:
    """One chat message: a key for the ledger, a title and a body (the chat role's post(title, body))."""

    key: str
    kind: str  # prompt | digest | reminder
    title: str
    body: str

    def action(self) -> Action:
        return Action(self.key, f"chat-{self.kind}", f"chat {self.kind}", {"title": self.title, "body": self.body})


@dataclass
class PromptPlan:
    messages: list[Chat] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)  # questions more than stale_days late
    waiting: int = 0  # questions whose day has not come
    problems: list[str] = field(default_factory=list)  # cell: reason


@dataclass(frozen=True)
class Question:
    row: int
    prompt_id: str
    when: datetime
    texts: Mapping[str, str]


def parse_questions(grid: Grid, tab: str, timezone: str, plan: PromptPlan, bad_date: str) -> list[Question]:
    if not grid:
        return []
    keys = {normalise_header(a): name for name, aliases in ALIASES.items() for a in aliases}
    cols: dict[str, int] = {}
    for col, text in enumerate(grid[0]):
        name = keys.get(normalise_header(str(text)))
        if name is not None:
            cols.setdefault(name, col)
    zone, out = ZoneInfo(timezone), []
    for offset, raw in enumerate(grid[1:]):
        row = offset + 2
        cells = {k: str(raw[c]).strip() if c < len(raw) and raw[c] is not None else "" for k, c in cols.items()}
        if not cells.get("prompt_id") or normalise_text(cells.get("status", "")).casefold() in _WAIT:
            continue
        text = cells.get("date", "")
        when = parse_when(text, zone) or parse_when(f"{text} 09:00", zone)
        if when is None:
            where = cell_name(tab, row, cols["date"] + 1) if "date" in cols else f"{tab}!{row}"
            plan.problems.append(f"{where}: {bad_date}")
            continue
        texts = {lang: cells.get(f"text_{lang}", "") for lang in ("zh", "en")}
        if any(texts.values()):
            out.append(Question(row, cells["prompt_id"], when, texts))
    return out


def plan_questions(questions: Sequence[Question], now: datetime, stale_days: int, title: str, plan: PromptPlan) -> None:
    for q in questions:
        if q.when > now:
            plan.waiting += 1
        elif now - q.when > timedelta(days=stale_days):
            plan.missed.append(q.prompt_id)
        else:
            body = "\n".join(text for text in (q.texts.get("zh", ""), q.texts.get("en", "")) if text)
            plan.messages.append(Chat(f"chat-prompt:{q.prompt_id}", "prompt", title, body))


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_due(today: date, weekday: str) -> bool:
    """From the digest's weekday on, for the rest of that ISO week (a run that missed the day still posts it)."""
    return today.isoweekday() >= WEEKDAYS.index(weekday) + 1


@dataclass(frozen=True)
class DigestLine:
    kind: str  # event | deadline | newcomer
    text: str


def reminders(
    events: Sequence[Event], now: datetime, hours: int, title: str, describe: Mapping[str, str]
) -> list[Chat]:
    """One reminder per event starting within `hours` (`describe`: event id -> the reminder's text)."""
    out = []
    for e in sorted(events, key=lambda e: (e.start, e.row)):
        if now < e.start <= now + timedelta(hours=hours):
            out.append(Chat(f"chat-reminder:{e.event_id}:{e.start.isoformat()}", "reminder", title,
                            describe[e.event_id]))  # fmt: skip
    return out
