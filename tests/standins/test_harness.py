"""The stand-in base that every API stand-in builds on: routing, counting and fault injection."""

from __future__ import annotations

import pytest
import requests

from tests.standins.base import ApiError, Reply, Request, StandIn, route


class Notes(StandIn):
    """A tiny API: notes by name."""

    def __init__(self) -> None:
        super().__init__()
        self.notes: dict[str, str] = {"a b": "first"}

    @route("GET", r"/notes/(?P<name>[^/]+)", "notes.get")
    def _get(self, req: Request) -> Reply:
        if req.params["name"] not in self.notes:
            raise ApiError(404, "no such note")
        return Reply(200, {"name": req.params["name"], "text": self.notes[req.params["name"]]})

    @route("PUT", r"/notes/(?P<name>[^/]+)", "notes.put")
    def _put(self, req: Request) -> Reply:
        self.notes[req.params["name"]] = req.json()["text"]
        return Reply(200, {"ok": True})


def test_routes_decode_paths_and_count_calls() -> None:
    with Notes() as api:
        assert requests.get(f"{api.url}/notes/a%20b", timeout=5).json() == {"name": "a b", "text": "first"}
        assert requests.put(f"{api.url}/notes/c", json={"text": "二"}, timeout=5).ok
        assert requests.get(f"{api.url}/notes/c", timeout=5).json()["text"] == "二"
        assert api.calls == {"notes.get": 2, "notes.put": 1}
        assert api.log[1].body == {"text": "二"} and api.log[0].path == "/notes/a b"


def test_errors_and_unknown_paths_use_the_api_error_body() -> None:
    with Notes() as api:
        missing = requests.get(f"{api.url}/notes/zz", timeout=5)
        assert (missing.status_code, missing.json()) == (404, {"error": {"status": 404, "message": "no such note"}})
        assert requests.post(f"{api.url}/elsewhere", timeout=5).status_code == 404
        assert api.calls["unrouted"] == 1


def test_a_fault_answers_a_given_number_of_requests_then_the_handler_runs() -> None:
    with Notes() as api:
        api.fail("notes.get", 429, times=2, retry_after="3")
        first = requests.get(f"{api.url}/notes/a%20b", timeout=5)
        assert first.status_code == 429 and first.headers["Retry-After"] == "3"
        assert requests.get(f"{api.url}/notes/a%20b", timeout=5).status_code == 429
        assert requests.put(f"{api.url}/notes/x", json={"text": "t"}, timeout=5).ok  # other routes unaffected
        assert requests.get(f"{api.url}/notes/a%20b", timeout=5).status_code == 200
        assert api.count("notes.get") == 3


def test_a_permanent_fault_lasts_until_cleared() -> None:
    with Notes() as api:
        api.fail(status=500, times=None)
        assert [requests.get(f"{api.url}/notes/a%20b", timeout=5).status_code for _ in range(3)] == [500] * 3
        api.clear_faults()
        assert requests.get(f"{api.url}/notes/a%20b", timeout=5).ok


def test_a_slow_response_outlasts_a_short_client_timeout() -> None:
    with Notes() as api:
        api.slow("notes.get", seconds=0.5)
        with pytest.raises(requests.Timeout):
            requests.get(f"{api.url}/notes/a%20b", timeout=0.1)
        assert requests.get(f"{api.url}/notes/a%20b", timeout=5).ok
