"""The audience's state (member-sync with [mailchimp]): each contact as we last synced it.

What we pushed (a hash of the synced fields, so only new or changed members are pushed again) and the
contact's status as last seen in the audience; addresses that left it also go on the suppression list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, select

from weaver.state.core import StateDB, chunked, insert_ignore, metadata, suppressions, upsert

audience_members = Table(
    "audience_members",
    metadata,
    Column("list_id", String(64), primary_key=True),
    Column("email", String(320), primary_key=True),  # lowercased: the audience's identity of a contact
    Column("member_id", String(64)),  # None for a contact we only saw in the audience
    Column("synced_hash", String(64), nullable=False),  # "" until we pushed this contact
    Column("tags", JSON),  # the tags we manage on this contact, as last pushed
    Column("status", String(16), nullable=False),  # subscribed | unsubscribed | cleaned | pending | ...
    Column("pushes", Integer, nullable=False),  # how many pushes succeeded: part of the next push's ledger key
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
_KEY = ("list_id", "email")


def audience_contacts(db: StateDB, list_id: str) -> list[dict[str, Any]]:
    """Every contact of a list as last synced: email, member_id, synced_hash, tags, status, pushes."""
    cols = audience_members.c
    query = select(cols.email, cols.member_id, cols.synced_hash, cols.tags, cols.status, cols.pushes)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.where(cols.list_id == list_id))]


def save_audience_pull(db: StateDB, contacts: Sequence[dict[str, Any]], left: Sequence[dict[str, Any]]) -> None:
    """Record a pull in one transaction: each contact's status (a new contact is added whole) and a
    suppression for each address that left (one already listed keeps its first reason)."""
    with db.begin() as conn:
        upsert(conn, audience_members, contacts, _KEY, update=("status", "updated_at"), batch=500)
        for part in chunked(list(left), 500):
            conn.execute(insert_ignore(conn, suppressions), list(part))


def save_audience_pushes(db: StateDB, rows: Sequence[dict[str, Any]]) -> None:
    """What the audience now holds for each pushed contact (everything but the list and address)."""
    columns = ("member_id", "synced_hash", "tags", "status", "pushes", "updated_at")
    with db.begin() as conn:
        upsert(conn, audience_members, rows, _KEY, update=columns, batch=500)
