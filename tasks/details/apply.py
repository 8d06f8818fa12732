"""details-check, apply: nothing of its own; the emails go through `op.send` (consent, the approval gate and
the ledger), which is the whole effect of this operation."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from weaver.state import StateDB, ledger_keys_like


def asked_this_year(db: StateDB, year: int) -> set[str]:
    """Ledger keys of this year's asks already sent."""
    return {key for key, _at in ledger_keys_like(db, ["email:details-check:"]) if key.endswith(f":{year}")}


asked_this_year_task = task(name="asked-this-year", cache_policy=NO_CACHE)(asked_this_year)
