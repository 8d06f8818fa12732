"""Driving the approval gate of a real flow in the test harness: run it, wait until it pauses, answer.

Every operation that emails members must pause for a coordinator above `[mail] approval_threshold`; the
tests of each operation use these helpers with the threshold set to 1.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run


def approval_threshold_one(ws: Path) -> Path:
    """Any send to more than one recipient waits for approval; a paused run polls every second."""
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    assert "approval_threshold = 50" in text
    text = text.replace("approval_threshold = 50", "approval_threshold = 1\napproval_poll_seconds = 1")
    config.write_text(text, encoding="utf-8")
    return ws


class PausedRun:
    """A flow started in a thread that has paused for approval."""

    def __init__(self, flow_name: str, call: Callable[[], Any], limit: float = 180) -> None:
        self._results: queue.Queue[Any] = queue.Queue()
        since = datetime.now(UTC)
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()
        self.flow_run_id = _wait_until_paused(flow_name, since, self._thread, limit)

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self._results.put(call())
        except BaseException as exc:  # handed to the test
            self._results.put(exc)

    def answer(self, approve: bool) -> Any:
        """Resume the run with the coordinator's answer and return what the flow returned."""
        resume_flow_run(self.flow_run_id, run_input={"approve": approve})
        self._thread.join(timeout=180)
        result = self._results.get(timeout=1)
        if isinstance(result, BaseException):
            raise result
        return result


def _wait_until_paused(flow_name: str, since: datetime, thread: threading.Thread, limit: float) -> UUID:
    deadline = time.monotonic() + limit
    filters = {
        "flow_filter": FlowFilter(name=FlowFilterName(any_=[flow_name])),
        "flow_run_filter": FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
            start_time=FlowRunFilterStartTime(after_=since),
        ),
    }
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline:
            if not thread.is_alive():
                raise AssertionError(f"{flow_name} ended instead of pausing for approval")
            runs = client.read_flow_runs(**filters)  # type: ignore[arg-type]
            if runs:
                return runs[0].id
            time.sleep(0.3)
    raise AssertionError(f"{flow_name} never paused for approval")
