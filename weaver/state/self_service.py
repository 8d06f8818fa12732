"""Members' own changes to their details ("my details" page): stored with their time, settled by member-sync.

A member's change is one row per field. member-sync writes a pending change into the members tab (only into
the columns `[members] self_service` lists) and settles it:

* `applied`: written to the sheet (or the sheet already said so);
* `conflict`: the coordinator changed the same cell since the last sync: the coordinator's value is kept
  and the report shows both (never silently overwritten);
* `superseded`: a later change of the same field by the same member replaced it before a sync;
* `refused`: the field is not one members may change, or the member is no longer on the tab;
* `overridden`: applied, and a coordinator's later edit of the cell replaced it (that edit wins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, Text, select

from weaver.state.core import StateDB, chunked, insert_ignore, metadata, utcnow

STATUSES = ("pending", "applied", "conflict", "superseded", "refused", "overridden")

member_edits = Table(
    "member_edits",
    metadata,
    Column("id", String(200), primary_key=True),  # "<submission>:<field>": a resubmitted form adds nothing
    Column("member_id", String(64), nullable=False, index=True),
    Column("field", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # one of STATUSES
    Column("settled_at", DateTime(timezone=True)),
    Column("detail", Text),  # conflict / overridden: the coordinator's value that was kept
)


def record_edits(db: StateDB, submission: str, member_id: str, changes: Mapping[str, str], made_at: datetime) -> int:
    """Store a member's changes (field -> new value) as pending; the same submission twice adds nothing."""
    rows = [{"id": f"{submission}:{name}", "member_id": member_id, "field": name, "value": value,
             "made_at": made_at, "status": "pending"} for name, value in changes.items()]  # fmt: skip
    with db.begin() as conn:
        for part in chunked(rows, 500):
            conn.execute(insert_ignore(conn, member_edits), list(part))
    return len(rows)


def edit_rows(
    db: StateDB, statuses: Sequence[str] = ("pending",), member_id: str | None = None
) -> list[dict[str, Any]]:
    """Changes in these statuses (oldest first), of one member or of all."""
    query = select(member_edits).where(member_edits.c.status.in_(list(statuses)))
    if member_id is not None:
        query = query.where(member_edits.c.member_id == member_id)
    with db.engine.connect() as conn:
        rows = conn.execute(query.order_by(member_edits.c.made_at, member_edits.c.id))
        return [dict(r._mapping) for r in rows]


def pending_languages(db: StateDB) -> dict[str, str]:
    """member id -> the language they chose most recently and member-sync has not written yet."""
    query = select(member_edits.c.member_id, member_edits.c.value).where(
        member_edits.c.status == "pending", member_edits.c.field == "language"
    )
    with db.engine.connect() as conn:
        rows = conn.execute(query.order_by(member_edits.c.made_at, member_edits.c.id))
        return {r.member_id: r.value for r in rows}


def settle_edits(db: StateDB, outcomes: Sequence[tuple[str, str, str]]) -> None:
    """(edit id, status, detail) for each change member-sync settled."""
    now = utcnow()
    with db.begin() as conn:
        for edit_id, status, detail in outcomes:
            conn.execute(member_edits.update().where(member_edits.c.id == edit_id)
                         .values(status=status, detail=detail or None, settled_at=now))  # fmt: skip
