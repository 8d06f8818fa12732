"""details-check, read: the members the network holds (the state database, as member-sync last saw the
sheet) and the workspace's link key; no sheet read is needed."""

from __future__ import annotations

from typing import Any

from prefect.cache_policies import NO_CACHE

from tasks.common.links import link_signer  # noqa: F401  (the flow's signer, shared with engagement-review)
from tasks.common.prefect_task import task
from weaver.state import StateDB


def read_held(db: StateDB) -> list[dict[str, Any]]:
    """Every active member: id, email, the fields held, when first synced."""
    return db.member_rows()


read_held_task = task(name="read-held-members", cache_policy=NO_CACHE)(read_held)
