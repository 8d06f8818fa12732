"""Shared fixtures: a network guard, one Prefect test harness per session, demo workspaces."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.imap import DovecotServer
    from tests.postgres import PostgresServer
    from tests.standins.sheets import SheetsStandIn
    from weaver.state import StateDB

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


# Every refused address, so a test fails even when code under test swallows the RuntimeError.
ESCAPES: list[str] = []


def _guarded(real):  # type: ignore[no-untyped-def]
    def connect(self: socket.socket, address: object):  # type: ignore[no-untyped-def]
        if not _is_loopback(address):
            ESCAPES.append(repr(address))
            raise RuntimeError(f"test tried to reach a non-loopback address {address!r}: tests stay on 127.0.0.1")
        return real(self, address)

    return connect


def _guarded_lookup(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Name lookups happen before connect: refuse public names here, so nothing waits on DNS."""
    name = host.decode() if isinstance(host, bytes) else str(host or "localhost")
    if not _is_loopback((name,)) and not _is_ip(name):
        ESCAPES.append(repr(name))
        raise RuntimeError(f"test tried to look up a non-loopback host {name!r}: tests stay on 127.0.0.1")
    return _real_getaddrinfo(host, *args, **kwargs)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True  # an address literal: connect() decides whether it is loopback


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    """Any connection to a host other than loopback fails the test that made it."""
    before = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo  # a nested run restores ours
    socket.socket.connect = _guarded(_real_connect)  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded(_real_connect_ex)  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_lookup
    yield
    socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = before  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def no_escapes(loopback_only: None) -> Iterator[None]:
    """Fail the test if it tried to leave loopback, even if the error was caught on the way."""
    ESCAPES.clear()
    yield
    if ESCAPES:
        escaped = list(ESCAPES)
        ESCAPES.clear()
        pytest.fail(f"test tried to reach non-loopback addresses: {', '.join(escaped)}")


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for every test that runs whole flows (start-up is paid once)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    # no heartbeat thread: each flow run joins it at its end, which cost up to 1 s a run (as in `weaver run`)
    no_heartbeats = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    with prefect_test_harness(server_startup_timeout=120), temporary_settings(no_heartbeats):
        yield


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on loopback for the session (skipped, saying why, where it is not installed)."""
    from tests.postgres import PostgresServer, server_binaries

    bindir = server_binaries()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (initdb not found): `make test` installs Debian's postgresql")
    server = PostgresServer(bindir).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """A real IMAP server (Debian's Dovecot) on loopback for the session (skipped, saying why, without it)."""
    from tests.imap import DovecotServer, dovecot_binary

    binary = dovecot_binary()
    if binary is None:
        pytest.skip("Dovecot is not installed: `make test` installs Debian's dovecot-imapd")
    server = DovecotServer(binary).start()
    try:
        yield server
    finally:
        server.stop()


DIALECTS = ["sqlite", "postgresql"]


@pytest.fixture(params=DIALECTS)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh state database's URL, once per dialect: test ids carry it (`[sqlite]`, `[postgresql]`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'weaver.db'}"
    return request.getfixturevalue("postgres").database()


@pytest.fixture
def state_db(state_url: str) -> Iterator[StateDB]:
    """A fresh StateDB on each dialect (see `state_url`), closed after the test."""
    from weaver.state import StateDB

    db = StateDB(state_url)
    try:
        yield db
    finally:
        db.close()


DEMO_DAY = date(2026, 11, 24)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from demo.build import create_workspace

    return create_workspace(tmp_path_factory.mktemp("demo-template") / "ws", today=DEMO_DAY)


@pytest.fixture
def demo_ws(tmp_path: Path, demo_template: Path) -> Path:
    """A fresh copy of the demo workspace for one test."""
    import shutil

    target = tmp_path / "ws"
    shutil.copytree(demo_template, target)
    return target


@dataclass(frozen=True)
class PrefectServer:
    api_url: str
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a process that talks to this server (and never to ./.prefect)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_API_URL=self.api_url, PREFECT_HOME=str(self.home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
        env.update(extra)
        return env


_SERVER_KEY = pytest.StashKey[tuple[PrefectServer, object]]()


def _start_prefect_server(config: pytest.Config) -> tuple[PrefectServer, object]:
    """`prefect server start` (API only: no UI, no background services) on a free loopback port."""
    import sys
    import tempfile

    from tests.processes import Background, free_port

    home = Path(tempfile.mkdtemp(prefix="weaver-prefect-server-"))
    port = free_port()
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home)
    prefect = str(Path(sys.executable).with_name("prefect"))
    args = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services", "--no-ui"]
    process = Background(args, server.env(PREFECT_API_URL=""), home / "server.log")
    config.stash[_SERVER_KEY] = (server, process)
    return server, process


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the server as soon as an end-to-end test is selected: it boots while other tests run."""
    if any(item.get_closest_marker("e2e") for item in session.items):
        _start_prefect_server(session.config)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the server even when no test asked for it (a run stopped early by -x), and remove its home."""
    import shutil

    if _SERVER_KEY in session.config.stash:
        server, process = session.config.stash[_SERVER_KEY]
        process.stop()  # type: ignore[attr-defined]
        shutil.rmtree(server.home, ignore_errors=True)


@pytest.fixture(scope="session")
def prefect_server(request: pytest.FixtureRequest) -> Iterator[PrefectServer]:
    """A real `prefect server` on loopback, once per session, apart from `prefect_harness`."""
    from tests.processes import http_ok

    config = request.config
    server, process = config.stash[_SERVER_KEY] if _SERVER_KEY in config.stash else _start_prefect_server(config)
    try:
        process.wait_for(lambda: http_ok(f"{server.api_url}/health"), "prefect server start", timeout=180)  # type: ignore[attr-defined]
        yield server
    finally:
        process.stop()  # type: ignore[attr-defined]


@pytest.fixture
def sheets_api() -> Iterator[SheetsStandIn]:
    """A fresh Google Sheets v4 stand-in (with its OAuth token endpoint) on 127.0.0.1."""
    from tests.standins.sheets import SheetsStandIn

    with SheetsStandIn() as api:
        yield api
