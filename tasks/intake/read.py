"""member-intake, read: the join submissions waiting in the inbox, as joiners."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.intake.intake import Joiner
from weaver.state import StateDB
from weaver.state.submissions import inbox_entries


def joiners_from(entries: Sequence[Mapping[str, Any]]) -> list[Joiner]:
    """Inbox rows (payload in the shape of `deployments.submissions`) -> joiners."""
    out: list[Joiner] = []
    for entry in entries:
        payload = entry.get("payload") or {}
        fields = dict(payload.get("fields") or {})
        for name in ("email", "name"):
            if payload.get(name) and not fields.get(name):
                fields[name] = payload[name]
        out.append(Joiner(entry["id"], fields, str(payload.get("submitted_at") or "")))
    return out


def load_joiners(db: StateDB, submission: str = "") -> list[Joiner]:
    """Join submissions not yet taken in: one by id, or all that wait."""
    return joiners_from(inbox_entries(db, "join", ids=[submission] if submission else ()))


load_joiners_task = task(name="load-join-submissions", cache_policy=NO_CACHE)(load_joiners)
