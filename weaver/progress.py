"""Progress of a long step (sending, for now): a line in the run's log (so in the terminal of `weaver run` and
in the Prefect UI's log) at most every `every` seconds, and a Prefect progress artifact the UI shows as a bar.

Nothing is printed for a step that ends before the first interval: short sends stay quiet. Outside a Prefect
run (plain calls, tests) the lines go to Python's logging and no artifact is made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StepProgress:
    """`progress(done, total)` after each piece of work; call `finish()` when the step ends."""

    step: str  # e.g. "member-sync: sending"
    every: float = 2.0  # seconds between log lines
    artifact_every: float = 1.0  # seconds between artifact updates
    clock: Callable[[], float] = time.monotonic
    log: Callable[[str], None] | None = None  # default: the run's logger
    artifact: Callable[[float, str], None] | None = None  # (percent, description); default: a progress artifact
    _started: float | None = field(default=None, repr=False)
    _last_line: float = field(default=0.0, repr=False)
    _last_artifact: float = field(default=float("-inf"), repr=False)
    _artifact_id: Any = field(default=None, repr=False)
    lines: int = 0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self._started is None:
            self._started = self._last_line = now
        percent = 100.0 * done / total if total else 100.0
        if now - self._last_artifact >= self.artifact_every or done >= total:
            self._last_artifact = now
            (self.artifact or self._prefect_artifact)(percent, f"{self.step}: {done:,} of {total:,}")
        if now - self._last_line >= self.every:
            self._last_line = now
            rate = done / (now - self._started) if now > self._started else 0.0
            self._line(f"{self.step}: {done:,} of {total:,} ({percent:.0f}%, {rate:,.0f}/s)")

    def _line(self, text: str) -> None:
        self.lines += 1
        if self.log is not None:
            self.log(text)
            return
        from prefect import get_run_logger
        from prefect.exceptions import MissingContextError

        try:
            get_run_logger().info(text)
        except MissingContextError:
            logging.getLogger("weaver.progress").info(text)

    def _prefect_artifact(self, percent: float, description: str) -> None:
        from prefect.artifacts import create_progress_artifact, update_progress_artifact
        from prefect.context import FlowRunContext, TaskRunContext

        if FlowRunContext.get() is None and TaskRunContext.get() is None:
            return
        if self._artifact_id is None:
            self._artifact_id = create_progress_artifact(progress=percent, description=description)
        else:
            update_progress_artifact(self._artifact_id, progress=percent, description=description)
