"""The loopback guard in conftest.py: a test that tries to leave 127.0.0.1 fails, even if the error is caught."""

from __future__ import annotations

import socket

import pytest
import requests

from tests import conftest


def test_a_connection_to_a_public_address_is_refused() -> None:
    with pytest.raises(RuntimeError, match="non-loopback address"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1: never reached
    assert conftest.ESCAPES == ["('192.0.2.1', 443)"]
    conftest.ESCAPES.clear()  # this test made the escape on purpose


def test_an_http_client_cannot_reach_a_public_host() -> None:
    with pytest.raises(RuntimeError, match="non-loopback address"):
        requests.get("http://192.0.2.1/", timeout=1)
    assert len(conftest.ESCAPES) == 1
    conftest.ESCAPES.clear()


def test_a_swallowed_escape_still_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import loopback_only, no_escapes  # noqa: F401\n")
    pytester.makepyfile(
        """
        import socket

        def test_swallows():
            try:
                socket.create_connection(("192.0.2.1", 80), timeout=1)
            except Exception:
                pass  # a connector that catches everything must not hide the escape
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test tried to reach non-loopback addresses: ('192.0.2.1', 80)*"])


def test_loopback_is_allowed() -> None:
    assert conftest._is_loopback(("127.0.0.1", 80)) and conftest._is_loopback(("::1", 80, 0, 0))
    assert not conftest._is_loopback(("8.8.8.8", 53)) and not conftest._is_loopback(("example.org", 80))


def test_the_guard_is_still_on_after_a_nested_run() -> None:
    with pytest.raises(RuntimeError, match="non-loopback address"):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    conftest.ESCAPES.clear()


def test_a_public_host_name_is_refused_before_any_dns_lookup() -> None:
    with pytest.raises(RuntimeError, match="non-loopback host 'sheets.googleapis.com'"):
        requests.get("https://sheets.googleapis.com/v4/spreadsheets/x", timeout=1)
    assert conftest.ESCAPES == ["'sheets.googleapis.com'"]
    conftest.ESCAPES.clear()
