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

# Under pytest-xdist (`make test` runs `pytest -n ...`) every worker is its own session: its own Prefect harness,
# PostgreSQL, Dovecot and e2e server (free ports, temporary directories). Prefect's home is per worker too, so
# no two workers' servers share a memo store or a database file (set before anything imports Prefect).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if XDIST_WORKER:
    import tempfile

    os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix=f"weaver-prefect-home-{XDIST_WORKER}-")

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


# A folder shared by every process of one test run (the xdist controller's and its workers'): made by the
# first process that configures, inherited by the workers through the environment, removed by its maker.
_SHARED = "WEAVER_TEST_RUN_DIR"
_SHARED_MADE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    if not os.environ.get(_SHARED):
        os.environ[_SHARED] = tempfile.mkdtemp(prefix="weaver-test-run-")
        config.stash[_SHARED_MADE] = os.environ[_SHARED]


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    if _SHARED_MADE in config.stash:
        shutil.rmtree(config.stash[_SHARED_MADE], ignore_errors=True)
        os.environ.pop(_SHARED, None)


def prefect_db_template() -> Path | None:
    """A migrated Prefect database with its block types (tests/prefect_template.py), made once per test run;
    None, and each server migrates its own as before, if it could not be made."""
    import fcntl
    import subprocess
    import sys

    shared = Path(os.environ[_SHARED])
    template, failed = shared / "prefect-template.db", shared / "prefect-template.failed"
    with open(shared / "prefect-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one process makes it; the others wait for it here
        if not template.exists() and not failed.exists():
            home = shared / "prefect-template-home"
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
            env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false")
            root = str(Path(__file__).resolve().parents[1])
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
            done = subprocess.run([sys.executable, "-m", "tests.prefect_template", str(template)], env=env,
                                  cwd=root, capture_output=True, text=True, timeout=600)  # fmt: skip
            if done.returncode != 0:
                failed.write_text(done.stderr, encoding="utf-8")
    return template if template.exists() else None


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for every test that runs whole flows (start-up is paid once)."""
    import contextlib
    import shutil
    import tempfile
    from unittest import mock

    import prefect.testing.utilities
    from prefect.settings import (
        PREFECT_API_BLOCKS_REGISTER_ON_START,
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    # no heartbeat thread: each flow run joins it at its end, which cost up to 1 s a run (as in `weaver run`)
    settings: dict[object, object] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    template = prefect_db_template()
    seeded: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if template is not None:
        # the harness makes its database in a new temporary folder as prefect-test.db: it finds the template's
        # copy there, already migrated and with the block types (so the server skips registering them)
        def mkdtemp() -> str:
            folder = tempfile.mkdtemp(prefix="weaver-prefect-harness-")
            shutil.copyfile(template, Path(folder) / "prefect-test.db")
            return folder

        seeded = mock.patch.object(prefect.testing.utilities, "mkdtemp", mkdtemp)
        settings[PREFECT_API_BLOCKS_REGISTER_ON_START] = False
    with seeded, temporary_settings(settings), prefect_test_harness(server_startup_timeout=120):  # type: ignore[arg-type]
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
    import shutil
    import sys
    import tempfile

    from tests.processes import Background, free_port

    home = Path(tempfile.mkdtemp(prefix="weaver-prefect-server-"))
    port = free_port()
    server = PrefectServer(f"http://127.0.0.1:{port}/api", home)
    prefect = str(Path(sys.executable).with_name("prefect"))
    args = [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services", "--no-ui"]
    env = server.env(PREFECT_API_URL="")
    template = prefect_db_template()
    if template is not None:  # its database (PREFECT_HOME/prefect.db) starts migrated, with the block types
        shutil.copyfile(template, home / "prefect.db")
        env["PREFECT_API_BLOCKS_REGISTER_ON_START"] = "false"
    process = Background(args, env, home / "server.log")
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
    if XDIST_WORKER and "weaver-prefect-home-" in os.environ.get("PREFECT_HOME", ""):
        shutil.rmtree(os.environ["PREFECT_HOME"], ignore_errors=True)  # this worker's own Prefect home


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
