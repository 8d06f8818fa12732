"""Our tasks' decorator: Prefect's `task`, whose calls hand every argument over as `opaque(...)`.

Prefect walks every argument of a task call twice, element by element (to link the task to the runs whose
results it takes, and to resolve futures nested anywhere inside): for grids, plans and message lists that is
most of a run's CPU time. The second `make demo` spent 68 % of its CPU there (50.6 s of 74.6 s, cProfile,
loaded machine). `opaque` keeps what we use: an argument that is a future or a state is still resolved, and a
value that is a task's result is still linked to that task in the run graph; only the walk inside the value
is skipped. Our flows call tasks directly (no `.submit`), so no future ever hides inside a collection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prefect import Task
from prefect import task as prefect_task
from prefect.utilities.annotations import BaseAnnotation, opaque

_CALL_OPTIONS = ("return_state", "wait_for")


def _opaque(value: Any) -> Any:
    return value if isinstance(value, BaseAnnotation) else opaque(value)


class OpaqueTask(Task):  # type: ignore[type-arg]
    """A Prefect task whose arguments are not walked (see the module docstring)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        args = tuple(_opaque(a) for a in args)
        kwargs = {k: v if k in _CALL_OPTIONS else _opaque(v) for k, v in kwargs.items()}
        return super().__call__(*args, **kwargs)


def task(fn: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """`@task(name=..., cache_policy=...)` or `task(name=...)(fn)`, as Prefect's, making an OpaqueTask."""
    if fn is None:
        return lambda f: task(f, **options)
    made = prefect_task(fn, **options)
    made.__class__ = OpaqueTask  # Prefect's own construction (defaults, validation), our __call__
    return made
