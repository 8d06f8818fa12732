"""The form-responses role: Google Forms through the Forms API v1 (google-api-python-client, static discovery).

Google Forms has no webhook of its own (watches push only to Cloud Pub/Sub), so responses are polled:
`responses.list(formId, filter="timestamp >= <high-water mark>")`, page by page, deduplicated downstream on
`responseId` (>= rather than > so a response submitted in the same instant as the mark is never skipped).
`forms.get` gives the question titles and kinds, so answers are keyed by what a coordinator reads.

Every call here is a read, so each is retried by `connectors.retry` (bounded tries and time, jitter,
`Retry-After` honoured) and by nothing else: `execute(num_retries=0)` keeps the client library from retrying.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httplib2
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from connectors.retry import RetryPolicy, parse_retry_after, retry
from weaver.config import GoogleFormsConfig
from weaver.errors import ConfigError, FatalError, RetriableError

SCOPES = (
    "https://www.googleapis.com/auth/forms.body.readonly",
    "https://www.googleapis.com/auth/forms.responses.readonly",
)
_RETRIABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Question:
    question_id: str
    title: str
    kind: str  # choice | scale | text | other
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSchema:
    form_id: str
    title: str
    questions: tuple[Question, ...] = ()

    def by_id(self) -> dict[str, Question]:
        return {q.question_id: q for q in self.questions}


@dataclass(frozen=True)
class FormResponse:
    response_id: str
    submitted: str  # lastSubmittedTime as Google wrote it (RFC 3339, up to 9 fractional digits)
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # question id -> answer texts

    @property
    def submitted_at(self) -> datetime:
        return parse_rfc3339(self.submitted)


class FormsSource(Protocol):
    calls: Counter[str]

    def describe(self) -> str: ...

    def get_form(self, form_id: str) -> FormSchema:
        """The form's questions (one call)."""
        ...

    def list_responses(self, form_id: str, since: str | None = None) -> list[FormResponse]:
        """Every response submitted at or after `since` (RFC 3339), all pages; an empty form gives []."""
        ...


class GoogleForms:
    """The Forms API v1 over an httplib2 transport (authorised in production, plain toward a stand-in)."""

    def __init__(self, http: Any, api_endpoint: str | None = None, *, policy: RetryPolicy | None = None) -> None:
        options = {"api_endpoint": api_endpoint} if api_endpoint else None
        self.service = build("forms", "v1", http=http, static_discovery=True, client_options=options)
        self.policy = policy or RetryPolicy()
        self.calls: Counter[str] = Counter()

    def describe(self) -> str:
        return "Google Forms API"

    def get_form(self, form_id: str) -> FormSchema:
        data = self._execute("forms.get", form_id, lambda: self.service.forms().get(formId=form_id))
        return parse_form(form_id, data)

    def list_responses(self, form_id: str, since: str | None = None) -> list[FormResponse]:
        query: dict[str, str] = {"formId": form_id}
        if since:
            query["filter"] = f"timestamp >= {since}"
        found: list[FormResponse] = []
        token: str | None = None
        while True:
            page = {**query, **({"pageToken": token} if token else {})}
            data = self._execute("responses.list", form_id, lambda p=page: self.service.forms().responses().list(**p))
            found.extend(parse_response(r) for r in data.get("responses", []))  # an empty form answers {}
            token = data.get("nextPageToken")
            if not token:
                return found

    def _execute(self, name: str, form_id: str, make_request: Callable[[], Any]) -> dict[str, Any]:
        """One read, retried by `connectors.retry` alone; errors name the call and form, never content."""

        def once() -> dict[str, Any]:
            self.calls[name] += 1
            try:
                return make_request().execute(num_retries=0) or {}
            except HttpError as exc:
                raise _translate(exc, name, form_id) from None
            except (TimeoutError, ConnectionError, httplib2.HttpLib2Error, OSError) as exc:
                raise RetriableError(f"Google Forms: {name} for form {form_id}: {type(exc).__name__}") from None

        return retry(once, self.policy)


def _translate(exc: HttpError, name: str, form_id: str) -> RetriableError | FatalError:
    status = int(getattr(exc.resp, "status", 0) or 0)
    where = f"Google Forms: {name} for form {form_id}: HTTP {status}"
    if status in _RETRIABLE_STATUS:
        return RetriableError(where, retry_after=parse_retry_after(exc.resp.get("retry-after")))
    if status == 404:
        return FatalError(f"{where} (no such form: check the 'form' id in the Surveys tab)")
    if status in (401, 403):
        return FatalError(f"{where} (access denied: share the form with the service account as a viewer)")
    return FatalError(where)


# wire format -> our records ------------------------------------------------------------------------------
def parse_form(form_id: str, data: dict[str, Any]) -> FormSchema:
    questions = []
    for item in data.get("items", []):
        question = item.get("questionItem", {}).get("question")
        if question and question.get("questionId"):
            kind, options = _kind(question)
            questions.append(Question(question["questionId"], item.get("title", ""), kind, options))
    title = data.get("info", {}).get("title", "")
    return FormSchema(form_id, title, tuple(questions))


def _kind(question: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    if "choiceQuestion" in question:
        options = question["choiceQuestion"].get("options", [])
        return "choice", tuple(o["value"] for o in options if "value" in o)
    if "scaleQuestion" in question:
        scale = question["scaleQuestion"]
        return "scale", tuple(str(n) for n in range(int(scale.get("low", 1)), int(scale.get("high", 5)) + 1))
    if "ratingQuestion" in question:
        return "scale", tuple(str(n) for n in range(1, int(question["ratingQuestion"].get("ratingScaleLevel", 5)) + 1))
    if "textQuestion" in question:
        return "text", ()
    return "other", ()


def parse_response(data: dict[str, Any]) -> FormResponse:
    answers: dict[str, tuple[str, ...]] = {}
    for question_id, answer in data.get("answers", {}).items():
        texts = answer.get("textAnswers", {}).get("answers", [])
        answers[question_id] = tuple(str(t.get("value", "")) for t in texts)
    submitted = data.get("lastSubmittedTime") or data.get("createTime") or ""
    return FormResponse(data["responseId"], submitted, answers)


def parse_rfc3339(text: str) -> datetime:
    """'2026-11-20T08:00:01.123456789Z' -> an aware datetime (nanoseconds cut to microseconds)."""
    head, dot, rest = text.rstrip("Z").partition(".")
    fraction = rest[:6].ljust(6, "0") if dot else "000000"
    return datetime.fromisoformat(f"{head}.{fraction}").replace(tzinfo=UTC)


# production factory --------------------------------------------------------------------------------------
def build_google_forms(cfg: GoogleFormsConfig, source: str, api_endpoint: str | None = None) -> GoogleForms:
    """A client authorised by the service-account key named in weaver.toml ([surveys.google_forms]).

    `api_endpoint` is None in production (Google's own); tests give a stand-in's through `connectors.endpoints`.
    """
    from google.oauth2 import service_account
    from google_auth_httplib2 import AuthorizedHttp

    from weaver.secrets import resolve_secret

    key = "[surveys.google_forms] credentials"
    try:
        info = json.loads(resolve_secret(cfg.credentials, key, source))
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(SCOPES))
    except (ValueError, KeyError, TypeError, AttributeError):  # never echo the text: it is a secret
        raise ConfigError(f"{source}: {key}: not a service-account JSON key") from None
    transport = AuthorizedHttp(creds, http=httplib2.Http(timeout=cfg.timeout_seconds))
    policy = RetryPolicy(attempts=cfg.max_attempts, budget_seconds=cfg.retry_budget_seconds)
    return GoogleForms(transport, api_endpoint, policy=policy)
