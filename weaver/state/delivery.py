"""Delivery's state: the suppression list and the consent lookups behind the one central consent check.

Reads and writes `suppressions` and reads `members` (core tables); whether a member consents is decided by
the caller (`tasks.common.delivery`), from the rows given here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from weaver.state.core import StateDB, chunked, insert_ignore, members, suppressions, utcnow


def suppression_reasons(db: StateDB, emails: Iterable[str]) -> dict[str, str]:
    """email -> reason for the given (lowercased) addresses that are on the suppression list."""
    found: dict[str, str] = {}
    emails = set(emails)
    with db.engine.connect() as conn:
        for part in chunked(sorted(emails), 500):
            rows = conn.execute(
                select(suppressions.c.email, suppressions.c.reason).where(suppressions.c.email.in_(part))
            )
            found.update({r.email: r.reason for r in rows})
    from weaver.state.rights import FORGOTTEN, forgotten_among  # a forgotten address is kept only as a hash

    found.update(dict.fromkeys(forgotten_among(db, emails - set(found)), FORGOTTEN))
    return found


def suppressions_from(db: StateDB, source: str) -> dict[str, str]:
    """email -> reason for every address a source (e.g. mailchimp) put on the list."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(suppressions.c.email, suppressions.c.reason).where(suppressions.c.source == source))
        return {r.email: r.reason for r in rows}


def suppressed_emails(db: StateDB) -> set[str]:
    """Every address on the suppression list, whatever put it there."""
    with db.engine.connect() as conn:
        return {r.email for r in conn.execute(select(suppressions.c.email))}


def add_suppression(db: StateDB, email: str, reason: str, source: str) -> None:
    """Put an address on the list; one already there keeps its first reason."""
    row = {"email": email, "reason": reason, "source": source, "created_at": utcnow()}
    with db.begin() as conn:
        conn.execute(insert_ignore(conn, suppressions), [row])


def members_by_id_or_email(db: StateDB, ids: Iterable[str], emails: Iterable[str]) -> list[dict[str, Any]]:
    """Members (member_id, email, fields, status) with one of these ids, then those with one of these emails.

    A member matching both comes twice; the order (ids first, each in chunks of 500) is the caller's to rely on.
    """
    cols = (members.c.member_id, members.c.email, members.c.fields, members.c.status)
    found: list[dict[str, Any]] = []
    with db.engine.connect() as conn:
        for column, values in ((members.c.member_id, ids), (members.c.email, emails)):
            for part in chunked(sorted(values), 500):
                found += [dict(r._mapping) for r in conn.execute(select(*cols).where(column.in_(part)))]
    return found
