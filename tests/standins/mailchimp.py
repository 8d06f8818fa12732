"""A Mailchimp Marketing API 3.0 stand-in on 127.0.0.1 (stdlib `ThreadingHTTPServer`, port 0).

It speaks the wire format the official client `mailchimp-marketing==3.0.80` expects, keeps state, counts
requests by kind and injects faults, so the gateway is tested through the real client (redirected with
`client.api_client.host`). What it checks, as Mailchimp does:

* Basic auth with the API key as password (any user name); 401 problem+json otherwise.
* Contacts live under the MD5 of the lowercased email: a member path that is not such a hash is a 404, and
  a PUT whose hash does not match its `email_address` is a 400.
* Batch subscribe (`POST /lists/{id}`): at most 500 members, per-member errors (invalid address, unknown
  merge field, already a member without `update_existing`, compliance state) in a 200 answer.
* A contact who unsubscribed or was cleaned is never subscribed again: "Member In Compliance State".
* PUT upserts honour `status_if_new` (only for a new contact) and an explicit `status`.
* Tags (`POST .../members/{hash}/tags`, 204; each tag is a static segment: list them, and add or remove
  up to 500 contacts per call; create an empty one by name), merge fields, language.
* Campaigns: create, list, get, content, schedule (quarter hours only), send; 204 for the actions. The
  recipients' `segment_opts` conditions (Language `is`, StaticSegment `static_is`/`static_not`, other types
  refused) choose, when the campaign is sent or scheduled, who of the subscribed contacts receives it
  (`recipients.recipient_count`, and `sent_to` for tests).
* Errors are `application/problem+json` (type, title, status, detail, instance).
* Faults: `fail(...)` answers the next matching requests with e.g. 429 and `Retry-After`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

STATUSES = ("subscribed", "unsubscribed", "cleaned", "pending", "transactional", "archived")
_HASH = re.compile(r"^[0-9a-f]{32}$")
_VALID_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)


def md5(email: str) -> str:
    return hashlib.md5(email.lower().encode("utf-8")).hexdigest()  # noqa: S324


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str = "", errors: list[dict[str, str]] | None = None):
        super().__init__(title)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    headers: dict[str, str]
    title: str


@dataclass
class MailchimpStandIn:
    api_key: str = "0123456789abcdef0123456789abcdef-us21"
    list_id: str = "a1b2c3d4e5"
    merge_tags: tuple[str, ...] = ("FNAME", "LNAME", "ORG")
    delay: float = 0.0  # seconds each request takes (to observe concurrency)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)  # subscriber hash -> contact
    campaigns: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, raw path) as received
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._in_flight = 0
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._segment_ids: dict[str, int] = {}
        self._made_segments: set[str] = set()  # created by name, maybe with nobody in them yet

    # life cycle -------------------------------------------------------------------------------------------
    def start(self) -> MailchimpStandIn:
        standin = self

        class Handler(_Handler):
            owner = standin

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        serve = lambda: self._server.serve_forever(poll_interval=0.05)  # noqa: E731 - quick shutdown
        threading.Thread(target=serve, name="mailchimp-standin", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> MailchimpStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/3.0"

    # what tests look at -----------------------------------------------------------------------------------
    def counts(self) -> Counter[str]:
        """Requests by kind: read, batch, member, tags, campaign (as the gateway counts them)."""
        with self._lock:
            return Counter(kind_of(method, path) for method, path in self.requests)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()

    def contact(self, email: str) -> dict[str, Any] | None:
        return self.members.get(md5(email))

    def add_contact(self, email: str, status: str = "subscribed", **merge_fields: str) -> dict[str, Any]:
        record = _new_contact(email, status, merge_fields, "", [])
        self.members[record["id"]] = record
        return record

    def set_status(self, email: str, status: str) -> None:
        """What happens in Mailchimp when someone clicks "unsubscribe" or an address bounces for good."""
        record = self.members[md5(email)]
        record["status"] = status
        record["last_changed"] = now_iso()

    def fail(self, method: str, path_pattern: str, status: int = 429, times: int = 1,
             retry_after: str | None = "1", title: str = "Too Many Requests") -> None:  # fmt: skip
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        with self._lock:
            self._faults.append(Fault(method, re.compile(path_pattern), status, times, headers, title))

    # request handling (called from the handler's threads) ------------------------------------------------
    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method == method and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None

    def _enter(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        for route_method, pattern, action in _ROUTES:
            if route_method == method and (match := pattern.match(path)):
                with self._lock:
                    return action(self, query, body, *match.groups())
        raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")

    def _list(self, list_id: str) -> None:
        if list_id != self.list_id:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")

    # contacts ---------------------------------------------------------------------------------------------
    def _get_members(self, query: dict[str, str], _body: Any, list_id: str) -> tuple[int, Any]:
        self._list(list_id)
        found = list(self.members.values())
        if query.get("status"):
            found = [m for m in found if m["status"] == query["status"]]
        if query.get("since_last_changed"):
            since = datetime.fromisoformat(query["since_last_changed"])
            found = [m for m in found if datetime.fromisoformat(m["last_changed"]) > since]
        offset, count = int(query.get("offset", 0)), min(int(query.get("count", 10)), 1000)
        page = [_public(m) for m in found[offset : offset + count]]
        return 200, {"members": page, "list_id": list_id, "total_items": len(found)}

    def _batch(self, _query: dict[str, str], body: Any, list_id: str) -> tuple[int, Any]:
        self._list(list_id)
        members = body.get("members") or []
        if len(members) > 500:
            raise ApiProblem(400, "Invalid Resource", "The resource submitted could not be validated.",
                             [{"field": "members", "message": "at most 500 items"}])  # fmt: skip
        result: dict[str, Any] = {"new_members": [], "updated_members": [], "errors": []}
        for item in members:
            try:
                created, record = self._batch_one(item, bool(body.get("update_existing")))
            except ApiProblem as problem:
                result["errors"].append({"email_address": item.get("email_address", ""), "error": problem.detail,
                                         "error_code": problem.title, "field": "", "field_message": ""})  # fmt: skip
                if problem.errors:
                    result["errors"][-1].update(problem.errors[0])
                continue
            result["new_members" if created else "updated_members"].append(_public(record))
        result.update(total_created=len(result["new_members"]), total_updated=len(result["updated_members"]),
                      error_count=len(result["errors"]))  # fmt: skip
        return 200, result

    def _batch_one(self, item: dict[str, Any], update_existing: bool) -> tuple[bool, dict[str, Any]]:
        email = str(item.get("email_address", ""))
        if not _VALID_EMAIL.match(email):
            raise ApiProblem(400, "ERROR_GENERIC", f"{email} looks fake or invalid, please enter a real email address.")
        status = item.get("status")
        if status not in STATUSES:
            raise ApiProblem(400, "ERROR_GENERIC", "Invalid status",
                             [{"field": "status", "field_message": "not a status"}])  # fmt: skip
        self._check_merge_fields(item.get("merge_fields") or {})
        record = self.members.get(md5(email))
        if record is None:
            record = _new_contact(email, status, item.get("merge_fields") or {}, item.get("language", ""),
                                  item.get("tags") or [])  # fmt: skip
            self.members[record["id"]] = record
            return True, record
        if not update_existing:
            raise ApiProblem(400, "ERROR_CONTACT_EXISTS", f"{email} is already a list member.")
        _refuse_resubscribe(record, status)
        _update(record, status, item)
        return False, record

    def _check_merge_fields(self, merge_fields: dict[str, Any]) -> None:
        for tag in merge_fields:
            if tag not in self.merge_tags:
                raise ApiProblem(400, "ERROR_GENERIC", "Your merge fields were invalid.",
                                 [{"field": tag, "field_message": "Merge field does not exist"}])  # fmt: skip

    def _put_member(self, _query: dict[str, str], body: Any, list_id: str, sub_hash: str) -> tuple[int, Any]:
        self._list(list_id)
        _check_hash(sub_hash)
        email = str(body.get("email_address", ""))
        if md5(email) != sub_hash:
            raise ApiProblem(400, "Invalid Resource", "The subscriber hash does not match the email address.")
        self._check_merge_fields(body.get("merge_fields") or {})
        record = self.members.get(sub_hash)
        if record is None:
            status = body.get("status") or body.get("status_if_new")
            if status not in STATUSES:
                raise ApiProblem(400, "Invalid Resource", "The resource submitted could not be validated.",
                                 [{"field": "status_if_new", "message": "required for a new contact"}])  # fmt: skip
            record = _new_contact(email, status, body.get("merge_fields") or {}, body.get("language", ""), [])
            self.members[sub_hash] = record
            return 200, _public(record)
        status = body.get("status") or record["status"]  # status_if_new does not apply to an existing contact
        _refuse_resubscribe(record, status)
        _update(record, status, body)
        return 200, _public(record)

    def _get_member(self, _query: dict[str, str], _body: Any, list_id: str, sub_hash: str) -> tuple[int, Any]:
        self._list(list_id)
        _check_hash(sub_hash)
        if sub_hash not in self.members:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
        return 200, _public(self.members[sub_hash])

    def _post_tags(self, _query: dict[str, str], body: Any, list_id: str, sub_hash: str) -> tuple[int, Any]:
        self._list(list_id)
        _check_hash(sub_hash)
        record = self.members.get(sub_hash)
        if record is None:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
        for tag in body.get("tags") or []:
            if tag.get("status") == "inactive":
                record["tags"].discard(tag["name"])
            else:
                record["tags"].add(tag["name"])
        return 204, None

    def _segment_id(self, tag: str) -> int:
        return self._segment_ids.setdefault(tag, len(self._segment_ids) + 1)

    def _get_segments(self, query: dict[str, str], _body: Any, list_id: str) -> tuple[int, Any]:
        """Every tag is a static segment (Mailchimp models tags that way)."""
        self._list(list_id)
        names = sorted({tag for m in self.members.values() for tag in m["tags"]} | self._made_segments)
        found = [{"id": self._segment_id(n), "name": n, "type": "static",
                  "member_count": sum(n in m["tags"] for m in self.members.values())} for n in names]  # fmt: skip
        offset, count = int(query.get("offset", 0)), min(int(query.get("count", 10)), 1000)
        return 200, {"segments": found[offset : offset + count], "total_items": len(found)}

    def _create_segment(self, _query: dict[str, str], body: Any, list_id: str) -> tuple[int, Any]:
        self._list(list_id)
        name = str(body.get("name") or "")
        if not name or "static_segment" not in body:
            raise ApiProblem(400, "Invalid Resource", "A static segment needs a name and static_segment.")
        if name in self._made_segments | {tag for m in self.members.values() for tag in m["tags"]}:
            raise ApiProblem(400, "Invalid Resource", f"A segment named {name} already exists.")
        self._made_segments.add(name)
        for email in body["static_segment"]:
            record = self.members.get(md5(email))
            if record:
                record["tags"].add(name)
        return 200, {"id": self._segment_id(name), "name": name, "type": "static",
                     "member_count": len(body["static_segment"])}  # fmt: skip

    def _post_segment(self, _query: dict[str, str], body: Any, list_id: str, segment_id: str) -> tuple[int, Any]:
        self._list(list_id)
        names = {str(v): k for k, v in self._segment_ids.items()}
        if segment_id not in names:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
        tag = names[segment_id]
        for key in ("members_to_add", "members_to_remove"):
            if len(body.get(key) or []) > 500:
                raise ApiProblem(400, "Invalid Resource", f"{key}: at most 500 items")
        added, removed, missing = [], [], []
        for email in body.get("members_to_add") or []:
            record = self.members.get(md5(email))
            (added if record else missing).append(email)
            if record:
                record["tags"].add(tag)
        for email in body.get("members_to_remove") or []:
            record = self.members.get(md5(email))
            if record and tag in record["tags"]:
                record["tags"].discard(tag)
                removed.append(email)
            else:
                missing.append(email)
        errors = [{"email_addresses": missing, "error": "Email addresses are not in the segment"}] if missing else []
        return 200, {"members_added": added, "members_removed": removed, "errors": errors,
                     "total_added": len(added), "total_removed": len(removed), "error_count": len(missing)}  # fmt: skip

    # campaigns --------------------------------------------------------------------------------------------
    def _create_campaign(self, _query: dict[str, str], body: Any) -> tuple[int, Any]:
        list_id = ((body.get("recipients") or {}).get("list_id")) or ""
        self._list(list_id)
        if body.get("type") != "regular":
            raise ApiProblem(400, "Invalid Resource", "The resource submitted could not be validated.",
                             [{"field": "type", "message": "must be regular"}])  # fmt: skip
        self._recipients({"recipients": body["recipients"]})  # an unknown condition or segment is refused
        campaign_id = f"c{next(self._ids):09x}"
        self.campaigns[campaign_id] = {
            "id": campaign_id, "web_id": next(self._ids), "type": "regular", "status": "save",
            "create_time": now_iso(), "recipients": body["recipients"], "settings": body.get("settings") or {},
            "content": None, "schedule_time": None,
        }  # fmt: skip
        return 200, self._campaign_json(campaign_id)

    def _campaign_json(self, campaign_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.campaigns[campaign_id].items() if k != "content"}

    def _campaign(self, campaign_id: str) -> dict[str, Any]:
        if campaign_id not in self.campaigns:
            raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
        return self.campaigns[campaign_id]

    def _list_campaigns(self, query: dict[str, str], _body: Any) -> tuple[int, Any]:
        wanted = query.get("list_id")
        found = [c for c in self.campaigns.values() if not wanted or c["recipients"]["list_id"] == wanted]
        if query.get("since_create_time"):
            since = datetime.fromisoformat(query["since_create_time"])
            found = [c for c in found if datetime.fromisoformat(c["create_time"]) >= since]
        offset, count = int(query.get("offset", 0)), min(int(query.get("count", 10)), 1000)
        page = [self._campaign_json(c["id"]) for c in found[offset : offset + count]]
        return 200, {"campaigns": page, "total_items": len(found)}

    def _get_campaign(self, _query: dict[str, str], _body: Any, campaign_id: str) -> tuple[int, Any]:
        self._campaign(campaign_id)
        return 200, self._campaign_json(campaign_id)

    def _put_content(self, _query: dict[str, str], body: Any, campaign_id: str) -> tuple[int, Any]:
        campaign = self._campaign(campaign_id)
        if campaign["status"] not in ("save", "paused"):
            raise ApiProblem(400, "Bad Request", "Cannot update the content of a campaign that was sent.")
        campaign["content"] = {"html": body.get("html", ""), "plain_text": body.get("plain_text", "")}
        return 200, dict(campaign["content"])

    def _schedule(self, _query: dict[str, str], body: Any, campaign_id: str) -> tuple[int, Any]:
        campaign = self._ready(campaign_id)
        when = datetime.fromisoformat(str(body.get("schedule_time", "")))
        if when.minute % 15 or when.second:
            raise ApiProblem(400, "Invalid Resource", "Schedule time must be on the quarter-hour (:00, :15, :30, :45).")
        campaign.update(status="schedule", schedule_time=when.isoformat())
        return 204, None

    def _send(self, _query: dict[str, str], _body: Any, campaign_id: str) -> tuple[int, Any]:
        campaign = self._ready(campaign_id)
        campaign.update(status="sent", send_time=now_iso(), sent_to=self._recipients(campaign))
        campaign["recipients"]["recipient_count"] = len(campaign["sent_to"])
        return 204, None

    def _recipients(self, campaign: dict[str, Any]) -> list[str]:
        """The subscribed contacts of the campaign's list its segment conditions let through (sorted emails)."""
        opts = campaign["recipients"].get("segment_opts") or {}
        tests = [self._condition(c) for c in opts.get("conditions") or []]
        pick = any if opts.get("match") == "any" else all
        return sorted(m["email_address"] for m in self.members.values()
                      if m["status"] == "subscribed" and (not tests or pick(test(m) for test in tests)))  # fmt: skip

    def _condition(self, condition: dict[str, Any]) -> Any:
        kind, op, value = condition.get("condition_type"), condition.get("op"), condition.get("value")
        if kind == "Language" and op == "is":
            return lambda m: m["language"] == value
        if kind == "StaticSegment" and op in ("static_is", "static_not"):
            names = {v: k for k, v in self._segment_ids.items()}
            if value not in names:
                raise ApiProblem(400, "Invalid Resource", f"Static segment {value} does not exist.")
            return lambda m: (names[value] in m["tags"]) == (op == "static_is")
        raise ApiProblem(400, "Invalid Resource", f"The stand-in does not know the condition {kind} {op}.")

    def _ready(self, campaign_id: str) -> dict[str, Any]:
        campaign = self._campaign(campaign_id)
        if campaign["status"] not in ("save", "paused"):
            raise ApiProblem(400, "Bad Request", "This campaign cannot be sent or scheduled again.")
        if not campaign["content"] or "*|UNSUB|*" not in campaign["content"]["html"]:
            raise ApiProblem(400, "Bad Request", "Your campaign is not ready to send: it needs an unsubscribe link.")
        return campaign


def _check_hash(sub_hash: str) -> None:
    if not _HASH.match(sub_hash):
        raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")


def _refuse_resubscribe(record: dict[str, Any], status: str) -> None:
    if record["status"] in ("unsubscribed", "cleaned") and status in ("subscribed", "pending"):
        raise ApiProblem(400, "Member In Compliance State",
                         f"{record['email_address']} is in a compliance state due to unsubscribe, bounce, or "
                         "compliance review and cannot be subscribed.")  # fmt: skip


def _new_contact(email: str, status: str, merge_fields: dict[str, Any], language: str, tags: list[str]) -> dict:
    return {"id": md5(email), "email_address": email, "status": status, "merge_fields": dict(merge_fields),
            "language": language, "tags": set(tags), "last_changed": now_iso()}  # fmt: skip


def _update(record: dict[str, Any], status: str, item: dict[str, Any]) -> None:
    changed = status != record["status"]
    record["status"] = status
    record["merge_fields"].update(item.get("merge_fields") or {})
    record["language"] = item.get("language", record["language"])
    record["tags"].update(item.get("tags") or [])
    if changed or item.get("merge_fields"):
        record["last_changed"] = now_iso()


def _public(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["tags"] = [{"id": i, "name": name} for i, name in enumerate(sorted(record["tags"]), 1)]
    out["tags_count"] = len(record["tags"])
    return out


def kind_of(method: str, path: str) -> str:
    if method == "GET":
        return "read"
    if path.startswith("/3.0/campaigns"):
        return "campaign"
    if path.endswith("/tags") or "/segments" in path:
        return "tags"
    if "/members/" in path:
        return "member"
    return "batch"


_LIST = r"/lists/([^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], Any]] = [
    ("GET", re.compile(rf"^{_LIST}/members$"), MailchimpStandIn._get_members),
    ("POST", re.compile(rf"^{_LIST}$"), MailchimpStandIn._batch),
    ("PUT", re.compile(rf"^{_LIST}/members/([^/]+)$"), MailchimpStandIn._put_member),
    ("GET", re.compile(rf"^{_LIST}/members/([^/]+)$"), MailchimpStandIn._get_member),
    ("POST", re.compile(rf"^{_LIST}/members/([^/]+)/tags$"), MailchimpStandIn._post_tags),
    ("GET", re.compile(rf"^{_LIST}/segments$"), MailchimpStandIn._get_segments),
    ("POST", re.compile(rf"^{_LIST}/segments$"), MailchimpStandIn._create_segment),
    ("POST", re.compile(rf"^{_LIST}/segments/([^/]+)$"), MailchimpStandIn._post_segment),
    ("POST", re.compile(r"^/campaigns$"), MailchimpStandIn._create_campaign),
    ("GET", re.compile(r"^/campaigns$"), MailchimpStandIn._list_campaigns),
    ("GET", re.compile(r"^/campaigns/([^/]+)$"), MailchimpStandIn._get_campaign),
    ("PUT", re.compile(r"^/campaigns/([^/]+)/content$"), MailchimpStandIn._put_content),
    ("POST", re.compile(r"^/campaigns/([^/]+)/actions/schedule$"), MailchimpStandIn._schedule),
    ("POST", re.compile(r"^/campaigns/([^/]+)/actions/send$"), MailchimpStandIn._send),
]


class _Handler(BaseHTTPRequestHandler):
    owner: MailchimpStandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # quiet: tests read counts, not logs

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        owner = self.owner
        split = urlsplit(self.path)
        owner._enter(method, split.path)
        self._left = False
        try:
            if owner.delay:
                time.sleep(owner.delay)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            self._check_auth()
            fault = owner._take_fault(method, split.path)
            if fault is not None:
                self._problem(ApiProblem(fault.status, fault.title, "Injected by the stand-in."), fault.headers)
                return
            if not split.path.startswith("/3.0/"):
                raise ApiProblem(404, "Resource Not Found", "The requested resource could not be found.")
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            body = json.loads(raw) if raw.strip() else None
            status, payload = owner.handle(method, split.path[len("/3.0") :], query, body or {})
            self._json(status, payload)
        except ApiProblem as problem:
            self._problem(problem)
        finally:
            self._leave()

    def _leave(self) -> None:
        if not self._left:
            self._left = True
            self.owner._leave()

    def end_headers(self) -> None:
        # A request stops counting as in flight before its answer goes out: once the client holds the answer it
        # may start its next request, and counting both at once would report one connection too many.
        self._leave()
        super().end_headers()

    def _check_auth(self) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        try:
            _user, _, key = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            key = ""
        if scheme != "Basic" or key != self.owner.api_key:
            detail = "Your API key may be invalid, or you've attempted to access the wrong datacenter."
            raise ApiProblem(401, "API Key Invalid", detail)

    def _json(self, status: int, payload: Any) -> None:
        if status == 204:
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _problem(self, problem: ApiProblem, headers: dict[str, str] | None = None) -> None:
        body: dict[str, Any] = {
            "type": "https://mailchimp.com/developer/marketing/docs/errors/",
            "title": problem.title,
            "status": problem.status,
            "detail": problem.detail,
            "instance": str(uuid.uuid4()),
        }
        if problem.errors:
            body["errors"] = problem.errors
        data = json.dumps(body).encode("utf-8")
        self.send_response(problem.status)
        self.send_header("Content-Type", "application/problem+json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
