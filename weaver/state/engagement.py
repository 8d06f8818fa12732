"""Engagement's state: what members did that counts (engagement events) and who has met whom (ties).

Written by the flows that observe a deed or pair people; read by the engagement score, mixing history and
the tie-graph export.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Date, DateTime, String, Table, and_, select

from weaver.state.core import StateDB, chunked, insert_ignore, metadata, utcnow

# What members did that counts as engagement (a survey answered, an event attended ...), one row per deed.
# Written by the flow that observes it; read by the engagement score. `id` makes recording idempotent.
engagement_events = Table(
    "engagement_events",
    metadata,
    Column("id", String(256), primary_key=True),  # e.g. "survey_response:<survey id>:<member id>"
    Column("member_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False, index=True),  # survey_response | ...
    Column("at", DateTime(timezone=True), nullable=False),  # when the member did it
    Column("source", String(128), nullable=False),  # e.g. "survey:checkin-2026"
)

# Who has met whom: one row per pair and occasion, so a pair that met at three events has three rows.
# `a` < `b` are member ids (a check-in pairs a weaver's staff id with a member). Written by group-mixer
# (groups formed, co-attendance), engagement-review (introductions) and any flow that pairs people
# (buddies), through `record_ties`; read for mixing history, engagement and the tie-graph export.
# "meeting": a pair confirmed they met ("did you meet?" answered yes by its signed link; ref: the introduction's)
# "match": asks-offers introduced a member with a need to one with the matching offer (ref match:<need>:...)
TIE_SOURCES = ("event", "group", "buddy", "introduction", "checkin", "match", "meeting")
ties = Table(
    "ties",
    metadata,
    Column("a", String(64), primary_key=True),
    Column("b", String(64), primary_key=True),
    Column("source", String(16), primary_key=True),  # one of TIE_SOURCES
    Column("ref", String(200), primary_key=True),  # the occasion: event id, "evt-42/r1/g3", "intro:m-1:m-2"
    Column("met_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def record_engagement(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Record engagement events (id, member_id, kind, at, source); an event already recorded is kept as is."""
    for part in chunked(list(events), 500):
        conn.execute(insert_ignore(conn, engagement_events), list(part))


def engagement_rows(db: StateDB) -> list[dict[str, Any]]:
    """Every recorded engagement event (member_id, kind, at), oldest first."""
    cols = (engagement_events.c.member_id, engagement_events.c.kind, engagement_events.c.at)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(engagement_events.c.at))]


def record_ties(db: StateDB, rows: Sequence[dict[str, Any]], replace: tuple[str, str] | None = None) -> int:
    """Add ties (a, b, source, ref, met_on); a tie already recorded is kept as it is.

    `replace=(source, ref_prefix)` first removes that occasion's ties of that source (a re-mix of an
    event replaces the groups formed before), in the same transaction. Returns the rows given.
    """
    now = utcnow()
    with db.begin() as conn:
        if replace is not None:
            source, prefix = replace
            same = and_(ties.c.source == source, ties.c.ref.startswith(prefix, autoescape=True))
            conn.execute(ties.delete().where(same))
        stmt = insert_ignore(conn, ties)
        for part in chunked([{**row, "created_at": now} for row in rows], 1000):
            conn.execute(stmt, list(part))
    return len(rows)


def ties_of_ref(db: StateDB, ref: str) -> list[dict[str, Any]]:
    """The ties recorded for one occasion (e.g. an introduction's ref): a, b, source, met_on."""
    cols = (ties.c.a, ties.c.b, ties.c.source, ties.c.ref, ties.c.met_on)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).where(ties.c.ref == ref))]


def tie_rows(db: StateDB) -> list[dict[str, Any]]:
    """Every recorded tie (a, b, source, ref, met_on)."""
    cols = (ties.c.a, ties.c.b, ties.c.source, ties.c.ref, ties.c.met_on)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(ties.c.met_on, ties.c.a, ties.c.b))]
