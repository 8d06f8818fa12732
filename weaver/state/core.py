"""The state database's core (SQLAlchemy Core): the engine, the tables every operation shares, and the helpers.

SQLite in the workspace by default; any SQLAlchemy URL works (PostgreSQL for several workers). Claims use
INSERT ... ON CONFLICT DO NOTHING so two workers never take the same action. Each operation's own tables
live in a module beside this one (`events`, `grants`, `audience` ...) but in this one `metadata`, so
`StateDB` creates them all and an existing workspace's weaver.db keeps working.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    exc,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from weaver.clock import utcnow
from weaver.errors import WeaverError

__all__ = ["utcnow"]  # re-exported: records' timestamps

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
    # who holds a claim: its run (a Prefect flow run id, or host:pid) and until when, renewed while it works
    Column("run_id", String(64)),
    Column("lease_until", DateTime(timezone=True)),
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

# Where a poller got to (e.g. the newest response timestamp seen on a Google Form): a high-water mark.
cursors = Table(
    "cursors",
    metadata,
    Column("key", String(256), primary_key=True),  # e.g. "google_forms:<form id>"
    Column("value", String(256), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Secrets the embedded default generates for itself on first use (never in the repo or weaver.toml), e.g.
# the key of per-member survey tokens when no SecretRef is configured.
local_secrets = Table(
    "local_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each commit under WAL, much faster
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class StateDB:
    """A thin owner of the engine; on open, missing tables are created and the schema moved forward."""

    def __init__(self, url: str) -> None:
        self.url = url
        # hide_parameters: a database error never prints row values (member data) into a log or traceback
        self.engine: Engine = create_engine(url, future=True, hide_parameters=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        from weaver.state.migrations import upgrade  # beside this module; it needs `metadata` from here

        try:
            self.upgraded = upgrade(self.engine)  # missing tables and schema steps, one opener at a time
        except exc.OperationalError as error:  # e.g. the PostgreSQL server is down; never print a password
            where = self.engine.url.render_as_string(hide_password=True)
            reason = str(error.orig or error).strip().splitlines()[0]
            raise WeaverError(f"state database {where} cannot be opened: {reason}") from None

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

    def member_rows(self, status: str = "active", as_synced: bool = False) -> list[dict[str, Any]]:
        """Members as the last member-sync recorded them, except that a language a member chose on their own
        page and member-sync has not written yet already counts (every later email is in it); `as_synced`: the
        rows exactly as synced (member-sync compares against them)."""
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(members).where(members.c.status == status))]
        if as_synced:
            return rows
        from weaver.state.self_service import pending_languages  # the edits table is defined on top of this one

        chosen = pending_languages(self)
        for row in rows if chosen else ():
            if row["member_id"] in chosen:
                row["fields"] = {**(row["fields"] or {}), "language": chosen[row["member_id"]]}
        return rows

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

    def first_sync_run_start(self, flow: str) -> datetime | None:
        """When `flow` first ran here (None: never), e.g. to tell a workspace's first onboarding run."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(sync_runs.c.started_at).where(sync_runs.c.flow == flow).order_by(sync_runs.c.id).limit(1)
            ).scalar()


# helpers ---------------------------------------------------------------------------------------------------
def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Slices of at most `size`: IN lists and executemany batches stay under the databases' limits."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


_DIALECTS = {"sqlite": sqlite, "postgresql": postgresql}
_INSERT_IGNORE: dict[tuple[str, Table], Any] = {}


def _dialect(conn: Connection) -> Any:
    name = conn.dialect.name
    if name not in _DIALECTS:
        raise WeaverError(f"state database dialect {name!r} is not supported (use SQLite or PostgreSQL)")
    return _DIALECTS[name]


def insert_ignore(conn: Connection, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL (a replayed row is simply skipped).

    Built once per dialect and table: a send claims one ledger row per email, and building the statement
    each time cost more than running it. Its row count says whether the row was inserted (SQLAlchemy keeps
    an INSERT's count only when asked: without `preserve_rowcount` PostgreSQL's is -1, and a claim of one
    email never looked taken).
    """
    key = (conn.dialect.name, table)
    if key not in _INSERT_IGNORE:
        stmt = _dialect(conn).insert(table).on_conflict_do_nothing()
        _INSERT_IGNORE[key] = stmt.execution_options(preserve_rowcount=True)
    return _INSERT_IGNORE[key]


def upsert(
    conn: Connection,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: str | Sequence[str],
    *,
    update: Sequence[str] | None = None,
    batch: int = 1000,
) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, for SQLite and PostgreSQL, in batches of `batch` rows.

    A row already there gets the new values of `update` (default: every column given except the key).
    """
    if not rows:
        return
    keys = [key] if isinstance(key, str) else list(key)
    columns = list(update) if update is not None else [c for c in rows[0] if c not in keys]
    stmt = _dialect(conn).insert(table)
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
    for part in chunked(list(rows), batch):
        conn.execute(stmt, list(part))


# members -------------------------------------------------------------------------------------------------
def save_members(db: StateDB, upserts: Sequence[dict[str, Any]], gone_ids: Sequence[str]) -> None:
    """Record added/changed members (member_id, email, fields_hash, fields) and mark gone ones, at once.

    A member seen again keeps the `first_seen` of their first sync (onboarding tells newcomers by it).
    """
    now = utcnow()
    rows = [{**row, "status": "active", "first_seen": now, "updated_at": now} for row in upserts]
    with db.begin() as conn:
        changing = [c for c in rows[0] if c not in ("member_id", "first_seen")] if rows else []
        upsert(conn, members, rows, "member_id", update=changing)
        for part in chunked(list(gone_ids), 500):
            conn.execute(members.update().where(members.c.member_id.in_(part)).values(status="gone", updated_at=now))


# the ledger, read by prefix --------------------------------------------------------------------------------
def ledger_keys_like(db: StateDB, prefixes: Sequence[str], status: str = "done") -> list[tuple[str, datetime]]:
    """(key, updated_at) of ledger entries whose key starts with one of `prefixes` (e.g. 'invite:')."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.key, ledger.c.updated_at).where(
                ledger.c.status == status, or_(*[ledger.c.key.startswith(p) for p in prefixes])
            )
        )
        return [(r.key, as_utc(r.updated_at)) for r in rows]


# cursors and local secrets ---------------------------------------------------------------------------------
def read_cursor(db: StateDB, key: str) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(select(cursors.c.value).where(cursors.c.key == key)).scalar()


def save_cursor(conn: Connection, key: str, value: str) -> None:
    """Move a high-water mark inside the caller's transaction (with what was read up to it)."""
    upsert(conn, cursors, [{"key": key, "value": value, "updated_at": utcnow()}], "key")


def local_secret(db: StateDB, name: str, create: bool = True) -> str | None:
    """The workspace's own secret `name`, generated once (256 random bits) and kept in the state database.

    Two processes creating it at once agree: the first insert wins and both read it back.
    """
    with db.begin() as conn:
        found = conn.execute(select(local_secrets.c.value).where(local_secrets.c.name == name)).scalar()
        if found is not None or not create:
            return found
        row = {"name": name, "value": secrets.token_hex(32), "created_at": utcnow()}
        conn.execute(insert_ignore(conn, local_secrets), [row])
        return conn.execute(select(local_secrets.c.value).where(local_secrets.c.name == name)).scalar_one()
