"""The base every stand-in server is built on: a real HTTP server on 127.0.0.1, in a background thread.

A stand-in speaks one external API's wire format and keeps state, so a connector is tested through its real
client library (gspread, google-api-python-client, mailchimp-marketing, requests) and nothing is mocked.
This base gives each stand-in the same tools:

* **routes**: a handler method decorated with `@route("GET", r"/v4/spreadsheets/(?P<sid>[^/]+)", "get")`
  receives a `Request` (named path groups percent-decoded in `req.params`) and returns a `Reply`, or raises
  `ApiError` for an answer in the API's own error format (`error_body`, overridden per API).
* **counting**: `calls` counts requests by route name (faulted ones included, unmatched ones as
  `"unrouted"`); `log` keeps one `Call` per request, in order (route, decoded path, query, status, JSON body), for
  assertions on what was sent.
* **faults**: `fail("get", status=429, times=2, retry_after="3")` answers the next two matching requests
  with that error instead of running the handler; `times=None` means every request from now on.
  `slow("get", seconds=0.5)` delays matching requests; `latency` delays every request (benchmarks).
* **lifecycle**: `with MyStandIn() as api:` serves on a free port until the block ends; `api.url` is
  the base URL to hand to the connector.

To add a stand-in (Calendar, Forms, Mailchimp, Grants.gov): subclass `StandIn` (or `GoogleStandIn` for a
Google API, which adds the OAuth token endpoint and Google's error JSON), keep the API's state in plain
attributes with small setup helpers for tests, write one handler per endpoint the connector uses, and model
only behaviour the real API has (status codes, error bodies, pagination, limits): a stand-in that is kinder
than the real service hides bugs. Handlers run on server threads; hold `self.lock` while touching state.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

Handler = Callable[[Any, "Request"], "Reply"]


@dataclass
class Request:
    method: str
    path: str  # as sent (still percent-encoded), without the query string
    params: dict[str, str]  # named groups of the route pattern, percent-decoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received.") from None

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"


class ApiError(Exception):
    """Raised by a handler: the stand-in answers with `error_body(status, message, reason, route)`."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class Call:
    route: str
    method: str
    path: str  # percent-decoded
    query: dict[str, list[str]]
    status: int
    body: Any = None  # the request's JSON body, parsed (None when empty or not JSON)


@dataclass
class _Fault:
    route: str  # a route name, or "*" for every route
    status: int | None  # None: only a delay
    delay: float
    retry_after: str | None
    message: str
    remaining: int | None  # None: forever


def route(method: str, pattern: str, name: str) -> Callable[[Handler], Handler]:
    """Mark a handler for `method` on paths matching `pattern` (a regex over the whole encoded path)."""

    def mark(fn: Handler) -> Handler:
        fn._route = (method.upper(), re.compile(pattern + r"\Z"), name)  # type: ignore[attr-defined]
        return fn

    return mark


class StandIn:
    """One API on 127.0.0.1. Subclasses add routes, state and `error_body`."""

    _routes: list[tuple[str, re.Pattern[str], str, str]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: list[tuple[str, re.Pattern[str], str, str]] = []
        for klass in reversed(cls.__mro__):
            for attr, fn in vars(klass).items():
                mark = getattr(fn, "_route", None)
                if mark:
                    found = [r for r in found if r[3] != attr] + [(*mark, attr)]
        cls._routes = found

    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.log: list[Call] = []
        self.lock = threading.RLock()
        self._faults: list[_Fault] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle -------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the stand-in is not running (use it as a context manager)")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Self:
        server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # faults and counts -----------------------------------------------------------------------------------
    def fail(
        self,
        route: str = "*",
        status: int = 503,
        *,
        times: int | None = 1,
        retry_after: str | None = None,
        message: str = "",
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests of `route` with `status` (None: every request from now on)."""
        with self.lock:
            self._faults.append(_Fault(route, status, delay, retry_after, message, times))

    def slow(self, route: str = "*", seconds: float = 1.0, *, times: int | None = 1) -> None:
        """Delay the next `times` requests of `route` by `seconds`, then answer normally."""
        with self.lock:
            self._faults.append(_Fault(route, None, seconds, None, "", times))

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()

    def reset_counts(self) -> None:
        with self.lock:
            self.calls.clear()
            self.log.clear()

    def count(self, *routes: str) -> int:
        """Requests made to these routes (all routes when none are named)."""
        with self.lock:
            return sum(self.calls[r] for r in routes) if routes else sum(self.calls.values())

    def error_body(self, status: int, message: str, reason: str, route: str) -> Any:
        """The API's error format; override per API."""
        return {"error": {"status": status, "message": message or reason or "error"}}

    # dispatch --------------------------------------------------------------------------------------------
    def _match(self, method: str, path: str) -> tuple[str, Handler | None, dict[str, str]]:
        for verb, pattern, name, attr in self._routes:
            found = pattern.match(path)
            if verb == method and found:
                params = {k: unquote(v) for k, v in found.groupdict().items() if v is not None}
                return name, getattr(self, attr), params
        return "unrouted", None, {}

    def _take_fault(self, name: str) -> _Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.route in ("*", name) and fault.remaining != 0:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        parts = urlsplit(target)
        name, handler, params = self._match(method, parts.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        fault = self._take_fault(name)
        delay = self.latency + (fault.delay if fault else 0.0)
        if delay:
            time.sleep(delay)
        try:
            if fault and fault.status is not None:
                raise ApiError(fault.status, fault.message)
            if handler is None:
                raise ApiError(404, f"stand-in: no route for {method} {parts.path}")
            reply = handler(Request(method, parts.path, params, query, headers, body))
        except ApiError as err:
            reply = Reply(err.status, self.error_body(err.status, err.message, err.reason, name))
            if fault and fault.retry_after is not None:
                reply.headers["Retry-After"] = fault.retry_after
        with self.lock:
            self.calls[name] += 1
            self.log.append(Call(name, method, unquote(parts.path), query, reply.status, _json_or_none(body)))
        return reply


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (its timeout) closes the socket mid-reply: expected in fault tests


def _handler_for(standin: StandIn) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the real services; every reply has a Content-Length
        disable_nagle_algorithm = True  # with the buffer below, headers and body leave in one segment:
        wbufsize = 1 << 16  # no 40 ms delayed-ACK stall per request, which would swamp `latency`

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = standin.handle(self.command, self.path, headers, body)
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_MKCOL = _serve  # MKCOL: WebDAV

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
            pass  # quiet: tests assert on `log`, not stderr

    return _Handler
