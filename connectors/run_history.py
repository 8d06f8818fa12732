"""The run-history role: which runs of a network's operations failed, crashed or wait for a person.

`PrefectRunHistory` asks the Prefect API the flows run against (PREFECT_API_URL, or the ephemeral API of
`weaver run`) for flow runs in a Failed, Crashed or Paused state and keeps those whose `workspace` parameter
is this network's folder (one server may run many networks). A run the approval gate paused waits for a
coordinator's answer in the UI; Failed and Crashed runs are kept when they ended at or after `since`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

MESSAGE_CHARS = 300  # a state message is cut here (Prefect keeps tracebacks' first lines in it)


@dataclass(frozen=True)
class RunProblem:
    operation: str  # the flow's name, e.g. onboarding
    run_name: str  # Prefect's name of the run, e.g. "wise-otter": what the UI shows
    state: str  # failed | crashed | paused
    at: datetime  # when it entered that state (UTC)
    message: str = ""


class RunHistory(Protocol):
    def describe(self) -> str: ...

    def problems(self, workspace: Path, since: datetime) -> list[RunProblem]: ...


def _workspace_root(parameters: dict[str, Any]) -> Path | None:
    raw = parameters.get("workspace")
    if not raw:
        return None
    path = Path(str(raw)).expanduser().resolve()
    return path.parent if path.suffix == ".toml" else path


class PrefectRunHistory:
    """Flow runs on the Prefect API, read in one paged listing (the newest `limit` problem runs)."""

    def __init__(self, limit: int = 200) -> None:
        self.limit = limit

    def describe(self) -> str:
        return "Prefect API"

    def problems(self, workspace: Path, since: datetime) -> list[RunProblem]:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.filters import (
            FlowFilter,
            FlowFilterId,
            FlowRunFilter,
            FlowRunFilterState,
            FlowRunFilterStateType,
        )
        from prefect.client.schemas.objects import StateType
        from prefect.client.schemas.sorting import FlowRunSort

        wanted = [StateType.FAILED, StateType.CRASHED, StateType.PAUSED]
        state = FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=wanted)))
        root = workspace.expanduser().resolve()
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(flow_run_filter=state, sort=FlowRunSort.START_TIME_DESC, limit=self.limit)
            mine = [r for r in runs if _workspace_root(r.parameters or {}) == root]
            ids = sorted({r.flow_id for r in mine}, key=str)
            flows = client.read_flows(flow_filter=FlowFilter(id=FlowFilterId(any_=ids))) if ids else []
        names = {f.id: f.name for f in flows}
        return _problems(mine, names, since)


def _problems(runs: Sequence[Any], names: dict[Any, str], since: datetime) -> list[RunProblem]:
    found: list[RunProblem] = []
    for run in runs:
        if run.state is None:
            continue
        kind = run.state.type.value.lower()
        at = (run.state.timestamp or run.start_time or datetime.now(UTC)).astimezone(UTC)
        if kind != "paused" and at < since:
            continue
        message = " ".join((run.state.message or "").split())[:MESSAGE_CHARS]
        found.append(RunProblem(names.get(run.flow_id, "?"), run.name, kind, at, message))
    return sorted(found, key=lambda p: p.at)
