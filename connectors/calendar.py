"""The calendar role, Google Calendar v3 (google-api-python-client, static discovery): a target and a source.

As a target, each event is created with an id we choose (base32hex, derived from the network's event id):
an insert that answers 409 has been done before, and is followed by a patch to the current version, so
putting an event is idempotent and safe to retry. Attendees are added with `sendUpdates`, which is why
the credentials must be an OAuth user token: a service account cannot invite attendees without Google
Workspace domain-wide delegation (403 forbiddenForServiceAccounts).

As a source, events are listed in pages and then followed with the sync token Google returns, so a run
asks only for what changed; a stale token (410) means a full listing again.

Batches ignore `client_options["api_endpoint"]` (upstream issue #1107), so the batch URL is set on its own.
The client's own retries are off (`num_retries=0`): this module is the one retry owner, bounded, with
jitter and `Retry-After` (connectors.retry), and only for idempotent calls (all of ours are).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors.retry import RetryPolicy, parse_retry_after, retry
from weaver.config import SERVICE_ACCOUNT_PROBLEM
from weaver.errors import ConfigError, FatalError, RetriableError
from weaver.ledger import Outcome

SCOPES = ["https://www.googleapis.com/auth/calendar.events"]
BATCH_LIMIT = 50  # Calendar accepts up to 50 calls per batch


def google_event_id(event_id: str, network: str = "") -> str:
    """A stable Calendar event id: base32hex (0-9, a-v), 32 characters."""
    digest = hashlib.sha256(f"{network}\x1f{event_id}".encode()).digest()[:20]
    return base64.b32hexencode(digest).decode("ascii").lower().rstrip("=")


class CalendarTarget(Protocol):
    calls: Counter[str]

    def describe(self) -> str: ...

    def put_events(self, bodies: Sequence[dict[str, Any]], send_updates: str) -> list[Outcome]:
        """Create or bring up to date each event (body with its 'id'); one Outcome per body, in order."""
        ...


class SyncTokenExpired(Exception):
    """Google answered 410 to a sync token: list everything again."""


@dataclass
class Listing:
    items: list[dict[str, Any]] = field(default_factory=list)
    sync_token: str | None = None


GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_BASE = "https://www.googleapis.com"
_USER_FIELDS = ("client_id", "client_secret", "refresh_token")


def user_credentials(secret: str, where: str) -> Any:
    """OAuth user credentials from the JSON of an 'authorized_user' token; a service account is refused.

    Built field by field: `from_authorized_user_info` ignores the token's own `token_uri` (it always uses
    Google's), and a token that names another endpoint means it.
    """
    from google.oauth2.credentials import Credentials

    try:
        info = json.loads(secret)
    except json.JSONDecodeError:
        raise ConfigError(f"{where}: the credentials are not JSON (expected an OAuth user token)") from None
    if not isinstance(info, dict):
        raise ConfigError(f"{where}: the credentials are not a JSON object")
    if info.get("type") == "service_account":
        raise ConfigError(f"{where}: {SERVICE_ACCOUNT_PROBLEM}")
    missing = [f for f in _USER_FIELDS if not info.get(f)]
    if missing:
        raise ConfigError(f"{where}: not an OAuth user token: it lacks {', '.join(repr(f) for f in missing)}")
    return Credentials(token=None, refresh_token=info["refresh_token"], client_id=info["client_id"],
                       client_secret=info["client_secret"], token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
                       scopes=SCOPES)  # fmt: skip


@dataclass
class _Result:
    status: int
    reason: str = ""
    retry_after: float | None = None


class GoogleCalendar:
    def __init__(
        self,
        credentials: Any,
        calendar_id: str,
        *,
        base_url: str | None = None,
        timeout_seconds: float = 30.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        base = (base_url or GOOGLE_BASE).rstrip("/")
        self.credentials, self.calendar_id = credentials, calendar_id
        self.api_endpoint = f"{base}/calendar/v3/"
        self.batch_uri = f"{base}/batch/calendar/v3"  # batches ignore api_endpoint: set on its own
        self.timeout, self.policy = timeout_seconds, policy or RetryPolicy()
        self.calls: Counter[str] = Counter()
        self._events: Any = None

    def describe(self) -> str:
        return "Google Calendar"  # the calendar id can be a person's address: not shown

    def _api(self) -> Any:
        """The events resource, built on first use (static discovery: no network call)."""
        if self._events is None:
            import google_auth_httplib2
            import httplib2
            from googleapiclient.discovery import build

            http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=httplib2.Http(timeout=self.timeout))
            service = build("calendar", "v3", http=http, static_discovery=True,
                            client_options={"api_endpoint": self.api_endpoint})  # fmt: skip
            self._events = service.events()
        return self._events

    # target ---------------------------------------------------------------------------------------------
    def put_events(self, bodies: Sequence[dict[str, Any]], send_updates: str) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for start in range(0, len(bodies), BATCH_LIMIT):
            outcomes += self._put_chunk(list(bodies[start : start + BATCH_LIMIT]), send_updates)
        return outcomes

    def _put_chunk(self, bodies: list[dict[str, Any]], send_updates: str) -> list[Outcome]:
        events = self._api()
        insert = lambda b: events.insert(calendarId=self.calendar_id, body=b, sendUpdates=send_updates)  # noqa: E731
        results = self._batch_with_retries([insert(b) for b in bodies], "insert")
        outcomes: dict[int, Outcome] = {}
        exists = [i for i, r in results.items() if r.status == 409]
        for i, r in results.items():
            if i not in exists:
                outcomes[i] = _outcome(r, "created")
        if exists:
            patches = [events.patch(calendarId=self.calendar_id, eventId=bodies[i]["id"], body=_patch_body(bodies[i]),
                                    sendUpdates=send_updates) for i in exists]  # fmt: skip
            for j, r in self._batch_with_retries(patches, "patch").items():
                outcomes[exists[j]] = _outcome(r, "updated")
        return [outcomes[i] for i in range(len(bodies))]

    def _batch_with_retries(self, requests: list[Any], kind: str) -> dict[int, _Result]:
        """One batch call per round; parts that got 429 or 5xx go again (bounded, jitter, Retry-After)."""
        results: dict[int, _Result] = {}
        pending = list(range(len(requests)))
        for attempt in range(1, self.policy.attempts + 1):
            round_results = self._batch_once([requests[i] for i in pending], kind)
            for i, result in zip(pending, round_results, strict=True):
                results[i] = result
            pending = [i for i in pending if _retriable(results[i].status)]
            if not pending or attempt == self.policy.attempts:
                break
            after = [results[i].retry_after for i in pending if results[i].retry_after is not None]
            self.policy.sleep(self.policy.wait(attempt, max(after) if after else None))
        return results

    def _batch_once(self, requests: list[Any], kind: str) -> list[_Result]:
        from googleapiclient.errors import HttpError
        from googleapiclient.http import BatchHttpRequest

        answers: dict[str, _Result] = {}

        def collect(request_id: str, _response: Any, exc: Exception | None) -> None:
            answers[request_id] = _from_http_error(exc) if isinstance(exc, HttpError) else _Result(200)

        batch = BatchHttpRequest(callback=collect, batch_uri=self.batch_uri)
        for i, request in enumerate(requests):
            batch.add(request, request_id=str(i))
        self.calls["batch"] += 1
        self.calls[kind] += len(requests)
        try:
            self._call(batch.execute)
        except RetriableError as exc:
            return [_Result(503, str(exc), exc.retry_after)] * len(requests)
        return [answers.get(str(i), _Result(500, "no answer in the batch")) for i in range(len(requests))]

    # source ---------------------------------------------------------------------------------------------
    def list_events(self, sync_token: str | None = None, page_size: int = 250) -> Listing:
        """Every event (a full listing), or what changed since `sync_token`; raises SyncTokenExpired on 410."""
        events = self._api()
        listing = Listing()
        page_token: str | None = None
        while True:
            params: dict[str, Any] = {"calendarId": self.calendar_id, "maxResults": page_size}
            if sync_token:
                params.update(syncToken=sync_token, showDeleted=True)
            if page_token:
                params["pageToken"] = page_token
            self.calls["list"] += 1
            page = self._with_retries(lambda p=params: events.list(**p).execute(num_retries=0))  # type: ignore[misc]
            listing.items += page.get("items", [])
            page_token = page.get("nextPageToken")
            if not page_token:
                listing.sync_token = page.get("nextSyncToken")
                return listing

    # calls and errors -----------------------------------------------------------------------------------
    def _with_retries(self, call: Callable[[], Any]) -> Any:
        return retry(lambda: self._call(call), self.policy)

    def _call(self, call: Callable[[], Any]) -> Any:
        """One HTTP exchange, errors translated: 410 -> SyncTokenExpired, 429/5xx/network -> Retriable."""
        import httplib2
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError

        try:
            return call()
        except HttpError as exc:
            result = _from_http_error(exc)
            if result.status == 410:
                raise SyncTokenExpired() from None
            if _retriable(result.status):
                raise RetriableError(f"Google Calendar answered {result.status}", result.retry_after) from None
            raise FatalError(_describe(result)) from None
        except RefreshError:
            raise FatalError("Google Calendar: the OAuth token was refused (sign in again)") from None
        except (TimeoutError, TransportError, httplib2.HttpLib2Error, OSError) as exc:
            raise RetriableError(f"Google Calendar unreachable ({type(exc).__name__})") from None


def _patch_body(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "id"}


def _retriable(status: int) -> bool:
    return status == 429 or status >= 500


def _from_http_error(exc: Any) -> _Result:
    """Status, Google's reason code and Retry-After: never the body (it can echo attendees' addresses)."""
    status = int(getattr(exc.resp, "status", 0) or 0)
    reason = ""
    try:
        errors = json.loads(exc.content.decode("utf-8"))["error"].get("errors") or [{}]
        reason = str(errors[0].get("reason", ""))
    except (ValueError, KeyError, AttributeError, TypeError, IndexError):
        pass
    after = exc.resp.get("retry-after") if hasattr(exc.resp, "get") else None
    return _Result(status, reason, parse_retry_after(after))


def _describe(result: _Result) -> str:
    if result.reason == "forbiddenForServiceAccounts":
        return f"Google Calendar: {SERVICE_ACCOUNT_PROBLEM}"
    return f"Google Calendar answered {result.status}" + (f" ({result.reason})" if result.reason else "")


def _outcome(result: _Result, done: str) -> Outcome:
    if 200 <= result.status < 300:
        return Outcome.success(done)
    return Outcome.failure(_describe(result), retry=_retriable(result.status))
