"""What a paused send would deliver, for the approvers' preview page: one row per paused run and send.

`rows` hold, per message, the recipient's name, the subject, the language and the template: what the
receiver's preview page (`/l/approval-preview/<token>`) shows the approvers. No address, no body. The row
is kept after the answer (the page then says what was decided in the Prefect UI, not here).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, select

from weaver.state.core import StateDB, metadata, upsert

approval_previews = Table(
    "approval_previews",
    metadata,
    Column("pause_id", String(128), primary_key=True),  # "<flow run id>:<send digest>"
    Column("flow", String(64), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("rows", JSON, nullable=False),  # [{"name", "subject", "language", "purpose"}]
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def save_approval_preview(
    db: StateDB, pause_id: str, flow: str, recipients: int, rows: list[dict[str, str]], at: datetime
) -> None:
    row = {"pause_id": pause_id, "flow": flow, "recipients": recipients, "rows": rows, "created_at": at}
    with db.begin() as conn:
        upsert(conn, approval_previews, [row], "pause_id")


def approval_preview(db: StateDB, pause_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        found = (
            conn.execute(select(approval_previews).where(approval_previews.c.pause_id == pause_id)).mappings().first()
        )
        return dict(found) if found else None
