"""A Google Calendar v3 stand-in on 127.0.0.1 that speaks the wire format the real client library uses.

Covers what our connector calls: events insert (client-chosen base32hex ids, 409 on a repeat), patch, get,
list (pages with nextPageToken, then nextSyncToken; a sync token returns only changes, including deleted
events as status 'cancelled'; a stale token gets 410 fullSyncRequired), the multipart/mixed batch endpoint,
and an OAuth token endpoint (so real google-auth refreshes are exercised). It keeps state, counts calls
and can inject faults (429 with Retry-After, 5xx) on the next requests.

`CalendarV3` is the API as a plain object (`handle(method, path, query, headers, body)`), and `serve()`
puts it behind stdlib `ThreadingHTTPServer` on an ephemeral port; a shared stand-in base can wrap the same
object later.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
import threading
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Response = tuple[int, dict[str, str], bytes]
_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_EVENTS = re.compile(r"^/calendar/v3/calendars/([^/]+)/events(?:/([^/]+))?$")
TOKEN = "standin-access-token"


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Response:
    return status, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}, json.dumps(data).encode()


def _error(status: int, reason: str, message: str, domain: str = "global") -> Response:
    body = {"error": {"code": status, "message": message, "errors": [{"domain": domain, "reason": reason,
                                                                      "message": message}]}}  # fmt: skip
    return _json(status, body)


@dataclass
class Fault:
    status: int
    retry_after: str | None = None


@dataclass
class CalendarV3:
    """The API's state and behaviour, independent of the HTTP server."""

    calendars: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    changes: list[tuple[int, str, str]] = field(default_factory=list)  # (clock, calendar, event id)
    calls: Counter[str] = field(default_factory=Counter)
    send_updates: list[str] = field(default_factory=list)  # sendUpdates of each insert/patch
    faults: deque[Fault] = field(default_factory=deque)
    epoch: int = 0  # bumped to make every sync token stale
    _clock: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # test controls ---------------------------------------------------------------------------------------
    def fail_next(self, status: int, times: int = 1, retry_after: str | None = None) -> None:
        self.faults.extend(Fault(status, retry_after) for _ in range(times))

    def expire_sync_tokens(self) -> None:
        self.epoch += 1

    def events(self, calendar_id: str = "primary") -> dict[str, dict[str, Any]]:
        return self.calendars.setdefault(calendar_id, {})

    def add_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """As if someone created it in the Calendar UI."""
        status, _h, out = self._insert(calendar_id, body, {})
        assert status == 200, out
        return json.loads(out)

    # HTTP ------------------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
               body: bytes) -> Response:  # fmt: skip
        if path == "/token" and method == "POST":
            self.calls["token"] += 1
            return _json(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
        if headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "authError", "Invalid Credentials")
        if self.faults:
            fault = self.faults.popleft()
            self.calls[f"fault {fault.status}"] += 1
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            status, hdrs, out = _error(fault.status, "rateLimitExceeded" if fault.status == 429 else "backendError",
                                       "injected fault")  # fmt: skip
            return status, {**hdrs, **extra}, out
        if path == "/batch/calendar/v3" and method == "POST":
            self.calls["batch"] += 1
            return self._batch(headers.get("content-type", ""), body)
        return self._api(method, path, query, body)

    def _api(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        match = _EVENTS.match(path)
        if match is None:
            return _error(404, "notFound", "Not Found")
        calendar_id, event_id = unquote(match[1]), unquote(match[2]) if match[2] else None
        q = {k: v[-1] for k, v in query.items()}
        self.calls[f"{method} events{'/id' if event_id else ''}"] += 1
        with self._lock:
            if method == "POST" and event_id is None:
                return self._insert(calendar_id, json.loads(body or b"{}"), q)
            if method == "PATCH" and event_id:
                return self._patch(calendar_id, event_id, json.loads(body or b"{}"), q)
            if method == "GET" and event_id:
                found = self.events(calendar_id).get(event_id)
                return _json(200, found) if found else _error(404, "notFound", "Not Found")
            if method == "GET":
                return self._list(calendar_id, q)
        return _error(405, "methodNotAllowed", "Method not allowed")

    def _touch(self, calendar_id: str, event_id: str) -> int:
        clock = next(self._clock)
        self.changes.append((clock, calendar_id, event_id))
        return clock

    def _insert(self, calendar_id: str, body: dict[str, Any], q: dict[str, str]) -> Response:
        events = self.events(calendar_id)
        event_id = body.get("id") or f"gen{next(self._clock):08d}"
        if not _ID.match(event_id):
            return _error(400, "invalid", "Invalid resource id value.")
        if event_id in events:
            return _error(409, "duplicate", "The requested identifier already exists.")
        if "dateTime" not in body.get("start", {}) and "date" not in body.get("start", {}):
            return _error(400, "required", "Missing start time.")
        self.send_updates.append(q.get("sendUpdates", ""))
        clock = self._touch(calendar_id, event_id)
        stored = {"kind": "calendar#event", "status": "confirmed", **body, "id": event_id, "sequence": 0,
                  "etag": f'"{clock}"', "iCalUID": f"{event_id}@google.com"}  # fmt: skip
        events[event_id] = stored
        return _json(200, stored)

    def _patch(self, calendar_id: str, event_id: str, body: dict[str, Any], q: dict[str, str]) -> Response:
        events = self.events(calendar_id)
        if event_id not in events:
            return _error(404, "notFound", "Not Found")
        self.send_updates.append(q.get("sendUpdates", ""))
        old = events[event_id]
        new = {**old, **body, "id": event_id}
        if any(old.get(k) != new.get(k) for k in ("start", "end", "location", "status")):
            new["sequence"] = old.get("sequence", 0) + 1
        new["etag"] = f'"{self._touch(calendar_id, event_id)}"'
        events[event_id] = new
        return _json(200, new)

    def _list(self, calendar_id: str, q: dict[str, str]) -> Response:
        size = int(q.get("maxResults", "250"))
        token = q.get("syncToken")
        if token:
            epoch, _, since = token.removeprefix("sync-").partition("-")
            if int(epoch) != self.epoch:
                return _error(410, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.",
                              domain="calendar")  # fmt: skip
            ids = sorted({e for c, cal, e in self.changes if cal == calendar_id and c > int(since)})
            items = [self.events(calendar_id)[i] for i in ids]
        else:
            items = [e for e in self.events(calendar_id).values() if e.get("status") != "cancelled"]
        start = int(q.get("pageToken", "page-0").removeprefix("page-"))
        page = items[start : start + size]
        out: dict[str, Any] = {"kind": "calendar#events", "items": page}
        if start + size < len(items):
            out["nextPageToken"] = f"page-{start + size}"
        else:
            last = max((c for c, *_ in self.changes), default=0)
            out["nextSyncToken"] = f"sync-{self.epoch}-{last}"
        return _json(200, out)

    # batch -----------------------------------------------------------------------------------------------
    def _batch(self, content_type: str, body: bytes) -> Response:
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        if not message.is_multipart():
            return _error(400, "badRequest", "batch body is not multipart/mixed")
        boundary = "batch_standin_boundary"
        parts = []
        for part in message.iter_parts():
            content_id = str(part["Content-ID"] or "")
            status, headers, out = self._batch_part(part.get_payload(decode=True) or b"")
            reason = {200: "OK", 409: "Conflict", 404: "Not Found", 400: "Bad Request"}.get(status, "Error")
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            response_id = "<response-" + content_id.strip("<>") + ">"
            parts.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {response_id}\r\n\r\n"
                         f"HTTP/1.1 {status} {reason}\r\n{head}\r\n{out.decode()}\r\n")  # fmt: skip
        text = "".join(parts) + f"--{boundary}--\r\n"
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, text.encode()

    def _batch_part(self, raw: bytes) -> Response:
        """One inner request in application/http format: request line, headers, blank line, body."""
        text = raw.decode("utf-8").replace("\r\n", "\n")
        head, _, body = text.partition("\n\n")
        request_line, *header_lines = head.split("\n")
        method, target, _version = request_line.split(" ", 2)
        url = urlsplit(target)
        self.calls["batch part"] += 1
        return self._api(method, url.path, parse_qs(url.query), body.encode())


class _Handler(BaseHTTPRequestHandler):
    api: CalendarV3

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, out = self.api.handle(self.command, url.path, parse_qs(url.query), headers, body)
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass


@dataclass
class Running:
    api: CalendarV3
    url: str

    @property
    def api_endpoint(self) -> str:
        return f"{self.url}/calendar/v3/"

    @property
    def batch_uri(self) -> str:
        return f"{self.url}/batch/calendar/v3"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"


@contextmanager
def serve(api: CalendarV3 | None = None) -> Iterator[Running]:
    api = api or CalendarV3()
    handler = type("Handler", (_Handler,), {"api": api})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Running(api, f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
