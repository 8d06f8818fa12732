"""Stories (issue 18, part 6): the rounds members vote in, their votes, and the consent of the person quoted.

The stories operation opens a round with a few nominated stories (`story_rounds`: what the vote page shows,
the nominees' texts and authors); each member votes once by personal link (`story_votes`: a replay changes
nothing); at the close the most voted stories' authors are asked whether we may publish them, and answer once by
link (`story_consents`). Only a story whose author said yes is ever published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, String, Table, select

from weaver.state.core import StateDB, as_utc, insert_ignore, metadata

story_rounds = Table(
    "story_rounds",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closes_at", DateTime(timezone=True), nullable=False),
    Column("picks", JSON, nullable=False),  # how many stories each member may pick
    Column("nominees", JSON, nullable=False),  # [{story_id, author, text, source, title}]
)

story_votes = Table(
    "story_votes",
    metadata,
    Column("round_id", String(64), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("picks", JSON, nullable=False),  # story ids
    Column("voted_at", DateTime(timezone=True), nullable=False),
)

story_consents = Table(
    "story_consents",
    metadata,
    Column("story_id", String(64), primary_key=True),
    Column("member_id", String(64), nullable=False),
    Column("answer", String(16), nullable=False),  # name | anonymous | no
    Column("answered_at", DateTime(timezone=True), nullable=False),
)


def save_round(db: StateDB, round_id: str, opened_at: datetime, closes_at: datetime, picks: int,
               nominees: Sequence[dict[str, str]]) -> None:  # fmt: skip
    """A new round (an existing one is left as it is: its nominees never change once members vote)."""
    row = {"round_id": round_id, "opened_at": opened_at.astimezone(UTC), "closes_at": closes_at.astimezone(UTC),
           "picks": picks, "nominees": list(nominees)}  # fmt: skip  # UTC: SQLite keeps no zone
    with db.begin() as conn:
        conn.execute(insert_ignore(conn, story_rounds), [row])


def load_rounds(db: StateDB) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(story_rounds).order_by(story_rounds.c.opened_at)).mappings()
        return [{**r, "opened_at": as_utc(r["opened_at"]), "closes_at": as_utc(r["closes_at"])} for r in rows]


def load_round(db: StateDB, round_id: str) -> dict[str, Any] | None:
    return next((r for r in load_rounds(db) if r["round_id"] == round_id), None)


def record_vote(db: StateDB, round_id: str, member_id: str, picks: Sequence[str], at: datetime) -> bool:
    """Record a vote; False when this member had voted in this round already (nothing changes)."""
    row = {"round_id": round_id, "member_id": member_id, "picks": list(picks), "voted_at": at.astimezone(UTC)}
    with db.begin() as conn:
        return bool(conn.execute(insert_ignore(conn, story_votes), [row]).rowcount)


def votes(db: StateDB, round_id: str | None = None) -> list[dict[str, Any]]:
    query = select(story_votes).order_by(story_votes.c.voted_at, story_votes.c.member_id)
    if round_id is not None:
        query = query.where(story_votes.c.round_id == round_id)
    with db.engine.connect() as conn:
        return [{**r, "voted_at": as_utc(r["voted_at"])} for r in conn.execute(query).mappings()]


def record_consent(db: StateDB, story_id: str, member_id: str, answer: str, at: datetime) -> bool:
    """Record the author's answer; False when they had answered already (nothing changes)."""
    row = {"story_id": story_id, "member_id": member_id, "answer": answer, "answered_at": at.astimezone(UTC)}
    with db.begin() as conn:
        return bool(conn.execute(insert_ignore(conn, story_consents), [row]).rowcount)


def consents(db: StateDB) -> dict[str, dict[str, Any]]:
    """story id -> the author's answer."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(story_consents)).mappings()
        return {r["story_id"]: {**r, "answered_at": as_utc(r["answered_at"])} for r in rows}


def published_stories(db: StateDB) -> list[dict[str, Any]]:
    """Each story its author agreed to publish (with or without their name), with its text and title."""
    given = consents(db)
    out = []
    for r in load_rounds(db):
        for n in r["nominees"]:
            answer = given.get(n["story_id"])
            if answer is not None and answer["answer"] in ("name", "anonymous") and answer["member_id"] == n["author"]:
                out.append({**n, "answer": answer["answer"], "answered_at": answer["answered_at"]})
    return sorted(out, key=lambda s: (s["answered_at"], s["story_id"]))
