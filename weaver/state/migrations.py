"""The state database's schema versions: a small table of applied migrations, moved forward on open.

Why not Alembic: our schema changes are additive (a new table, a new nullable column), `metadata.create_all`
already makes new tables, and the state database is one per network, opened by every run; a versioned list
of small Python steps, applied in one locked transaction when a database is opened (or by `weaver db upgrade`),
keeps an existing workspace's data and needs no second tool, no migration scripts folder and no alembic.ini
beside each workspace. Each step checks what is there before it changes it, so a database created whole by
`create_all` today and one created a year ago by an older weaver end up the same.

Rules for a new step: additive only (add a table or a nullable column, an index), so a worker still running
the previous weaver keeps working against the upgraded schema during a rolling upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, DateTime, Engine, Integer, String, Table, func, inspect, select

from weaver.errors import WeaverError
from weaver.state.core import insert_ignore, metadata, utcnow

schema_versions = Table(
    "schema_versions",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

_LOCK_ID = 7_311_952_016  # pg_advisory_xact_lock: one upgrader at a time across every worker


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    step: Callable[[Connection], None]


def _baseline(conn: Connection) -> None:
    """The schema as it was before versions were kept: `create_all` made it."""


def add_column(conn: Connection, table: str, column: str, ddl_type: str) -> None:
    """ALTER TABLE ... ADD COLUMN unless the column is there (a nullable column: old rows read NULL)."""
    present = {c["name"] for c in inspect(conn).get_columns(table)}
    if column not in present:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {ddl_type}")


def add_index(conn: Connection, table: str, name: str, columns: str) -> None:
    conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})")


def _ledger_leases(conn: Connection) -> None:
    """Claims with owners that can die: the claiming run and its lease (NULL on rows made before)."""
    timestamp = "TIMESTAMP WITH TIME ZONE" if conn.dialect.name == "postgresql" else "DATETIME"
    add_column(conn, "ledger", "run_id", "VARCHAR(64)")
    add_column(conn, "ledger", "lease_until", timestamp)


def _emails_handed(conn: Connection) -> None:
    """Email claims now get a `handed` mark just before DATA, and a claim without it is sent again after a
    crash. A claim made before that mark existed may have been in DATA: it counts as handed (unknown)."""
    conn.exec_driver_sql("UPDATE ledger SET status = 'handed' WHERE status = 'claimed' AND kind = 'email'")


MIGRATIONS: list[Migration] = [
    Migration(1, "baseline", _baseline),
    Migration(2, "ledger claims record their run and a lease", _ledger_leases),
    Migration(3, "run leases (a table create_all makes)", _baseline),
    Migration(4, "email claims made before hand-over marks count as handed", _emails_handed),
]


def head() -> int:
    return MIGRATIONS[-1].version


def current_version(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(schema_versions.c.version), 0))).scalar_one())


def upgrade(engine: Engine) -> list[Migration]:
    """Create missing tables, then apply the migrations this database has not seen, in order, in one
    transaction; return those applied.

    On PostgreSQL an advisory lock makes concurrent openers wait for the first; on SQLite the write lock
    does. A database newer than this weaver is left alone (steps are additive: older code still works).
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        elif conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock before reading the version
        metadata.create_all(conn)  # new tables (and every table of a new database), under the same lock
        version = int(conn.execute(select(func.coalesce(func.max(schema_versions.c.version), 0))).scalar_one())
        applied = [m for m in MIGRATIONS if m.version > version]
        for migration in applied:
            try:
                migration.step(conn)
            except Exception as exc:
                what = f"migration {migration.version} ({migration.name})"
                raise WeaverError(f"state database: {what} failed: {exc}") from exc
            row = {"version": migration.version, "name": migration.name, "applied_at": utcnow()}
            conn.execute(insert_ignore(conn, schema_versions), [row])
        return applied
