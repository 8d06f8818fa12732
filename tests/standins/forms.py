"""A Google Forms API v1 stand-in on 127.0.0.1 that speaks the wire format the real client library uses.

Self-contained (stdlib `ThreadingHTTPServer`, port 0). It keeps forms and their responses, serves
`forms.get` and `responses.list` (paged with `nextPageToken`, filtered by `timestamp >= / > RFC3339Z` on the
last submitted time; an empty form answers `{}`), answers a service-account token grant at `/token`, counts
calls and injects faults (a queue of statuses, e.g. 429 with `Retry-After`, 503).

    with FormsStandIn() as forms:
        forms.add_form("f1", "Check-in", [text_item("q1", "Story")])
        forms.add_response("f1", "r1", "2026-11-20T08:00:00Z", {"q1": ["..."]})
        client = GoogleForms(httplib2.Http(timeout=5), forms.endpoint)
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_FORM = re.compile(r"^/v1/forms/([^/]+)$")
_RESPONSES = re.compile(r"^/v1/forms/([^/]+)/responses$")
_FILTER = re.compile(r"^\s*timestamp\s*(>=|>)\s*(\S+)\s*$")
ACCESS_TOKEN = "stand-in-access-token"


def _item(question_id: str, title: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    question = {"questionId": question_id, kind: body}
    return {"itemId": "i" + question_id, "title": title, "questionItem": {"question": question}}


def text_item(question_id: str, title: str, paragraph: bool = False) -> dict[str, Any]:
    return _item(question_id, title, "textQuestion", {"paragraph": paragraph})


def choice_item(question_id: str, title: str, options: list[str], kind: str = "RADIO") -> dict[str, Any]:
    return _item(question_id, title, "choiceQuestion", {"type": kind, "options": [{"value": o} for o in options]})


def scale_item(question_id: str, title: str, low: int = 1, high: int = 5) -> dict[str, Any]:
    return _item(question_id, title, "scaleQuestion", {"low": low, "high": high})


def _parse_time(text: str) -> datetime:
    head, dot, rest = text.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{(rest[:6] if dot else '').ljust(6, '0')}").replace(tzinfo=UTC)


class FormsStandIn:
    def __init__(self, page_size: int = 2, require_auth: bool = False) -> None:
        self.page_size = page_size
        self.require_auth = require_auth
        self.forms: dict[str, dict[str, Any]] = {}
        self.responses: dict[str, list[dict[str, Any]]] = {}
        self.calls: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []  # (call name, query) in order
        self.faults: list[tuple[int, dict[str, str]]] = []  # served first, one per request
        self.auth_headers: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # set-up ----------------------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        return self.endpoint + "token"

    def add_form(self, form_id: str, title: str, items: list[dict[str, Any]]) -> None:
        self.forms[form_id] = {"formId": form_id, "info": {"title": title, "documentTitle": title},
                               "items": items, "revisionId": "00000001",
                               "responderUri": f"https://docs.google.com/forms/d/e/{form_id}/viewform"}  # fmt: skip
        self.responses.setdefault(form_id, [])

    def add_response(self, form_id: str, response_id: str, submitted: str, answers: dict[str, list[str]]) -> None:
        """A submission (or, with a known response id, its edit: same id, newer time)."""
        body = {
            "formId": form_id,
            "responseId": response_id,
            "createTime": submitted,
            "lastSubmittedTime": submitted,
            "answers": {
                qid: {"questionId": qid, "textAnswers": {"answers": [{"value": v} for v in values]}}
                for qid, values in answers.items()
            },
        }
        with self._lock:
            kept = [r for r in self.responses[form_id] if r["responseId"] != response_id]
            self.responses[form_id] = [*kept, body]

    def fail_next(self, status: int, retry_after: float | None = None) -> None:
        self.faults.append((status, {"Retry-After": str(retry_after)} if retry_after is not None else {}))

    def __enter__(self) -> FormsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # serving ---------------------------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], auth: str) -> tuple[int, dict[str, Any]]:
        if method == "POST" and path == "/token":
            self.calls["token"] += 1
            return 200, {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"}
        if method != "GET":
            return 405, _error(405, "method not allowed", "INVALID_ARGUMENT")
        form = _FORM.match(path)
        listing = _RESPONSES.match(path)
        name = "forms.get" if form else "responses.list" if listing else "unknown"
        self.calls[name] += 1
        self.requests.append((name, query))
        self.auth_headers.append(auth)
        if self.require_auth and auth != f"Bearer {ACCESS_TOKEN}":
            return 401, _error(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")
        match = form or listing
        if match is None:
            return 404, _error(404, "not found", "NOT_FOUND")
        form_id = unquote(match.group(1))
        if form_id not in self.forms:
            return 404, _error(404, "Requested entity was not found.", "NOT_FOUND")
        return (200, self.forms[form_id]) if form else self._list(form_id, query)

    def _list(self, form_id: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        flt = query.get("filter", "")
        chosen = list(self.responses[form_id])
        if flt:
            match = _FILTER.match(flt)
            if match is None:
                return 400, _error(400, "Invalid filter", "INVALID_ARGUMENT")
            mark = _parse_time(match.group(2))
            inclusive = match.group(1) == ">="
            chosen = [r for r in chosen if _after(_parse_time(r["lastSubmittedTime"]), mark, inclusive)]
        start = 0
        if query.get("pageToken"):
            decoded = json.loads(base64.urlsafe_b64decode(query["pageToken"]))
            if decoded["filter"] != flt:
                return 400, _error(400, "Page token does not match the request", "INVALID_ARGUMENT")
            start = decoded["offset"]
        size = int(query.get("pageSize") or 0) or self.page_size
        page = chosen[start : start + size]
        if not page and start == 0:
            return 200, {}  # the real API answers an empty form with an empty object
        body: dict[str, Any] = {"responses": page}
        if start + size < len(chosen):
            token = json.dumps({"offset": start + size, "filter": flt}).encode()
            body["nextPageToken"] = base64.urlsafe_b64encode(token).decode()
        return 200, body

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:  # quiet
                pass

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with standin._lock:
                    fault = standin.faults.pop(0) if standin.faults and parts.path != "/token" else None
                if fault:
                    standin.calls["fault"] += 1
                    status, headers = fault
                    self._reply(status, _error(status, "injected fault", "UNAVAILABLE"), headers)
                    return
                status, body = standin._route(method, parts.path, query, self.headers.get("Authorization", ""))
                self._reply(status, body)

            def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                self._serve("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._serve("POST")

        return Handler


def _after(when: datetime, mark: datetime, inclusive: bool) -> bool:
    return when > mark or (inclusive and when == mark)


def _error(code: int, message: str, status: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}
