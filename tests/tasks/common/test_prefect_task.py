"""Our task decorator: Prefect resolves and links task arguments without walking inside them."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prefect import flow
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import ObjectNotFound
from prefect.states import State

import tasks.common.prefect_task
from tasks.common.prefect_task import OpaqueTask, task


@task(name="make-grid", cache_policy=NO_CACHE)
def make_grid(rows: int) -> list[list[str]]:
    return [[f"{r}-{c}" for c in range(10)] for r in range(rows)]


@task(name="count-cells", cache_policy=NO_CACHE)
def count_cells(grid: list[list[str]], scale: int = 1) -> int:
    return sum(len(row) for row in grid) * scale


@flow(name="walk-check")
def walk_check(rows: int) -> tuple[int, State[Any]]:
    grid = make_grid(rows)
    state = count_cells(grid, scale=2, return_state=True)  # a call option passes through untouched
    return state.result(), state


def test_tasks_get_plain_values_linked_to_their_upstream_runs_without_a_walk(
    prefect_harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import prefect.flow_engine
    import prefect.task_engine
    import prefect.utilities.engine
    from prefect.client.orchestration import get_client
    from prefect.utilities.collections import visit_collection

    assert isinstance(make_grid, OpaqueTask) and isinstance(task(name="x")(walk_check.fn), OpaqueTask)
    visits = 0

    def counting(expr, visit_fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        def visit(*a, **k):  # type: ignore[no-untyped-def]
            nonlocal visits
            visits += 1
            return visit_fn(*a, **k)

        return visit_collection(expr, visit, *args, **kwargs)

    for module in (prefect.utilities.engine, prefect.task_engine, prefect.flow_engine):
        monkeypatch.setattr(module, "visit_collection", counting)
    cells, state = walk_check(2_000)
    assert cells == 40_000  # the task got the grid itself, unwrapped
    # the arguments are not walked; what is left is Prefect looking one level into the result (the 2,000 rows)
    assert visits < 2_100, visits
    with get_client(sync_client=True) as client:  # task runs reach the server as events, a moment later
        for _ in range(240):
            try:
                run = client.read_task_run(state.state_details.task_run_id)
                break
            except ObjectNotFound:
                time.sleep(0.5)
    assert [i.input_type for i in run.task_inputs["grid"]] == ["task_run"]  # still linked in the run graph

    ours, visits = visits, 0
    monkeypatch.setattr(tasks.common.prefect_task, "_opaque", lambda value: value)  # Prefect's default
    walk_check(2_000)
    assert visits > ours + 40_000, (ours, visits)  # every row and cell, twice


def test_every_task_module_uses_our_decorator() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[3] / "tasks"
    direct = [str(p) for p in root.rglob("*.py") if "from prefect import task\n" in p.read_text(encoding="utf-8")]
    assert direct == [], "use `from tasks.common.prefect_task import task`: " + ", ".join(direct)
