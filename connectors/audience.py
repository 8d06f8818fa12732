"""The audience-and-campaigns role: contacts, tags and campaigns on Mailchimp (Marketing API 3.0).

A small gateway over the official client `mailchimp-marketing==3.0.80` (pinned: 3.0.81 on PyPI is a different,
incompatible SDK under the same name), kept behind the `Audience` protocol. What the client gets wrong and
what we do about it (../shared/CONNECTORS.md):

* It replaces the substring "server" anywhere in the URL (observer@x.org became obus21@x.org): a contact is
  always addressed by the MD5 of its lowercased email, never by the email itself.
* Errors are `ApiClientError` with an empty `str()`; `.text` is the problem+json body as an unparsed string
  (a dict for a plain JSON body, an exception for a connection failure). We parse it into a status, a title
  and a detail with email addresses redacted, so messages are safe to log.
* 204 answers come back as the raw `requests.Response`; nothing to read from them.
* No retries and no response headers: `api_client.request` is wrapped to keep each thread's last response,
  so a 429's `Retry-After` is honoured.

Retries have one owner, here, through the project's loop (connectors/retry.py: bounded in tries and time,
jittered, honouring `Retry-After`). A 429 is retried for any call (Mailchimp refused it, so nothing
happened). Timeouts and 5xx are retried only for idempotent calls: reads, PUT upserts, tag updates and
batch upserts (each contact carries an explicit status, so a repeat ends in the same state). Creating,
scheduling and sending a campaign are never repeated here. Concurrency stays below Mailchimp's 10
connections per key.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import mailchimp_marketing
from mailchimp_marketing.api_client import ApiClientError

from connectors.retry import RetryPolicy, parse_retry_after, retry
from weaver.errors import ConfigError, FatalError, RetriableError

BATCH_LIMIT = 500  # contacts per batch call (Mailchimp's limit)
PAGE_SIZE = 1000  # contacts per listing page (Mailchimp's maximum)
COMPLIANCE = "compliance state (unsubscribed, bounced or under review): not retried"
_EMAIL = re.compile(r"[^\s@<>\"']+@[^\s@<>\"']+")


def subscriber_hash(email: str) -> str:
    """Mailchimp's id of a contact: the MD5 of the lowercased address (safe from the "server" bug)."""
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()  # noqa: S324 - an id, not security


def redact(text: str) -> str:
    """Mailchimp's messages quote the address they reject; ours never carry member data."""
    return _EMAIL.sub("<email>", text)


# plain data the flows see ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Contact:
    email: str
    status: str  # subscribed | unsubscribed | cleaned | pending | transactional | archived
    last_changed: str = ""


@dataclass(frozen=True)
class ContactUpsert:
    """A contact to add or update. `status` is the status for a new contact (and "unsubscribed" to leave)."""

    email: str
    status: str
    merge_fields: Mapping[str, str] = field(default_factory=dict)
    language: str = ""
    tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()  # tags we set earlier and that no longer apply


@dataclass(frozen=True)
class ContactResult:
    email: str
    ok: bool
    status: str = ""  # the contact's status in the audience after the call
    problem: str = ""  # redacted: never the address
    retry: bool = False  # worth trying again on a later run


@dataclass(frozen=True)
class CampaignDraft:
    title: str  # internal name; carries our key so a rerun finds the campaign instead of making another
    subject: str
    preview_text: str
    from_name: str
    reply_to: str
    language: str  # only contacts with this language receive it
    exclude_tags: tuple[str, ...] = ()  # contacts with any of these tags do not receive it


@dataclass(frozen=True)
class Campaign:
    id: str
    status: str  # save (a draft) | paused | schedule | sending | sent
    title: str = ""


@runtime_checkable
class Audience(Protocol):
    calls: Counter[str]  # HTTP requests made, by kind: read, batch, member, tags, campaign

    def describe(self) -> str: ...

    def contacts(self, status: str | None = None, since: datetime | None = None) -> list[Contact]:
        """Every contact (with this status, changed since then), paged 1,000 at a time."""
        ...

    def upsert_batch(self, contacts: Sequence[ContactUpsert]) -> list[ContactResult]:
        """Up to 500 contacts in one call; a result per contact, in order (per-contact errors included)."""
        ...

    def upsert_contacts(self, contacts: Sequence[ContactUpsert]) -> list[ContactResult]:
        """One PUT per contact with `status_if_new`: an existing contact's status is never changed."""
        ...

    def find_campaign(self, title: str, since: datetime) -> Campaign | None: ...

    def create_campaign(self, draft: CampaignDraft) -> Campaign: ...

    def set_campaign_content(self, campaign_id: str, html: str, text: str) -> None: ...

    def schedule_campaign(self, campaign_id: str, when: datetime) -> None: ...

    def send_campaign(self, campaign_id: str) -> None: ...

    def campaign(self, campaign_id: str) -> Campaign: ...


# errors ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """A failed call, parsed from problem+json; `detail` is already redacted."""

    status: int | None  # None: no answer (timeout, refused connection)
    title: str
    detail: str
    retry_after: float | None = None

    @property
    def compliance(self) -> bool:
        text = f"{self.title} {self.detail}".lower()
        return "compliance" in text or "forgotten email" in text

    def error(self, what: str) -> FatalError | RetriableError:
        where = f"{self.status} {self.title}".strip() if self.status else self.title
        message = f"Mailchimp {what}: {where}" + (f": {self.detail}" if self.detail else "")
        if self.status in (401, 403):
            message += " (check [mailchimp] api_key and server in weaver.toml)"
        if self.status is None or self.status == 429 or self.status >= 500:
            return RetriableError(message, self.retry_after)
        return FatalError(message)


class _Final(Exception):
    """Carries a RetriableError through the retry loop without a retry (a call that is not idempotent)."""

    def __init__(self, error: RetriableError) -> None:
        super().__init__(str(error))
        self.error = error


def parse_problem(exc: ApiClientError, headers: Mapping[str, str] | None) -> Problem:
    status = exc.status_code
    body: Any = exc.text
    if status is None:  # the client wraps connection errors and timeouts with no status
        return Problem(None, f"no answer ({type(body).__name__})", "")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            body = {"title": "unreadable error body"}
    if not isinstance(body, dict):
        body = {}
    title = redact(str(body.get("title") or "error"))
    detail = redact(str(body.get("detail") or ""))
    fields = [f"{e.get('field')}: {redact(str(e.get('message', '')))}" for e in body.get("errors") or [] if e]
    if fields:
        detail = (detail + " " if detail else "") + "; ".join(fields)
    return Problem(status, title, detail, _retry_after(headers))


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    return parse_retry_after((headers or {}).get("Retry-After"))


def classify_member_error(error: Mapping[str, Any]) -> tuple[str, bool]:
    """A per-contact error of a batch call -> (redacted reason, worth retrying later)."""
    text = str(error.get("error", "")).lower()
    if "compliance" in text or "forgotten email" in text:
        return COMPLIANCE, False
    if "fake" in text or "invalid" in text and "merge" not in text:
        return "address rejected as invalid", False
    if "a lot of lists" in text or "too many" in text:
        return "too many recent sign-ups: tried again on a later run", True
    if error.get("field"):
        return f"merge field {error.get('field')} rejected", False
    return f"rejected ({error.get('error_code') or 'no code'})", False


# the gateway ----------------------------------------------------------------------------------------------
class MailchimpAudience:
    """One audience (a Mailchimp list) and its campaigns."""

    def __init__(
        self,
        api_key: str,
        list_id: str,
        *,
        server: str = "",
        base_url: str = "",
        timeout: float = 30.0,
        concurrency: int = 4,
        policy: RetryPolicy | None = None,
    ) -> None:
        server = server or (api_key.rpartition("-")[2] if "-" in api_key else "")
        if not server and not base_url:
            raise ConfigError("[mailchimp]: the API key has no data centre suffix (like -us21): set 'server'")
        self.list_id = list_id
        self.concurrency = min(max(1, concurrency), 9)  # Mailchimp allows 10 connections per key
        self.policy = policy or RetryPolicy(attempts=4, budget_seconds=120.0)
        self.calls: Counter[str] = Counter()
        self._count_lock = threading.Lock()  # calls are counted from several threads
        self._local = threading.local()
        self._segments: dict[str, str] | None = None
        self.client = mailchimp_marketing.Client()
        self.client.set_config({"api_key": api_key, "server": server or "us1", "timeout": timeout})
        if base_url:
            self.client.api_client.host = base_url  # the only redirect this client has (no configuration.host)
        self._keep_last_response()

    def describe(self) -> str:
        return f"Mailchimp audience {self.list_id}"

    # transport ------------------------------------------------------------------------------------------
    def _keep_last_response(self) -> None:
        api = self.client.api_client
        original = api.request

        def request(method: str, url: str, query_params: Any = None, headers: Any = None, body: Any = None) -> Any:
            self._local.response = None
            response = original(method, url, query_params, headers=headers, body=body)
            self._local.response = response
            return response

        api.request = request

    def _count(self, kind: str) -> None:
        with self._count_lock:
            self.calls[kind] += 1

    def _headers(self) -> Mapping[str, str] | None:
        response = getattr(self._local, "response", None)
        return response.headers if response is not None else None

    def _call(self, kind: str, what: str, fn: Callable[..., Any], *args: Any, idempotent: bool) -> Any:
        """One call, retried by the project's bounded loop: 429 always, no answer or 5xx if idempotent."""

        def once() -> Any:
            self._count(kind)
            try:
                return fn(*args)
            except ApiClientError as exc:
                problem = parse_problem(exc, self._headers())
            error = problem.error(what)
            if isinstance(error, RetriableError) and problem.status != 429 and not idempotent:
                raise _Final(error)  # it may have happened: the caller (the ledger) decides, not this loop
            raise error

        try:
            return retry(once, self.policy)
        except _Final as final:
            raise final.error from None

    # contacts -------------------------------------------------------------------------------------------
    def contacts(self, status: str | None = None, since: datetime | None = None) -> list[Contact]:
        fields = ["members.email_address", "members.status", "members.last_changed", "total_items"]
        found: list[Contact] = []
        offset = 0
        while True:
            params: dict[str, Any] = {"count": PAGE_SIZE, "offset": offset, "fields": fields}
            if status:
                params["status"] = status
            if since:
                params["since_last_changed"] = since.astimezone(UTC).isoformat(timespec="seconds")
            page = self._call("read", "listing of contacts", self._list_members, params, idempotent=True)
            members = page.get("members") or []
            found += [Contact(m["email_address"].lower(), m["status"], m.get("last_changed", "")) for m in members]
            offset += len(members)
            if not members or offset >= int(page.get("total_items", 0)):
                return found

    def _list_members(self, params: dict[str, Any]) -> Any:
        return self.client.lists.get_list_members_info(self.list_id, **params)

    def upsert_batch(self, contacts: Sequence[ContactUpsert]) -> list[ContactResult]:
        if len(contacts) > BATCH_LIMIT:
            raise ValueError(f"a batch holds at most {BATCH_LIMIT} contacts, got {len(contacts)}")
        if not contacts:
            return []
        body = {"members": [_batch_member(c) for c in contacts], "update_existing": True, "sync_tags": False}
        what = f"batch upsert of {len(contacts)} contacts"
        data = self._call("batch", what, self.client.lists.batch_list_members, self.list_id, body, idempotent=True)
        results = _batch_results(contacts, data)
        stale: dict[str, list[str]] = {}
        for c, r in zip(contacts, results, strict=True):
            for tag in c.remove_tags if r.ok else ():
                stale.setdefault(tag, []).append(c.email)
        self.remove_tags(stale)
        return results

    def remove_tags(self, stale: Mapping[str, Sequence[str]]) -> None:
        """Take tags off contacts: a tag is a static segment, so one call per tag and 500 contacts.

        A contact that does not carry the tag any more is not an error; a failed call raises (and the
        batch is tried again on a later run: removing is idempotent).
        """
        if not stale:
            return
        segments = self._tag_segments()
        remove = self.client.lists.batch_segment_members
        for tag, emails in sorted(stale.items()):
            segment = segments.get(tag)
            for part in (emails[i : i + BATCH_LIMIT] for i in range(0, len(emails), BATCH_LIMIT)) if segment else ():
                body = {"members_to_remove": list(part)}
                self._call("tags", "tag removal", remove, body, self.list_id, segment, idempotent=True)

    def _tag_segments(self) -> dict[str, str]:
        """Tag name -> its static segment id (read once per gateway: tags we remove existed before)."""
        if self._segments is None:
            found: dict[str, str] = {}
            offset = 0
            while True:
                params = {"type": "static", "count": PAGE_SIZE, "offset": offset,
                          "fields": ["segments.id", "segments.name", "total_items"]}  # fmt: skip
                page = self._call("read", "listing of tags", self._list_segments, params, idempotent=True)
                items = page.get("segments") or []
                found.update({str(item["name"]): str(item["id"]) for item in items})
                offset += len(items)
                if not items or offset >= int(page.get("total_items", 0)):
                    break
            self._segments = found
        return self._segments

    def _list_segments(self, params: dict[str, Any]) -> Any:
        return self.client.lists.list_segments(self.list_id, **params)

    def upsert_contacts(self, contacts: Sequence[ContactUpsert]) -> list[ContactResult]:
        return self._concurrently(self._upsert_one, contacts)

    def _concurrently(self, fn: Callable[[ContactUpsert], ContactResult], items: Sequence[ContactUpsert]) -> list:
        if len(items) <= 1:
            return [fn(c) for c in items]
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="mailchimp") as pool:
            return list(pool.map(fn, items))

    def _upsert_one(self, c: ContactUpsert) -> ContactResult:
        body: dict[str, Any] = {
            "email_address": c.email,
            "status_if_new": c.status,
            "merge_fields": dict(c.merge_fields),
        }
        if c.status == "unsubscribed":
            body["status"] = "unsubscribed"  # leaving is the one status we set on an existing contact
        if c.language:
            body["language"] = c.language
        args = (self.list_id, subscriber_hash(c.email), body)
        data, problem = self._member_call("member", "upsert of a contact", self.client.lists.set_list_member, *args)
        if problem is not None:
            return _failed(c.email, problem)
        status = str((data or {}).get("status", c.status))
        if c.tags or c.remove_tags:
            tagged = self._tags(c, c.tags, c.remove_tags)
            if not tagged.ok:
                return tagged
        return ContactResult(c.email, True, status)

    def _tags(self, c: ContactUpsert, active: Sequence[str], inactive: Sequence[str]) -> ContactResult:
        tags = [{"name": t, "status": "active"} for t in active] + [{"name": t, "status": "inactive"} for t in inactive]
        args = (self.list_id, subscriber_hash(c.email), {"tags": tags})
        _data, problem = self._member_call("tags", "tag update", self.client.lists.update_list_member_tags, *args)
        return _failed(c.email, problem) if problem else ContactResult(c.email, True, c.status)

    def _member_call(self, kind: str, what: str, fn: Callable[..., Any], *args: Any) -> tuple[Any, Problem | None]:
        """An idempotent call about one contact: a 4xx about that contact is its result, not an exception."""

        def once() -> tuple[Any, Problem | None]:
            self._count(kind)
            try:
                return fn(*args), None
            except ApiClientError as exc:
                problem = parse_problem(exc, self._headers())
            if problem.status in (400, 404, 422):
                return None, problem
            raise problem.error(what)

        return retry(once, self.policy)

    # campaigns ------------------------------------------------------------------------------------------
    def find_campaign(self, title: str, since: datetime) -> Campaign | None:
        fields = ["campaigns.id", "campaigns.status", "campaigns.settings.title", "total_items"]
        offset = 0
        while True:
            params = {"list_id": self.list_id, "count": PAGE_SIZE, "offset": offset, "fields": fields,
                      "since_create_time": since.astimezone(UTC).isoformat(timespec="seconds")}  # fmt: skip
            page = self._call("read", "listing of campaigns", self._list_campaigns, params, idempotent=True)
            campaigns = page.get("campaigns") or []
            for item in campaigns:
                if (item.get("settings") or {}).get("title") == title:
                    return Campaign(item["id"], item.get("status", ""), title)
            offset += len(campaigns)
            if not campaigns or offset >= int(page.get("total_items", 0)):
                return None

    def _list_campaigns(self, params: dict[str, Any]) -> Any:
        return self.client.campaigns.list(**params)

    def create_campaign(self, draft: CampaignDraft) -> Campaign:
        body = {
            "type": "regular",
            "recipients": {
                "list_id": self.list_id,
                "segment_opts": {"match": "all", "conditions": self._conditions(draft)},
            },
            "settings": {
                "title": draft.title,
                "subject_line": draft.subject[:150],
                "preview_text": draft.preview_text[:150],
                "from_name": draft.from_name,
                "reply_to": draft.reply_to,
            },
        }
        data = self._call("campaign", "campaign create", self.client.campaigns.create, body, idempotent=False)
        return Campaign(str(data["id"]), str(data.get("status", "save")), draft.title)

    def _conditions(self, draft: CampaignDraft) -> list[dict[str, Any]]:
        """The draft's language, and none of its excluded tags. A tag is a static segment: one nobody has yet is
        created empty, so the condition holds for whoever gets the tag before Mailchimp sends the campaign."""
        conditions: list[dict[str, Any]] = [
            {"condition_type": "Language", "field": "language", "op": "is", "value": draft.language}
        ]
        for tag in draft.exclude_tags:
            conditions.append({"condition_type": "StaticSegment", "field": "static_segment", "op": "static_not",
                               "value": int(self._segment_of(tag))})  # fmt: skip
        return conditions

    def _segment_of(self, tag: str) -> str:
        segments = self._tag_segments()
        if tag not in segments:
            body = {"name": tag, "static_segment": []}
            made = self._call("tags", "tag creation", self.client.lists.create_segment, self.list_id, body,
                              idempotent=False)  # fmt: skip
            segments[tag] = str(made["id"])
        return segments[tag]

    def set_campaign_content(self, campaign_id: str, html: str, text: str) -> None:
        body = {"html": html, "plain_text": text}
        self._call(
            "campaign", "campaign content", self.client.campaigns.set_content, campaign_id, body, idempotent=True
        )

    def schedule_campaign(self, campaign_id: str, when: datetime) -> None:
        body = {"schedule_time": quarter_hour(when).isoformat(timespec="seconds")}
        self._call("campaign", "campaign schedule", self.client.campaigns.schedule, campaign_id, body, idempotent=False)

    def send_campaign(self, campaign_id: str) -> None:
        self._call("campaign", "campaign send", self.client.campaigns.send, campaign_id, idempotent=False)

    def campaign(self, campaign_id: str) -> Campaign:
        data = self._call("read", "campaign lookup", self._get_campaign, campaign_id, idempotent=True)
        return Campaign(
            str(data["id"]), str(data.get("status", "")), str((data.get("settings") or {}).get("title", ""))
        )

    def _get_campaign(self, campaign_id: str) -> Any:
        return self.client.campaigns.get(campaign_id, fields=["id", "status", "settings.title"])


def quarter_hour(when: datetime) -> datetime:
    """Mailchimp schedules on the quarter hour only: the next one at or after `when`, in UTC."""
    exact = when.astimezone(UTC)
    minute = exact.replace(second=0, microsecond=0)
    if minute < exact:
        minute += timedelta(minutes=1)
    return minute + timedelta(minutes=(-minute.minute) % 15)


def _batch_member(c: ContactUpsert) -> dict[str, Any]:
    member: dict[str, Any] = {"email_address": c.email, "status": c.status, "merge_fields": dict(c.merge_fields)}
    if c.language:
        member["language"] = c.language
    if c.tags:
        member["tags"] = list(c.tags)
    return member


def _batch_results(contacts: Sequence[ContactUpsert], data: Mapping[str, Any]) -> list[ContactResult]:
    done: dict[str, str] = {}
    for item in [*(data.get("new_members") or []), *(data.get("updated_members") or [])]:
        done[str(item.get("email_address", "")).lower()] = str(item.get("status", ""))
    errors = {str(e.get("email_address", "")).lower(): e for e in data.get("errors") or []}
    results = []
    for c in contacts:
        email = c.email.lower()
        if email in errors:
            reason, retry = classify_member_error(errors[email])
            results.append(ContactResult(c.email, False, problem=reason, retry=retry))
        elif email in done:
            results.append(ContactResult(c.email, True, done[email] or c.status))
        else:
            results.append(ContactResult(c.email, False, problem="missing from Mailchimp's answer", retry=True))
    return results


def _failed(email: str, problem: Problem) -> ContactResult:
    if problem.compliance:
        return ContactResult(
            email, False, problem="compliance state (unsubscribed, bounced or under review): not retried"
        )
    return ContactResult(email, False, problem=f"{problem.status} {problem.title}: {problem.detail}".strip(": "))
