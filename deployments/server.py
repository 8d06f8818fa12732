"""One local Prefect server per PREFECT_HOME: started in the background on first use, reused by every command.

`weaver run`, `weaver demo`, `make ui` and `make serve` talk to the same server, so a command pays Prefect's
start-up once per machine instead of once per run (an ephemeral server takes 6-9 s to boot), every run shows
in the UI, and one process owns the SQLite database (no "database is locked" between two ephemeral servers).

The server runs in its own session (closing the terminal does not stop it); `weaver server stop` does.
Its pid, port and log are in PREFECT_HOME/weaver-server.json and PREFECT_HOME/server.log.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from weaver.errors import WeaverError

DEFAULT_PORT = 4200
STATE_FILE = "weaver-server.json"
LOG_FILE = "server.log"
START_TIMEOUT = 240.0  # seconds; a first start on a busy 2-core machine migrates the database first


def default_home() -> Path:
    """The project's own .prefect (the folder `make` uses), or ~/.weaver/prefect for an installed package."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file():
        return root / ".prefect"
    return Path.home() / ".weaver" / "prefect"


def configure_environment(env: MutableMapping[str, str] | None = None) -> None:
    """Our Prefect settings, before Prefect is imported: our home, no telemetry, a patient ephemeral server.

    Values already in the environment win (a user's PREFECT_HOME or PREFECT_API_URL is respected).
    """
    env = os.environ if env is None else env
    env.setdefault("PREFECT_HOME", str(default_home()))
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # the server's own phone-home
    env.setdefault("DO_NOT_TRACK", "1")  # the client SDK's telemetry
    # Only if someone still runs without a server: the ephemeral one needs more than 20 s on a busy machine.
    env.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def server_environment(env: MutableMapping[str, str]) -> None:
    """Settings of the local server's own process (values already in the environment win).

    - The task-run recorder stores task runs in batches of up to 50, at least once a second, instead of one
      transaction per task-run state event (Prefect's default, about 400 in one demo run): that halves the
      server's CPU time in a second `weaver demo` (8.7-8.9 s -> 4.0-4.4 s, measured). A task run reaches the
      UI at most about a second after its event.
    - A request that the database refuses with "database is locked" (answered 503; Prefect's client then
      waits ~2 s) writes its traceback to the server's log, which says which statement it was.
    """
    env.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE", "50")
    env.setdefault("PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL", "1")
    env.setdefault("PREFECT_API_LOG_RETRYABLE_ERRORS", "true")


def home_dir() -> Path:
    return Path(os.environ.get("PREFECT_HOME") or default_home()).expanduser()


@dataclass(frozen=True)
class ServerInfo:
    pid: int
    port: int
    home: Path

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / LOG_FILE


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as reply:
            return 200 <= reply.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (exited, not yet reaped by us) is not alive
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _read(home: Path) -> ServerInfo | None:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        return ServerInfo(int(data["pid"]), int(data["port"]), home)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def status(home: Path | None = None) -> tuple[ServerInfo | None, str]:
    """(info, "running" | "starting" | "stopped")."""
    home = home or home_dir()
    info = _read(home)
    if info is None or not _alive(info.pid):
        return None, "stopped"
    return info, "running" if healthy(info.api_url) else "starting"


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _choose_port() -> int:
    wanted = int(os.environ.get("WEAVER_PREFECT_PORT") or DEFAULT_PORT)  # 0: any free port
    if wanted and _port_free(wanted):
        return wanted
    with socket.socket() as probe:  # another program (or another home's server) holds it: any free port
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _locked(home: Path) -> Iterator[None]:
    """Two commands started at once must not start two servers on one database."""
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "weaver-server.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _spawn(home: Path, port: int) -> ServerInfo:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}  # the server is the API itself
    configure_environment(env)
    server_environment(env)
    env["PREFECT_HOME"] = str(home)
    # the UI asks its API at PREFECT_SERVER_API_PORT (not --port): on a port other than 4200 it would ask 4200
    env["PREFECT_SERVER_API_PORT"] = str(port)
    env.setdefault("PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT", "false")  # no upgrade banners in a coordinator's UI
    root = str(Path(__file__).resolve().parent.parent)  # this checkout's deployments package, wherever we run
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    # `prefect server start`, with SQLite write transactions that wait for the lock (deployments/prefect_server.py)
    args = [sys.executable, "-m", "deployments.prefect_server", "--host", "127.0.0.1", "--port", str(port)]
    with open(home / LOG_FILE, "ab") as log:
        process = subprocess.Popen(
            args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    info = ServerInfo(process.pid, port, home)
    (home / STATE_FILE).write_text(json.dumps({"pid": info.pid, "port": port}), encoding="utf-8")
    return info


def _wait(info: ServerInfo, say: Callable[[str], None], timeout: float) -> None:
    start = time.monotonic()
    told = start
    while not healthy(info.api_url):
        now = time.monotonic()
        if not _alive(info.pid):
            tail = _tail(info.log)
            raise WeaverError(f"the local Prefect server stopped while starting (see {info.log}){tail}")
        if now - start > timeout:
            raise WeaverError(f"the local Prefect server did not answer within {timeout:.0f} s (see {info.log})")
        if now - told >= 2.0:
            say(f"  still starting ({now - start:.0f} s)...")
            told = now
        time.sleep(0.25)


def _tail(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f": {lines[-1].strip()}" if lines else ""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def ensure(
    home: Path | None = None, say: Callable[[str], None] = _stderr, timeout: float = START_TIMEOUT
) -> ServerInfo:
    """The running server of this home, started now if there is none. Returns once it answers."""
    home = home or home_dir()
    with _locked(home):
        info = _read(home)
        if info is not None and _alive(info.pid):
            if not healthy(info.api_url):
                say(f"waiting for the local Prefect server ({info.ui_url}) to answer...")
                _wait(info, say, timeout)
            return info
        info = _spawn(home, _choose_port())
        say(f"starting the local Prefect server in the background (once; UI at {info.ui_url})...")
        try:
            _wait(info, say, timeout)
        except WeaverError:
            _terminate(info)
            raise
        say(f"Prefect server ready: {info.ui_url} ('weaver server stop' stops it)")
        return info


def _terminate(info: ServerInfo) -> None:
    try:
        os.killpg(info.pid, signal.SIGTERM)  # the server leads its own session: uvicorn and services with it
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + 20
    while _alive(info.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(info.pid):
        try:
            os.killpg(info.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:  # reap it if it is our own child (a test, or a start that failed)
        os.waitpid(info.pid, os.WNOHANG)
    except ChildProcessError:
        pass
    (info.home / STATE_FILE).unlink(missing_ok=True)


def stop(home: Path | None = None) -> ServerInfo | None:
    """Stop this home's server; None if none was running."""
    home = home or home_dir()
    with _locked(home):
        info = _read(home)
        if info is None or not _alive(info.pid):
            (home / STATE_FILE).unlink(missing_ok=True)
            return None
        _terminate(info)
        return info
