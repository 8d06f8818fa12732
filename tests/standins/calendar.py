"""A stateful Google Calendar API v3 stand-in: the endpoints our connector uses, with the real API's rules.

Modelled: `events.insert`, `events.patch`, `events.get`, `events.list` and the batch endpoint
(`POST /batch/calendar/v3`, multipart/mixed of application/http parts, each answered in a part with the
matching `Content-ID: <response-...>`). Every part goes through the same routes, so part calls are counted
and can be faulted like direct ones (`fail("events.insert", 429)` fails a part, `fail("batch", 503)` the
whole batch).

Rules of the real API kept here because connectors must cope with them:
* a client-chosen event id must be base32hex (0-9, a-v), 5-1024 characters, else 400; a repeated id is
  409 `duplicate`; an event needs a start and an end;
* `events.list` pages with `nextPageToken` and ends with `nextSyncToken`; a sync token returns only what
  changed since, deleted (cancelled) events included; `expire_sync_tokens()` makes every token stale, and a
  stale one answers 410 `fullSyncRequired` (domain `calendar`);
* patching the start, end, place or status raises the event's `sequence`; `sendUpdates` is recorded;
* errors carry the v3 `errors[]` list with a `reason`, besides Google's `code`, `message` and `status`.
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import re
from typing import Any

from tests.standins.base import ApiError, Reply, Request, route
from tests.standins.google import GoogleStandIn

_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_CAL = r"/calendar/v3/calendars/(?P<cal>[^/]+)/events"
_REASONS = {400: "invalid", 404: "notFound", 409: "duplicate", 410: "fullSyncRequired", 429: "rateLimitExceeded",
            500: "backendError", 503: "backendError"}  # fmt: skip
_PHRASES = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 409: "Conflict", 410: "Gone",
            429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip


class CalendarStandIn(GoogleStandIn):
    service = "calendar-json.googleapis.com"
    scope = "https://www.googleapis.com/auth/calendar.events"

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.calendars: dict[str, dict[str, dict[str, Any]]] = {}
        self.changes: list[tuple[int, str, str]] = []  # (clock, calendar, event id)
        self.send_updates: list[str] = []  # sendUpdates of each insert and patch
        self.epoch = 0
        self._clock = itertools.count(1)

    # setup -----------------------------------------------------------------------------------------------
    def events(self, calendar_id: str = "primary") -> dict[str, dict[str, Any]]:
        with self.lock:
            return self.calendars.setdefault(calendar_id, {})

    def add_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """As if a coordinator created it in the Calendar web app."""
        with self.lock:
            return self._store_new(calendar_id, dict(body))

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.epoch += 1

    def token_info(self) -> dict[str, str]:
        """An OAuth user token whose refresh this stand-in accepts."""
        return self.authorized_user_info()

    def error_body(self, status: int, message: str, reason: str, route: str) -> Any:
        body = super().error_body(status, message, reason, route)
        if route != "oauth.token":
            domain = "calendar" if status == 410 else "global"
            reason = reason or _REASONS.get(status, "error")
            body["error"]["errors"] = [{"domain": domain, "reason": reason, "message": body["error"]["message"]}]
        return body

    # events ----------------------------------------------------------------------------------------------
    @route("POST", _CAL, "events.insert")
    def _insert(self, req: Request) -> Reply:
        self.principal(req)
        body = req.json() or {}
        with self.lock:
            events = self.events(req.params["cal"])
            if "id" in body and not _ID.match(str(body["id"])):
                raise ApiError(400, "Invalid resource id value.", "invalid")
            if body.get("id") in events:
                raise ApiError(409, "The requested identifier already exists.", "duplicate")
            if not body.get("start") or not body.get("end"):
                raise ApiError(400, "Missing end time." if body.get("start") else "Missing start time.", "required")
            self.send_updates.append(req.arg("sendUpdates", "") or "")
            return Reply(200, self._store_new(req.params["cal"], body))

    @route("PATCH", _CAL + r"/(?P<eid>[^/]+)", "events.patch")
    def _patch(self, req: Request) -> Reply:
        self.principal(req)
        body = req.json() or {}
        with self.lock:
            events = self.events(req.params["cal"])
            old = events.get(req.params["eid"])
            if old is None:
                raise ApiError(404, "Not Found", "notFound")
            self.send_updates.append(req.arg("sendUpdates", "") or "")
            new = {**old, **body, "id": old["id"]}
            if any(old.get(k) != new.get(k) for k in ("start", "end", "location", "status")):
                new["sequence"] = old.get("sequence", 0) + 1
            new["etag"] = f'"{self._touch(req.params["cal"], old["id"])}"'
            events[old["id"]] = new
            return Reply(200, new)

    @route("GET", _CAL + r"/(?P<eid>[^/]+)", "events.get")
    def _get(self, req: Request) -> Reply:
        self.principal(req)
        found = self.events(req.params["cal"]).get(req.params["eid"])
        if found is None:
            raise ApiError(404, "Not Found", "notFound")
        return Reply(200, found)

    @route("GET", _CAL, "events.list")
    def _list(self, req: Request) -> Reply:
        self.principal(req)
        size = int(req.arg("maxResults", "250") or 250)
        with self.lock:
            items = self._listed(req.params["cal"], req.arg("syncToken"))
            start = int((req.arg("pageToken") or "page-0").removeprefix("page-"))
            out: dict[str, Any] = {"kind": "calendar#events", "items": items[start : start + size]}
            if start + size < len(items):
                out["nextPageToken"] = f"page-{start + size}"
            else:
                out["nextSyncToken"] = f"sync-{self.epoch}-{max((c for c, *_ in self.changes), default=0)}"
        return Reply(200, out)

    def _listed(self, calendar_id: str, token: str | None) -> list[dict[str, Any]]:
        events = self.events(calendar_id)
        if not token:
            return [e for e in events.values() if e.get("status") != "cancelled"]
        epoch, _, since = token.removeprefix("sync-").partition("-")
        if not epoch.isdigit() or int(epoch) != self.epoch:
            raise ApiError(410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired")
        changed = sorted({e for c, cal, e in self.changes if cal == calendar_id and c > int(since)})
        return [events[e] for e in changed]

    def _touch(self, calendar_id: str, event_id: str) -> int:
        clock = next(self._clock)
        self.changes.append((clock, calendar_id, event_id))
        return clock

    def _store_new(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        event_id = str(body.get("id") or f"gen{next(self._clock):08d}")
        clock = self._touch(calendar_id, event_id)
        stored = {"kind": "calendar#event", "status": "confirmed", **body, "id": event_id, "sequence": 0,
                  "etag": f'"{clock}"', "iCalUID": f"{event_id}@google.com"}  # fmt: skip
        self.events(calendar_id)[event_id] = stored
        return stored

    # batch -----------------------------------------------------------------------------------------------
    @route("POST", r"/batch/calendar/v3", "batch")
    def _batch(self, req: Request) -> Reply:
        self.principal(req)
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        message = parser.parsebytes(b"Content-Type: " + req.headers.get("content-type", "").encode() + b"\r\n\r\n"
                                    + req.body)  # fmt: skip
        if not message.is_multipart():
            raise ApiError(400, "The batch request is not multipart/mixed.", "badRequest")
        boundary = "batch_standin_boundary"
        parts = [self._part(p, boundary) for p in message.iter_parts()]
        body = ("".join(parts) + f"--{boundary}--\r\n").encode()
        return Reply(200, body, content_type=f"multipart/mixed; boundary={boundary}")

    def _part(self, part: Any, boundary: str) -> str:
        """Run one application/http part through the routes; answer it under the response Content-ID."""
        text = (part.get_payload(decode=True) or b"").decode("utf-8").replace("\r\n", "\n")
        head, _, body = text.partition("\n\n")
        request_line, *header_lines = head.split("\n")
        method, target, _version = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if ":" in h)}
        reply = self.handle(method, target, headers, body.encode())  # the path as the client encoded it
        payload = reply.body if isinstance(reply.body, bytes) else _json(reply.body)
        response_id = "<response-" + str(part["Content-ID"] or "").strip("<>") + ">"
        return (f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {response_id}\r\n\r\n"
                f"HTTP/1.1 {reply.status} {_PHRASES.get(reply.status, 'Error')}\r\n"
                f"Content-Type: {reply.content_type}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                + f"\r\n{payload.decode('utf-8')}\r\n")  # fmt: skip


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()
