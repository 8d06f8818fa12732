"""survey-distribution's state: responses from every channel, one row per submission, and what was sent.

`member_id` is set only when the response carried a valid per-member token; anything else is anonymous.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Table, or_, select

from weaver.state.core import StateDB, chunked, ledger, metadata, save_cursor, upsert
from weaver.state.engagement import record_engagement
from weaver.state.submissions import settle_inbox

# Survey responses from every channel (Google Forms API, webhook inbox, CSV import), one row per submission.
survey_responses = Table(
    "survey_responses",
    metadata,
    Column("id", String(256), primary_key=True),  # "<provider>:<response id>": a re-import collides here
    Column("survey_id", String(64), nullable=False, index=True),
    Column("member_id", String(64), index=True),  # None: anonymous (no token, or an unknown/forged one)
    Column("attribution", String(16), nullable=False),  # member | unknown_token | no_token
    Column("channel", String(16), nullable=False),  # google_forms | inbox | csv
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("answers", JSON, nullable=False),  # question title -> text or list of texts
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)
_CHANGING = ("member_id", "attribution", "submitted_at", "answers")  # an edit replaces the answers


def survey_sent(db: StateDB, survey_id: str) -> dict[str, datetime]:
    """The survey's invitations and reminders the ledger marks done, and when (one query)."""
    prefixes = (f"survey-invite:{survey_id}:", f"survey-reminder:{survey_id}:")
    query = select(ledger.c.key, ledger.c.updated_at).where(ledger.c.status == "done")
    query = query.where(or_(*(ledger.c.key.startswith(p, autoescape=True) for p in prefixes)))
    with db.engine.connect() as conn:
        return {r.key: r.updated_at for r in conn.execute(query)}


def known_response_ids(db: StateDB, ids: Sequence[str]) -> set[str]:
    """Which of these response ids are recorded already (a re-import, or an edited response)."""
    found: set[str] = set()
    with db.engine.connect() as conn:
        for part in chunked(list(ids), 500):
            found.update(conn.execute(select(survey_responses.c.id).where(survey_responses.c.id.in_(part))).scalars())
    return found


def save_responses(
    db: StateDB,
    rows: Sequence[dict[str, Any]],
    engagement: Sequence[dict[str, Any]],
    processed: Sequence[str],
    failed: Sequence[tuple[str, str]],
    cursors: Mapping[str, str],
) -> None:
    """Store responses, engagement, inbox outcomes and high-water marks in one transaction.

    All or nothing: a mark never moves past responses that were not stored, and an inbox entry is
    processed exactly when its response is recorded.
    """
    with db.begin() as conn:
        upsert(conn, survey_responses, rows, "id", update=_CHANGING, batch=500)
        record_engagement(conn, engagement)
        settle_inbox(conn, processed, failed, detail="survey")
        for key, value in cursors.items():
            save_cursor(conn, key, value)


def stored_responses(db: StateDB, survey_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every response recorded for these surveys, oldest first."""
    with db.engine.connect() as conn:
        query = select(survey_responses).where(survey_responses.c.survey_id.in_(list(survey_ids)))
        return [dict(r._mapping) for r in conn.execute(query.order_by(survey_responses.c.submitted_at))]
