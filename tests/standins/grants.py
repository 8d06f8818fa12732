"""A Grants.gov stand-in on 127.0.0.1: `search2` and `fetchOpportunity` in the API's wire format.

It keeps opportunities as state, pages like the real search (`rows`, `startRecordNum`, `hitCount`), counts
calls per endpoint, and injects faults: an HTTP status with `Retry-After`, or a 200 whose `errorcode` is not
0. It also serves funders' RSS/Atom feeds at `/feeds/<name>`. Self-contained (stdlib ThreadingHTTPServer on
port 0) until the stand-ins share a base.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API = "/v1/api/"


@dataclass
class Opportunity:
    id: str
    title: str
    agency: str = "Environmental Protection Agency"
    agency_code: str = "EPA"
    number: str = ""
    open_date: str = "10/01/2026"
    close_date: str = ""  # MM/DD/YYYY or "" (forecasts often have none)
    status: str = "posted"
    award_ceiling: str = "none"  # a string, "none" when not published, as the real API answers
    award_floor: str = "none"

    def hit(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number or f"{self.agency_code}-26-{self.id}",
            "title": self.title,
            "agencyCode": self.agency_code,
            "agency": self.agency,
            "openDate": self.open_date,
            "closeDate": self.close_date,
            "oppStatus": self.status,
            "docType": "synopsis" if self.status == "posted" else "forecast",
            "cfdaList": ["66.951"],
        }

    def detail(self) -> dict[str, Any]:
        return {
            "id": int(self.id),
            "revision": 0,
            "opportunityNumber": self.hit()["number"],
            "opportunityTitle": self.title,
            "owningAgencyCode": self.agency_code,
            "synopsis": {
                "opportunityId": int(self.id),
                "agencyName": self.agency,
                "awardCeiling": self.award_ceiling,
                "awardFloor": self.award_floor,
                "synopsisDesc": f"<p>{self.title}</p>",
            },
            "cfdas": [{"cfdaNumber": "66.951"}],
        }


@dataclass
class Fault:
    """The next answer, whatever was asked: an HTTP status (with headers) or a JSON body with errorcode."""

    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    endpoint: str | None = None  # only for this endpoint ("search2", "fetchOpportunity", "feeds")


class GrantsGovStandin:
    def __init__(self, opportunities: list[Opportunity] | None = None) -> None:
        self.opportunities: list[Opportunity] = list(opportunities or [])
        self.feeds: dict[str, tuple[str, bytes]] = {}  # name -> (content type, body)
        self.calls: Counter[str] = Counter()
        self.bodies: list[tuple[str, dict[str, Any]]] = []  # every request body, in order
        self.faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{API}"

    def feed_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/feeds/{name}"

    def start(self) -> GrantsGovStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> GrantsGovStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def by_id(self, opp_id: str) -> Opportunity | None:
        return next((o for o in self.opportunities if o.id == opp_id), None)

    # the API --------------------------------------------------------------------------------------------
    def take_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            if self.faults and self.faults[0].endpoint in (None, endpoint):
                return self.faults.popleft()
        return None

    def search2(self, body: dict[str, Any]) -> dict[str, Any]:
        keyword = str(body.get("keyword") or "").casefold()
        statuses = set(str(body.get("oppStatuses") or "forecasted|posted").split("|"))
        agencies = set(filter(None, str(body.get("agencies") or "").split("|")))
        found = [
            o
            for o in self.opportunities
            if o.status in statuses
            and (not agencies or o.agency_code in agencies)
            and all(word in o.title.casefold() for word in keyword.split())
        ]
        start, rows = int(body.get("startRecordNum") or 0), int(body.get("rows") or 25)
        page = found[start : start + rows]
        data = {
            "searchParams": body,
            "hitCount": len(found),
            "startRecord": start,
            "oppHits": [o.hit() for o in page],
            "oppStatusOptions": [],
            "agencies": [],
            "fundingCategories": [],
            "eligibilities": [],
        }
        return {"errorcode": 0, "msg": "Webservice Succeeds", "token": "standin", "data": data}

    def fetch_opportunity(self, body: dict[str, Any]) -> dict[str, Any]:
        opp = self.by_id(str(body.get("opportunityId")))
        if opp is None:
            return {"errorcode": 1, "msg": "Opportunity not found", "token": "standin", "data": {}}
        return {"errorcode": 0, "msg": "Webservice Succeeds", "token": "standin", "data": opp.detail()}


def _handler(standin: GrantsGovStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json;charset=UTF-8", headers)

        def _fault(self, endpoint: str) -> bool:
            fault = standin.take_fault(endpoint)
            if fault is None:
                return False
            if fault.body is not None:
                self._json(fault.status, fault.body, fault.headers)
            else:
                self._send(fault.status, b"<html>busy</html>", "text/html", fault.headers)
            return True

        def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            endpoint = self.path.removeprefix(API).split("?")[0]
            standin.calls[endpoint] += 1
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self._json(400, {"errorcode": 400, "msg": "bad JSON"})
                return
            standin.bodies.append((endpoint, body))
            if self._fault(endpoint):
                return
            if endpoint == "search2":
                self._json(200, standin.search2(body))
            elif endpoint == "fetchOpportunity":
                self._json(200, standin.fetch_opportunity(body))
            else:
                self._json(404, {"errorcode": 404, "msg": "no such endpoint"})

        def do_GET(self) -> None:  # noqa: N802
            name = self.path.removeprefix("/feeds/").split("?")[0]
            standin.calls["feeds"] += 1
            if self._fault("feeds"):
                return
            if name in standin.feeds:
                content_type, body = standin.feeds[name]
                self._send(200, body, content_type)
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """A small RSS 2.0 document: items are (guid, title, link)."""
    from xml.sax.saxutils import escape

    entries = "".join(
        f"<item><guid>{escape(g)}</guid><title>{escape(t)}</title><link>{escape(link)}</link>"
        "<pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate></item>"
        for g, t, link in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://funder.example.org/</link>{entries}</channel></rss>"
    ).encode()
