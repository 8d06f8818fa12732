"""The workspace's table lock: operations that write tables take turns, one at a time per workspace.

member-intake (a webhook) and a scheduled member-sync can both write the members tab. Each reads the tab,
plans, and writes back cells by row number; two at once would plan on the same rows. They take this lock
for their read -> plan -> write, so the second one reads what the first wrote.

Why a file lock and not a Prefect tag concurrency limit: it holds for every way an operation runs (the
`weaver` command, the demo, tests, a served deployment, a worker) with nothing to create on a server first,
and it is held exactly for the read-to-write stretch, never while a run waits for an approval or sends.
It is an advisory `flock` on `<workspace>/.weaver-tables.lock`: it serialises our operations on one machine
(the workspace folder is local); a coordinator's own save is caught by the fingerprint check instead
(connectors/workbook.py). The lock is re-entrant within a thread (member-intake runs member-sync inside).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from weaver.errors import SourceError

LOCK_NAME = ".weaver-tables.lock"
_held = threading.local()


@contextmanager
def table_lock(root: Path, holder: str, wait_seconds: float = 900.0, poll: float = 0.2) -> Iterator[None]:
    """Hold the workspace's table lock; wait up to `wait_seconds` for another operation to finish."""
    path = (Path(root) / LOCK_NAME).resolve()
    depth: dict[Path, int] = _held.__dict__.setdefault("depth", {})
    if depth.get(path):
        depth[path] += 1
        try:
            yield
        finally:
            depth[path] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    other = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another operation"
                    raise SourceError(
                        f"the tables of this workspace are being written by {other}; waited {wait_seconds:.0f} s. "
                        "Run again when it has finished."
                    ) from None
                time.sleep(poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{holder} (pid {os.getpid()})".encode(), 0)
        depth[path] = 1
        try:
            yield
        finally:
            depth[path] = 0
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
