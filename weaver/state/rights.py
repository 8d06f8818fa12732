"""Data rights in the state database: find every row about one person, erase them, remember them as a hash.

`rows_about` scans every table of the schema (`metadata.sorted_tables`, so a table added later is scanned
too) for rows that hold the person's member id in an id column, or their address or name anywhere in their
text or JSON (case-insensitive). `erase_person` then:

- deletes the rows that are theirs (a row whose member id or email column is theirs, their inbox entries);
- in the ledger keeps every row's key, kind, status and times, and drops the payload and detail of each
  row that mentions them (a message to them, or an introduction of them to another member);
- in any other row that merely mentions them (another member's record), replaces the text with
  "[forgotten]";
- puts a keyed hash of the address on the suppression list (`forgotten:<hmac>`, reason "forgotten"): the
  address itself is kept nowhere, yet `suppression_reasons` still recognises it, so nothing ever mails it
  again and member-sync refuses a sheet row that still holds it.

The hash key is the workspace's own local secret "forget-key" (made on first use), so a list of hashes
cannot be checked against guessed addresses without the state database's secrets.
`drop_old_payloads` is the ledger's retention: payloads of settled rows older than the retention period go.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Table, Text, and_, cast, null, select

from weaver.state.core import StateDB, as_utc, chunked, insert_ignore, ledger, local_secret, metadata, suppressions
from weaver.state.optin import join_confirmations

FORGOTTEN = "forgotten"
HASH_PREFIX = "forgotten:"
REDACTED = "[forgotten]"
_KEY = "forget-key"
_ID_COLUMNS = ("member_id", "subject", "a", "b")  # columns that hold a member id (ties: a, b)
_OWN_TEXT = ("email",)  # a row whose own email column holds the address is theirs
_SETTLED = ("done", "failed", "cancelled")  # claimed, retry, unknown and planned rows keep what they need


@dataclass(frozen=True)
class Person:
    """Who to look for: the address (lowercased), the member ids it had and the names it went by."""

    email: str
    member_ids: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def needles(self) -> list[str]:
        """What erasing removes from text: the address and the names."""
        return [n.casefold() for n in (self.email, *self.names) if len(n.strip()) >= 2]

    @property
    def traces(self) -> list[str]:
        """What finds a row: the needles and the member ids (a ledger key, a link use, a snapshot)."""
        return [*self.needles, *(m.casefold() for m in self.member_ids if m)]


@dataclass
class Found:
    """Rows about one person, by table: `own` are theirs, `mentions` only name them."""

    own: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mentions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(map(len, self.own.values())) + sum(map(len, self.mentions.values()))


def forget_hash(db: StateDB, email: str, create: bool = False) -> str | None:
    """`forgotten:<hmac-sha256 of the address>` under the workspace's forget key (None: no key yet)."""
    key = local_secret(db, _KEY, create=create)
    if key is None:
        return None
    digest = hmac.new(key.encode(), email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{HASH_PREFIX}{digest}"


def forgotten_among(db: StateDB, emails: Iterable[str]) -> set[str]:
    """The given addresses that were forgotten (matched by their keyed hash)."""
    key = local_secret(db, _KEY, create=False)
    wanted = {e.strip().lower() for e in emails if e and e.strip()}
    if key is None or not wanted:
        return set()
    by_hash = {f"{HASH_PREFIX}{hmac.new(key.encode(), e.encode(), hashlib.sha256).hexdigest()}": e for e in wanted}
    found: set[str] = set()
    with db.engine.connect() as conn:
        for part in chunked(sorted(by_hash), 500):
            rows = conn.execute(select(suppressions.c.email).where(suppressions.c.email.in_(part)))
            found.update(by_hash[r.email] for r in rows)
    return found


def person_of(db: StateDB, email: str) -> Person:
    """The address with the member ids and names the members table holds for it."""
    from weaver.state.core import members

    address = email.strip().lower()
    with db.engine.connect() as conn:
        rows = conn.execute(select(members.c.member_id, members.c.fields).where(members.c.email == address)).all()
    names = {str((r.fields or {}).get("name") or "").strip() for r in rows}
    return Person(address, tuple(sorted(r.member_id for r in rows)), tuple(sorted(n for n in names if n)))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _plain(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (as_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def _is_own(table: Table, row: Mapping[str, Any], person: Person) -> bool:
    if table.name == "inbox":
        return True  # a submission that names them is theirs (their form answers)
    for name in _ID_COLUMNS:
        if name in table.c and row.get(name) in person.member_ids:
            return True
    return any(name in table.c and _text(row.get(name)).strip().lower() == person.email for name in _OWN_TEXT)


def rows_about(db: StateDB, person: Person, by_id: bool = True) -> Found:
    """Every row of every table that is theirs or mentions them (a full scan: data rights are rare).

    `by_id=False` looks for the address and names only (what must be gone after forgetting: a ledger key
    may keep a member id, which names nobody once the member row is erased)."""
    found = Found()
    needles = person.traces if by_id else person.needles
    ids = set(person.member_ids) if by_id else set()
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in ("local_secrets", "schema_versions"):
                continue
            scanned = [c for c in table.c if isinstance(c.type, String | Text | JSON)]
            if not scanned:
                continue
            for raw in conn.execute(select(table)).mappings():
                row = dict(raw)
                texts = [_text(row.get(c.name)) for c in scanned]
                hit = any(row.get(n) in ids for n in _ID_COLUMNS if n in table.c) or any(
                    needle in text.casefold() for text in texts for needle in needles
                )
                if hit:
                    bucket = found.own if _is_own(table, row, person) else found.mentions
                    bucket.setdefault(table.name, []).append(_plain(row))
        inbox_ids = [r["id"] for r in found.own.get("inbox", [])]
        asked = conn.execute(select(join_confirmations).where(join_confirmations.c.entry_id.in_(inbox_ids))).mappings()
        confirmations = [_plain(r) for r in asked]  # their joins' confirmation stamps (no personal data of their own)
        if confirmations:
            found.own["join_confirmations"] = confirmations
    return found


def _redact(value: Any, needles: Sequence[str]) -> Any:
    if isinstance(value, str):
        out = value
        for needle in needles:
            start = out.casefold().find(needle)
            while start >= 0:
                out = out[:start] + REDACTED + out[start + len(needle) :]
                start = out.casefold().find(needle, start + len(REDACTED))
        return out
    if isinstance(value, list):
        return [_redact(v, needles) for v in value]
    if isinstance(value, dict):
        return {_redact(k, needles): _redact(v, needles) for k, v in value.items()}
    return value


def erase_person(db: StateDB, person: Person, found: Found, now: datetime) -> dict[str, int]:
    """Delete their rows, drop the ledger payloads that mention them, redact other mentions; then remember
    the address as a keyed hash on the suppression list. One transaction. Returns rows changed per table."""
    changed: dict[str, int] = {}
    needles = person.needles
    tables = {t.name: t for t in metadata.sorted_tables}
    digest = forget_hash(db, person.email, create=True)
    with db.begin() as conn:
        for name, rows in [*found.own.items(), *found.mentions.items()]:
            table = tables[name]
            own = name in found.own and rows is found.own[name]
            for row in rows:
                where = and_(*(c == row[c.name] for c in table.primary_key.columns))
                if table is ledger:
                    conn.execute(ledger.update().where(where).values(payload=null(), detail=None))
                elif own:
                    conn.execute(table.delete().where(where))
                else:
                    current = conn.execute(select(table).where(where)).mappings().first()
                    if current is None:
                        continue
                    values = {c.name: _redact(current[c.name], needles) for c in table.c
                              if isinstance(c.type, String | Text | JSON) and not c.primary_key}  # fmt: skip
                    conn.execute(table.update().where(where).values(**values))
                changed[name] = changed.get(name, 0) + 1
        conn.execute(suppressions.delete().where(suppressions.c.email == person.email))
        entry = {"email": digest, "reason": FORGOTTEN, "source": "forget", "created_at": now}
        conn.execute(insert_ignore(conn, suppressions), [entry])
    return changed


def drop_old_payloads(db: StateDB, before: datetime) -> int:
    """Ledger retention: settled rows last changed before `before` lose their payload and detail (message
    bodies, names, addresses); key, kind, status and times stay, so a rerun still never repeats them."""
    has_payload = and_(ledger.c.payload.is_not(None), cast(ledger.c.payload, Text) != "null")
    query = (
        ledger.update()
        .where(ledger.c.status.in_(_SETTLED), ledger.c.updated_at < before, has_payload)
        .values(payload=null(), detail=None)
    )
    with db.begin() as conn:
        return int(conn.execute(query).rowcount or 0)
