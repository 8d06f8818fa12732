"""Survey responses: gathered from three channels, attributed by token, recorded once.

Channels, all normalised to `Incoming` (answers keyed by question title):

* **Google Forms API**: `responses.list` since the form's high-water mark (kept in the state database),
  deduplicated on `responseId` (an edited response replaces its earlier answers).
* **The webhook inbox** (Typeform, Tally, Google Forms via Apps Script): rows of kind `survey` whose form name
  (in weaver.toml) is the survey id or its `form`; each is marked processed once recorded, or failed with the
  field that is malformed.
* **A CSV export** named in the survey's `responses_csv` column: any provider's export; a response id column
  is used when there is one, else the row's content identifies it (re-importing a longer export adds only
  the new rows).

Attribution is by token only: a valid token names its member; a missing, unknown or forged one makes the
response anonymous. It is never matched on a typed email or name, and email and name columns are not kept.
An attributed response is also recorded as an engagement event for its member.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.forms import FormResponse, FormSchema, FormsSource, parse_rfc3339
from tasks.common.text import normalise_text
from tasks.surveys.surveys import RejectedRow, Survey, SurveyContext, normalise_token, token_index
from weaver.i18n import t
from weaver.state import StateDB, read_cursor, utcnow
from weaver.state.submissions import inbox_entries
from weaver.state.surveys import known_response_ids, save_responses, stored_responses

_ID_HEADERS = frozenset({"response id", "responseid", "response_id", "submission id", "submission_id", "#", "id",
                         "respondent id", "回复编号", "提交编号"})  # fmt: skip
_TIME_HEADERS = frozenset({"timestamp", "submitted at", "submitted_at", "submit date (utc)", "submitted at (utc)",
                           "created at", "createdat", "时间戳记", "时间戳", "提交时间"})  # fmt: skip
# Columns that identify people are never kept: the token says who answered, nothing else may.
_PERSONAL = re.compile(
    r"e-?mail|邮箱|邮件地址|电子邮件|phone|电话|手机|^(your |full |first |last )?name$|^(您的)?(姓名|名字)$", re.I
)
_CSV_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                     "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S")  # fmt: skip
Answer = str | list[str]


@dataclass(frozen=True)
class Incoming:
    """One submission as read from a channel, before attribution."""

    id: str  # "<provider>:<response id>", the dedupe key across runs
    survey_id: str
    channel: str  # google_forms | inbox | csv
    submitted_at: datetime
    token: str
    answers: dict[str, Answer]
    inbox_id: str | None = None


@dataclass
class Collected:
    """Everything read from the channels in one run, for every survey."""

    responses: list[Incoming] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    inbox_failed: dict[str, str] = field(default_factory=dict)  # inbox id -> reason
    cursors: dict[str, str] = field(default_factory=dict)  # high-water marks to save
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # survey -> question title -> kind
    options: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # survey -> title -> options
    notes: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)  # external calls made (Forms API)


# answers ----------------------------------------------------------------------------------------------------
def clean_answer(value: Any) -> Answer | None:
    """Text, or a list of texts for a multi-choice answer; None for an empty answer."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        items = [normalise_text(str(v)) for v in value if v is not None and str(v).strip()]
        return items or None
    if isinstance(value, dict):  # e.g. a Typeform choice object: keep its label
        return clean_answer(value.get("label") or value.get("value") or value.get("text"))
    text = str(value).strip()
    return text or None


def _answers(pairs: Iterable[tuple[str, Any]], skip: set[str]) -> dict[str, Answer]:
    out: dict[str, Answer] = {}
    for question, value in pairs:
        title = normalise_text(str(question))
        answer = clean_answer(value)
        if title and answer is not None and title.casefold() not in skip and not _PERSONAL.search(title):
            out[title] = answer
    return out


# the webhook inbox ------------------------------------------------------------------------------------------
def survey_for_form(form: str, surveys: Sequence[Survey]) -> Survey | None:
    for survey in surveys:
        if form in (survey.survey_id, survey.form) and form:
            return survey
    return None


def from_inbox(row: Mapping[str, Any], survey: Survey, lang: str) -> Incoming | str:
    """A normalised inbox submission ({form, submitted_at, email, name, answers, hidden}) or why it is bad."""
    payload = row.get("payload")
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return t("survey.bad_payload", lang, field="payload")
    if not isinstance(payload, dict):
        return t("survey.bad_payload", lang, field="payload")
    answers, hidden = payload.get("answers") or {}, payload.get("hidden") or {}
    if not isinstance(answers, dict):
        return t("survey.bad_payload", lang, field="answers")
    if not isinstance(hidden, dict):
        return t("survey.bad_payload", lang, field="hidden")
    submitted = _inbox_time(payload.get("submitted_at"), row.get("received_at"))
    if submitted is None:
        return t("survey.bad_payload", lang, field="submitted_at")
    token = str(hidden.get(survey.token_field) or hidden.get("token") or "")
    skip = {survey.token_field.casefold(), "token"}
    return Incoming(row["id"], survey.survey_id, "inbox", submitted, token, _answers(answers.items(), skip), row["id"])


def _inbox_time(value: Any, received: Any) -> datetime | None:
    if value in (None, ""):
        return received if isinstance(received, datetime) else None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo("UTC"))


# a CSV export -----------------------------------------------------------------------------------------------
def from_csv(grid: Sequence[Sequence[str]], survey: Survey, source: str, tz: str, now: datetime,
             lang: str) -> tuple[list[Incoming], list[RejectedRow]]:  # fmt: skip
    """Rows of a form's CSV export; the header row first. Row numbers in errors are the file's."""
    if not grid:
        return [], []
    header = [normalise_text(h) for h in grid[0]]
    folded = [h.casefold() for h in header]
    id_col = next((i for i, h in enumerate(folded) if h in _ID_HEADERS), None)
    time_col = next((i for i, h in enumerate(folded) if h in _TIME_HEADERS), None)
    token_names = {survey.token_field.casefold(), "token", "令牌"}
    token_col = next((i for i, h in enumerate(folded) if h in token_names), None)
    meta = {id_col, time_col, token_col}
    found: list[Incoming] = []
    rejected: list[RejectedRow] = []
    for row_no, raw in enumerate(grid[1:], start=2):
        cells = [str(c) for c in raw] + [""] * (len(header) - len(raw))
        if not any(c.strip() for c in cells):
            continue
        when = _csv_time(cells[time_col], tz) if time_col is not None else now
        if when is None:
            reason = t("survey.csv_bad_time", lang, value=cells[time_col or 0])
            rejected.append(RejectedRow(f"{source} row {row_no}", reason))
            continue
        answers = _answers(((h, cells[i]) for i, h in enumerate(header) if i not in meta), set())
        token = cells[token_col] if token_col is not None else ""
        ident = cells[id_col].strip() if id_col is not None and cells[id_col].strip() else _row_digest(cells)
        found.append(Incoming(f"csv:{survey.survey_id}:{ident}", survey.survey_id, "csv", when, token, answers))
    return found, rejected


def _csv_time(text: str, tz: str) -> datetime | None:
    text = normalise_text(text)
    for fmt in _CSV_TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            continue
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(tz))


def _row_digest(cells: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(cells).encode(), digest_size=10).hexdigest()


def read_csv_file(path: Path) -> list[list[str]] | None:
    """The file's rows, or None when it is missing or not UTF-8 (reported by the caller)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
        return None
    return [list(r) for r in csv.reader(io.StringIO(text))]


# Google Forms -----------------------------------------------------------------------------------------------
def token_question(schema: FormSchema, survey: Survey) -> str | None:
    """The question holding the token: entry.NNN's question (its id is NNN in hex), or one titled 'token'."""
    ids = {q.question_id for q in schema.questions}
    entry = survey.token_field.removeprefix("entry.")
    if entry.isdigit() and format(int(entry), "x") in ids:
        return format(int(entry), "x")
    titled = [q.question_id for q in schema.questions if q.title.strip().casefold() in ("token", "令牌")]
    return titled[0] if titled else None


def from_google_forms(schema: FormSchema, responses: Sequence[FormResponse], survey: Survey) -> list[Incoming]:
    by_id = schema.by_id()
    token_id = token_question(schema, survey)
    found = []
    for response in responses:
        token = (response.answers.get(token_id) or ("",))[0] if token_id else ""
        pairs = []
        for qid, texts in response.answers.items():
            if qid == token_id:
                continue
            question = by_id.get(qid)
            multiple = question is not None and question.kind == "choice" and len(texts) > 1
            pairs.append((question.title if question else qid, list(texts) if multiple else ", ".join(texts)))
        found.append(Incoming(f"google_forms:{response.response_id}", survey.survey_id, "google_forms",
                              response.submitted_at, token, _answers(pairs, set())))  # fmt: skip
    return found


def newest(responses: Sequence[FormResponse], current: str | None) -> str | None:
    """The high-water mark after these responses: the latest submitted time seen (as Google wrote it)."""
    marks = [r.submitted for r in responses if r.submitted] + ([current] if current else [])
    return max(marks, key=parse_rfc3339) if marks else None


# reading every channel --------------------------------------------------------------------------------------
def collect_responses(surveys: Sequence[Survey], db: StateDB, forms: FormsSource | None, root: Path, tz: str,
                      now: datetime, lang: str) -> Collected:  # fmt: skip
    """Read the inbox, the CSV exports and the Forms API for every survey that has opened."""
    out = Collected()
    _collect_inbox(surveys, db, lang, out)
    for survey in surveys:
        if survey.responses_csv:
            _collect_csv(survey, root, tz, now, lang, out)
        if survey.provider == "google_forms" and survey.form:
            if forms is None:
                out.notes.append(t("survey.no_forms_api", lang, title=survey.title))
            else:
                _collect_google_forms(survey, forms, db, lang, out)
    if forms is not None:
        out.calls = dict(forms.calls)
    return out


def _collect_inbox(surveys: Sequence[Survey], db: StateDB, lang: str, out: Collected) -> None:
    rows = inbox_entries(db, "survey")
    unmatched: dict[str, int] = {}
    for row in rows:
        survey = survey_for_form(row["form"], surveys)
        if survey is None:  # a form no survey row names (yet): left in the inbox, and said so
            unmatched[row["form"]] = unmatched.get(row["form"], 0) + 1
            continue
        result = from_inbox(row, survey, lang)
        if isinstance(result, str):
            out.inbox_failed[row["id"]] = result
            out.rejected.append(RejectedRow(f"inbox {row['id']}", result))
        else:
            out.responses.append(result)
    out.notes += [t("survey.inbox_unmatched", lang, count=n, form=form) for form, n in unmatched.items()]


def _collect_csv(survey: Survey, root: Path, tz: str, now: datetime, lang: str, out: Collected) -> None:
    path = Path(survey.responses_csv)
    path = path if path.is_absolute() else root / path
    grid = read_csv_file(path)
    if grid is None:
        key = "survey.csv_missing" if not path.is_file() else "survey.csv_unreadable"
        out.rejected.append(RejectedRow(survey.responses_csv, t(key, lang)))
        return
    found, rejected = from_csv(grid, survey, survey.responses_csv, tz, now, lang)
    out.responses.extend(found)
    out.rejected.extend(rejected)


def _collect_google_forms(survey: Survey, forms: FormsSource, db: StateDB, lang: str, out: Collected) -> None:
    key = f"google_forms:{survey.form}"
    mark = out.cursors.get(key) or read_cursor(db, key)
    schema = forms.get_form(survey.form)
    if token_question(schema, survey) is None:
        out.notes.append(t("survey.no_token_question", lang, title=survey.title, field=survey.token_field))
    responses = forms.list_responses(survey.form, since=mark)
    out.responses.extend(from_google_forms(schema, responses, survey))
    out.kinds[survey.survey_id] = {q.title: q.kind for q in schema.questions}
    out.options[survey.survey_id] = {q.title: q.options for q in schema.questions if q.options}
    new_mark = newest(responses, mark)
    if new_mark and new_mark != mark:
        out.cursors[key] = new_mark


# attribution and recording ----------------------------------------------------------------------------------
def attribute(incoming: Sequence[Incoming], secret: bytes, member_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Rows for `survey_responses`: a valid token names its member, anything else stays anonymous."""
    indexes: dict[str, dict[str, str]] = {}
    rows = []
    now = utcnow()
    for response in incoming:
        if response.survey_id not in indexes:
            indexes[response.survey_id] = token_index(secret, response.survey_id, member_ids)
        token = normalise_token(response.token)
        member = indexes[response.survey_id].get(token) if token else None
        rows.append({
            "id": response.id,
            "survey_id": response.survey_id,
            "member_id": member,
            "attribution": "member" if member else ("unknown_token" if token else "no_token"),
            "channel": response.channel,
            "submitted_at": response.submitted_at,
            "answers": response.answers,
            "recorded_at": now,
        })  # fmt: skip
    return rows


def engagement_for(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One engagement event per member and survey (answering twice is still one survey answered)."""
    events: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["member_id"]:
            key = f"survey_response:{row['survey_id']}:{row['member_id']}"
            events.setdefault(key, {"id": key, "member_id": row["member_id"], "kind": "survey_response",
                                    "at": row["submitted_at"], "source": f"survey:{row['survey_id']}"})  # fmt: skip
    return list(events.values())


@dataclass
class Recorded:
    new: int = 0  # responses not seen before
    updated: int = 0  # seen before (a re-import, or an edited Google Forms response)
    attributed_new: int = 0
    anonymous_new: int = 0
    inbox_processed: int = 0
    inbox_failed: int = 0


def record_responses(db: StateDB, rows: Sequence[dict[str, Any]], collected: Collected,
                     dry_run: bool) -> Recorded:  # fmt: skip
    """Store responses, engagement, inbox outcomes and high-water marks in one transaction (none in a dry run)."""
    known = known_response_ids(db, [r["id"] for r in rows])
    fresh = [r for r in rows if r["id"] not in known]
    result = Recorded(len(fresh), len(rows) - len(fresh), sum(1 for r in fresh if r["member_id"]),
                      sum(1 for r in fresh if not r["member_id"]))  # fmt: skip
    processed = sorted({r.inbox_id for r in collected.responses if r.inbox_id})
    result.inbox_processed, result.inbox_failed = len(processed), len(collected.inbox_failed)
    if dry_run:
        return result
    failed = list(collected.inbox_failed.items())
    save_responses(db, rows, engagement_for(rows), processed, failed, collected.cursors)
    return result


@dataclass
class Ingested:
    recorded: Recorded
    by_survey: dict[str, list[dict[str, Any]]]  # every response known after this run, per survey
    responded: dict[str, set[str]]  # survey id -> member ids with an attributed response


def ingest_responses(collected: Collected, context: SurveyContext, db: StateDB, survey_ids: Sequence[str],
                     dry_run: bool) -> Ingested:  # fmt: skip
    """Attribute and record this run's responses; return every response known for the surveys.

    A dry run records nothing but counts what it read as if recorded, so its plan matches a real run's.
    """
    rows = attribute(collected.responses, context.secret, list(context.all_members))
    recorded = record_responses(db, rows, collected, dry_run)
    known = {r["id"]: r for r in stored_responses(db, survey_ids)}
    if dry_run:
        known.update({r["id"]: r for r in rows})
    by_survey: dict[str, list[dict[str, Any]]] = {sid: [] for sid in survey_ids}
    for row in known.values():
        by_survey.setdefault(row["survey_id"], []).append(row)
    responded = {sid: {r["member_id"] for r in rs if r["member_id"]} for sid, rs in by_survey.items()}
    return Ingested(recorded, by_survey, responded)
