"""The state database (SQLAlchemy Core): members as last synced, sync runs and the action ledger.

SQLite in the workspace by default; any SQLAlchemy URL works (PostgreSQL for several workers). Claims use
INSERT ... ON CONFLICT DO NOTHING so two workers never take the same action.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    event,
    select,
)

metadata = MetaData()

members = Table(
    "members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("fields_hash", String(64), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # active | gone
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flow", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("summary", JSON),
)

ledger = Table(
    "ledger",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("kind", String(64), nullable=False, index=True),
    Column("flow", String(64), nullable=False),
    # claimed -> done | failed; a claim left by a dead process becomes 'unknown' for non-idempotent kinds
    Column("status", String(16), nullable=False, index=True),
    Column("payload", JSON),
    Column("detail", Text),
    Column("attempts", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True)),
)

# Form submissions from webhooks (Typeform, Tally, Google Forms via Apps Script) and pollers, stored
# before the receiver answers, so nothing is lost when Prefect is down. Flows consume them by kind.
inbox = Table(
    "inbox",
    metadata,
    Column("id", String(256), primary_key=True),  # "<provider>:<submission id>": replays collide here
    Column("provider", String(32), nullable=False),  # typeform | tally | google_forms | csv
    Column("form", String(64), nullable=False),  # the form's name in weaver.toml
    Column("kind", String(16), nullable=False, index=True),  # join | rsvp | survey
    Column("payload", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # received -> dispatched (a flow run started) -> processed (its flow consumed it) | failed
    Column("status", String(16), nullable=False, index=True),
    Column("flow_run_id", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text),
)

# Addresses no channel of ours may email: unsubscribed or cleaned in Mailchimp, hard bounces, requests.
suppressions = Table(
    "suppressions",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("reason", String(64), nullable=False),  # unsubscribed | cleaned | bounced | requested
    Column("source", String(32), nullable=False),  # mailchimp | smtp | coordinator
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Who has met whom: one row per pair and occasion, so a pair that met at three events has three rows.
# `a` < `b` are member ids (a check-in pairs a weaver's staff id with a member). Written by group-mixer
# (groups formed, co-attendance), engagement-review (introductions) and any flow that pairs people
# (buddies), through `record_ties`; read for mixing history, engagement and the tie-graph export.
TIE_SOURCES = ("event", "group", "buddy", "introduction", "checkin")
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


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each commit under WAL, much faster
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class StateDB:
    """A thin owner of the engine; tables are created on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    @classmethod
    def for_dry_run(cls, url: str) -> StateDB:
        """A dry run must not create a database that is not there yet: use an empty in-memory one."""
        if url.startswith("sqlite:///"):
            if not Path(url.removeprefix("sqlite:///")).exists():
                return cls("sqlite://")
        return cls(url)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    # members -----------------------------------------------------------------------------------------
    def member_snapshot(self) -> dict[str, tuple[str, str]]:
        """member_id -> (fields_hash, status) for every member ever synced."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(members.c.member_id, members.c.fields_hash, members.c.status))
            return {r.member_id: (r.fields_hash, r.status) for r in rows}

    def member_rows(self, status: str = "active") -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(members).where(members.c.status == status))
            return [dict(r._mapping) for r in rows]

    def record_sync_run(self, flow: str, started_at: datetime, summary: dict[str, Any]) -> None:
        with self.begin() as conn:
            conn.execute(
                sync_runs.insert().values(flow=flow, started_at=started_at, finished_at=utcnow(), summary=summary)
            )

    def last_sync_run(self, flow: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sync_runs).where(sync_runs.c.flow == flow).order_by(sync_runs.c.id.desc()).limit(1)
            ).first()
            return dict(row._mapping) if row else None


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, for SQLite and PostgreSQL."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(table)
    columns = [c for c in rows[0] if c not in (key, "first_seen")]
    stmt = stmt.on_conflict_do_update(index_elements=[key], set_={c: stmt.excluded[c] for c in columns})
    for part in chunked(rows, 1000):
        conn.execute(stmt, list(part))


def save_members(db: StateDB, upserts: Sequence[dict[str, Any]], gone_ids: Sequence[str]) -> None:
    """Record added/changed members (member_id, email, fields_hash, fields) and mark gone ones, at once."""
    now = utcnow()
    rows = [{**row, "status": "active", "first_seen": now, "updated_at": now} for row in upserts]
    with db.begin() as conn:
        _upsert(conn, members, rows, "member_id")
        for part in chunked(list(gone_ids), 500):
            conn.execute(members.update().where(members.c.member_id.in_(part)).values(status="gone", updated_at=now))


# ties ---------------------------------------------------------------------------------------------------
def _insert_ignore(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


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
        stmt = _insert_ignore(conn, ties)
        for part in chunked([{**row, "created_at": now} for row in rows], 1000):
            conn.execute(stmt, list(part))
    return len(rows)


def tie_rows(db: StateDB) -> list[dict[str, Any]]:
    """Every recorded tie (a, b, source, ref, met_on)."""
    cols = (ties.c.a, ties.c.b, ties.c.source, ties.c.ref, ties.c.met_on)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(ties.c.met_on, ties.c.a, ties.c.b))]


def inbox_rows(db: StateDB, kinds: Sequence[str]) -> list[dict[str, Any]]:
    """Form submissions of the given kinds (id, kind, payload, received_at), oldest first."""
    cols = (inbox.c.id, inbox.c.kind, inbox.c.payload, inbox.c.received_at)
    with db.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(inbox.c.kind.in_(list(kinds))).order_by(inbox.c.received_at))
        return [dict(r._mapping) for r in rows]
