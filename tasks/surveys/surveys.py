"""Surveys, pure logic: the surveys tab, audiences, per-member tokens and links; what planning reads.

No I/O here: reading is tasks/surveys/read.py, planning the invitations and reminders tasks/surveys/plan.py.
Rules a coordinator can rely on:

* Each member gets a personal link: the form's link with a token in a prefilled field (Google Forms
  `entry.NNN=`), a hidden field (Typeform `#token=`, Tally `?token=`) or a query parameter (any other form).
  The token is an HMAC of (survey, member) under the network's secret: it cannot be guessed or forged, it
  reveals nothing about the member, and a response carrying it maps back to the member without asking for
  an email. A response with no token or an unknown one is kept as anonymous, never attributed.
* Invitations go to the audience while the survey is open (from `opens` to the end of `closes`, in the
  network's time zone). Nothing is sent before it opens or after it closes.
* Reminders: `3, 7` means 3 and 7 days after the survey opens; `-1` means the day before it closes. On a run,
  only the latest reminder that has fallen due is sent, and only to members who have not answered and were
  invited before the reminder's day (a late invitee skips it and gets the next). A missed reminder is never
  sent late.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from connectors.tables import Grid, cell_name
from tasks.common.columns import Columns
from tasks.common.dates import parse_date
from tasks.common.text import normalise_text
from weaver.config import MEMBER_FIELDS
from weaver.i18n import catalogue, t

PROVIDERS = ("google_forms", "typeform", "tally", "other")
# our column -> the headers a coordinator may use (English or Chinese; case, spaces and width ignored)
COLUMNS: dict[str, tuple[str, ...]] = {
    "survey_id": ("survey_id", "survey id", "问卷编号"),
    "title": ("title", "标题"),
    "provider": ("provider", "平台"),
    "form_link": ("form_link", "form link", "表单链接"),
    "token_field": ("token_field", "token field", "令牌字段"),
    "form": ("form", "form_id", "表单"),
    "audience": ("audience", "对象"),
    "opens": ("opens", "开始"),
    "closes": ("closes", "截止"),
    "reminders": ("reminders", "提醒"),
    "segment_by": ("segment_by", "segment by", "分组"),
    "responses_csv": ("responses_csv", "responses file", "回复文件"),
}
REQUIRED = ("survey_id", "title", "form_link", "opens", "closes")
_SURVEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_ENTRY = re.compile(r"^entry\.\d+$")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CLAUSE = re.compile(r"^\s*([^=:：]+?)\s*[=:：]\s*(.*)$", re.S)
_ALL = frozenset({"", "all", "everyone", "全部", "所有", "所有成员", "全体成员"})
TOKEN_BYTES = 15  # 120 bits: 24 base32 characters, no padding


# the surveys tab ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Audience:
    """Who a survey is for: every active member, or those matching all clauses (each: any of its values)."""

    text: str = ""
    clauses: tuple[tuple[str, frozenset[str]], ...] = ()

    def matches(self, member_id: str, fields: Mapping[str, str]) -> bool:
        for name, values in self.clauses:
            if name == "member_id":
                if member_id.casefold() not in values:
                    return False
            elif name == "interests":
                have = {_fold(v) for v in re.split(r"[,，、;；/|]", fields.get("interests", "")) if v.strip()}
                if not have & values:
                    return False
            elif _fold(fields.get(name, "")) not in values:
                return False
        return True


@dataclass(frozen=True)
class Survey:
    row: int
    survey_id: str
    title: str
    provider: str
    form_link: str
    token_field: str
    form: str
    audience: Audience
    opens: date
    closes: date
    reminders: tuple[int, ...] = ()
    segment_by: str = "region"
    responses_csv: str = ""

    def status(self, today: date) -> str:
        if today < self.opens:
            return "upcoming"
        return "closed" if today > self.closes else "open"

    def reminder_dates(self) -> list[date]:
        """When each reminder falls due: `opens + n` days, or `closes - n` days for a negative offset."""
        days = {self.opens + timedelta(days=n) if n >= 0 else self.closes + timedelta(days=n) for n in self.reminders}
        return sorted(days)

    def due_reminder(self, today: date) -> date | None:
        """The latest reminder fallen due by `today`, while the survey is open; earlier ones are superseded."""
        if self.status(today) != "open":
            return None
        due = [d for d in self.reminder_dates() if d <= today]
        return due[-1] if due else None


@dataclass(frozen=True)
class RejectedRow:
    where: str  # a cell (Surveys!H3) or a row (Surveys row 3)
    reason: str


@dataclass
class SurveyTab:
    surveys: list[Survey] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)


def _fold(text: str) -> str:
    return normalise_text(text).casefold()


def _header_index(header: Sequence[str], tab: str) -> dict[str, int]:
    """Our column -> its index, by `Columns` (a space and an underscore are the same in these headers)."""
    columns = Columns([normalise_text(h).replace(" ", "_") for h in header], tab)
    found = {name: columns.first(a.replace(" ", "_") for a in aliases) for name, aliases in COLUMNS.items()}
    return {name: col for name, col in found.items() if col is not None}


def parse_surveys(grid: Grid, tab: str, lang: str) -> SurveyTab:
    """Every non-blank row becomes a survey or a rejected row naming its cell and reason."""
    out = SurveyTab()
    if not grid:
        return out
    cols = _header_index(grid[0], tab)
    missing = [c for c in REQUIRED if c not in cols]
    if missing:
        out.rejected.append(RejectedRow(f"{tab} row 1", t("survey.missing_columns", lang, columns=", ".join(missing))))
        return out
    seen: set[str] = set()
    for row_no, raw in enumerate(grid[1:], start=2):
        values = {name: normalise_text(raw[i]) if i < len(raw) and raw[i] else "" for name, i in cols.items()}
        if not any(values.values()):
            continue
        try:
            survey = _parse_row(row_no, values, cols, tab, lang)
        except _CellError as exc:
            out.rejected.append(RejectedRow(exc.where, exc.reason))
            continue
        if survey.survey_id in seen:
            where = cell_name(tab, row_no, cols["survey_id"] + 1)
            out.rejected.append(RejectedRow(where, t("survey.duplicate_id", lang, id=survey.survey_id)))
            continue
        seen.add(survey.survey_id)
        out.surveys.append(survey)
    return out


class _CellError(Exception):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where, self.reason = where, reason


def _parse_row(row: int, values: dict[str, str], cols: dict[str, int], tab: str, lang: str) -> Survey:
    def fail(name: str, key: str, **kw: object) -> _CellError:
        return _CellError(cell_name(tab, row, cols[name] + 1), t(key, lang, column=name, **kw))

    for name in REQUIRED:
        if not values.get(name):
            raise fail(name, "survey.missing")
    if not _SURVEY_ID.match(values["survey_id"]):
        raise fail("survey_id", "survey.bad_id")
    provider, token_field = _form_fields(values, cols, fail)
    opens, closes = (
        _date(values["opens"], lambda: fail("opens", "survey.bad_date")),
        _date(values["closes"], lambda: fail("closes", "survey.bad_date")),
    )
    if closes < opens:
        raise fail("closes", "survey.closes_before_opens")
    reminders = _reminders(values.get("reminders", ""), opens, closes, lambda key, **kw: fail("reminders", key, **kw))
    audience = _audience(values.get("audience", ""), lambda key, **kw: fail("audience", key, **kw))
    segment = values.get("segment_by", "") or "region"
    if segment not in MEMBER_FIELDS:
        raise fail("segment_by", "survey.bad_segment", known=", ".join(MEMBER_FIELDS))
    return Survey(row, values["survey_id"], values["title"], provider, values["form_link"], token_field,
                  values.get("form", ""), audience, opens, closes, reminders, segment,
                  values.get("responses_csv", ""))  # fmt: skip


def _form_fields(values: dict[str, str], cols: dict[str, int], fail: Any) -> tuple[str, str]:
    """The provider (from its column, else guessed from the link) and the field that carries the token."""
    parts = urlsplit(values["form_link"])
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise fail("form_link", "survey.bad_link")
    provider = values.get("provider", "").casefold().replace(" ", "_") or _provider_of(parts.netloc, parts.path)
    if provider not in PROVIDERS:
        raise fail("provider" if values.get("provider") else "form_link", "survey.bad_provider",
                   known=", ".join(PROVIDERS))  # fmt: skip
    if provider == "google_forms" and parts.netloc.casefold() == "forms.gle":
        raise fail("form_link", "survey.short_link")
    token_field = values.get("token_field", "") or ("" if provider == "google_forms" else "token")
    if provider == "google_forms" and not _ENTRY.match(token_field):
        raise fail("token_field" if "token_field" in cols else "form_link", "survey.bad_entry")
    if provider != "google_forms" and not _FIELD_NAME.match(token_field):
        raise fail("token_field", "survey.bad_field")
    return provider, token_field


def _provider_of(host: str, path: str) -> str:
    host = host.casefold()
    if host == "docs.google.com" and path.startswith("/forms/") or host == "forms.gle":
        return "google_forms"
    if host.endswith("typeform.com"):
        return "typeform"
    if host in ("tally.so", "www.tally.so"):
        return "tally"
    return "other"


def _date(text: str, fail: Any) -> date:
    iso = parse_date(text)
    if iso is None:
        raise fail()
    return date.fromisoformat(iso)


def _reminders(text: str, opens: date, closes: date, fail: Any) -> tuple[int, ...]:
    offsets: list[int] = []
    for part in re.split(r"[,，、;；\s]+", text.strip()):
        if not part:
            continue
        try:
            offsets.append(int(part))
        except ValueError:
            raise fail("survey.bad_reminder", value=part) from None
        due = opens + timedelta(days=offsets[-1]) if offsets[-1] >= 0 else closes + timedelta(days=offsets[-1])
        if not opens < due <= closes:
            raise fail("survey.reminder_outside", value=part)
    return tuple(offsets)


def _field_names() -> dict[str, str]:
    """Member field names a coordinator may write in an audience, in English or Chinese (地区 = region)."""
    names = {name: name for name in (*MEMBER_FIELDS, "member_id")}
    for name in MEMBER_FIELDS:
        for text in catalogue().get(f"field.{name}", {}).values():
            names[_fold(text)] = name
    names.update({"成员编号": "member_id", "interest": "interests"})
    return names


def _audience(text: str, fail: Any) -> Audience:
    """`all`, or clauses joined by ';': `region = 华东 | 华南; language = zh`, `interests: 气候, 教育`."""
    if _fold(text) in _ALL:
        return Audience()
    known = _field_names()
    clauses: list[tuple[str, frozenset[str]]] = []
    for clause in re.split(r"[;；\n]", text):
        if not clause.strip():
            continue
        match = _CLAUSE.match(clause)
        field_name = known.get(_fold(match.group(1))) if match else None
        if match is None or field_name is None:
            raise fail("survey.bad_audience", clause=clause.strip())
        values = frozenset(_fold(v) for v in re.split(r"[|,，、/]", match.group(2)) if v.strip())
        if not values:
            raise fail("survey.bad_audience", clause=clause.strip())
        clauses.append((field_name, values))
    return Audience(text, tuple(clauses))


# tokens and links -----------------------------------------------------------------------------------------
def member_token(secret: bytes, survey_id: str, member_id: str) -> str:
    """An unguessable, unlinkable token for one member in one survey (120 bits of HMAC-SHA256)."""
    mac = hmac.new(secret, f"survey\x1f{survey_id}\x1f{member_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(mac[:TOKEN_BYTES]).decode().lower()


def token_index(secret: bytes, survey_id: str, member_ids: Sequence[str]) -> dict[str, str]:
    """token -> member id for every member of the network: how a response maps back to its member."""
    return {member_token(secret, survey_id, m): m for m in member_ids}


def normalise_token(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip().lower()


def personal_link(survey: Survey, token: str) -> str:
    """The form's link carrying the member's token where the provider reads it."""
    parts = urlsplit(survey.form_link)
    if survey.provider == "typeform":  # hidden fields travel in the fragment
        fragment = "&".join(p for p in (parts.fragment, urlencode({survey.token_field: token})) if p)
        return urlunsplit(parts._replace(fragment=fragment))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("usp", survey.token_field)]
    if survey.provider == "google_forms":
        query = [("usp", "pp_url"), *query]  # Google's marker of a pre-filled link
    query.append((survey.token_field, token))
    return urlunsplit(parts._replace(query=urlencode(query)))


# what planning reads --------------------------------------------------------------------------------------
SURVEY_STATUSES = ("open", "closed", "upcoming")  # the report says survey.status.<status>


@dataclass(frozen=True)
class Network:
    """What the emails say about the network. Its clock (today, time zone) is the run's `weaver.clock.Clock`."""

    name: str
    default_language: str


@dataclass
class SurveyContext:
    """What planning needs from the state database, read once per run."""

    network: Network
    secret: bytes
    members: list[dict[str, Any]]  # active members (member_id, email, fields)
    all_members: dict[str, dict[str, Any]]  # every member ever synced, by id (tokens and segments)
    sent: dict[str, dict[str, datetime]]  # survey id -> invitation/reminder key -> when it was sent
    throwaway_secret: bool = False  # a dry run on a workspace that has no secret yet

    def invited(self, survey_id: str) -> set[str]:
        prefix = f"survey-invite:{survey_id}:"
        return {k.removeprefix(prefix) for k in self.sent.get(survey_id, {}) if k.startswith(prefix)}

    def names(self) -> dict[str, str]:
        """member id -> name, for reports: people are named, not numbered."""
        return {mid: (m.get("fields") or {}).get("name", "") or mid for mid, m in self.all_members.items()}
