"""member-intake, read: the join submissions waiting in the inbox, as joiners, with their confirmation state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.intake.intake import Joiner
from weaver.state import StateDB
from weaver.state.optin import CONFIRMED_PREFIX, confirmations_of, pending_confirmations
from weaver.state.submissions import inbox_entries


@dataclass
class JoinQueue:
    """The joins a run looks at, and the "confirmed:<entry>" markers that brought confirmed ones here."""

    joiners: list[Joiner] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)


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


def load_joiners(db: StateDB, submission: str = "") -> JoinQueue:
    """Join submissions not yet taken in: one by id (a confirmation marker stands for its join), or all that
    wait; a run for one submission also looks at every join still waiting for its confirmation (expiry)."""
    ids: list[str] = []
    if submission:
        ids = [submission.removeprefix(CONFIRMED_PREFIX), submission, *pending_confirmations(db)]
    entries = inbox_entries(db, "join", ids=ids)
    markers = [e["id"] for e in entries if (e.get("payload") or {}).get("confirms")]
    joins = [e for e in entries if not (e.get("payload") or {}).get("confirms")]
    state = confirmations_of(db, [e["id"] for e in joins])
    joiners = []
    for joiner in joiners_from(joins):
        row = state.get(joiner.entry_id) or {}
        confirmed = row.get("confirmed_at") is not None
        joiners.append(replace(joiner, asked_at=row.get("asked_at"), expires_at=row.get("expires_at"),
                               confirmed=confirmed))  # fmt: skip
    return JoinQueue(joiners, markers)


load_joiners_task = task(name="load-join-submissions", cache_policy=NO_CACHE)(load_joiners)
