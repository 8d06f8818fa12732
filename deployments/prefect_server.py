"""The local Prefect server's process: `prefect server start`, with SQLite write transactions that wait their turn.

`deployments/server.py` starts this module (`python -m deployments.prefect_server --host H --port P`) instead of
the bare `prefect` command. The only difference is how the server's SQLite transactions begin.

Why: Prefect (3.9) opens its write transactions as `BEGIN DEFERRED`. A transaction that reads first (creating a
flow run reads the flow for its labels, then inserts the run) must upgrade its read lock to a write lock, and
SQLite refuses that upgrade at once with SQLITE_BUSY ("database is locked") when another connection holds the
write lock: the busy timeout (60 s, set by Prefect) is not consulted, since waiting could deadlock. The server
turns that error into a 503 and Prefect's client sleeps about 2 s before retrying. During `weaver demo` the
other writer is nearly always the server's task-run recorder, which stores every task-run state event in its
own short transaction (about 400 in one demo run) while the next flow starts: a second demo run met 2-7 such
503s, 2 s each. With `BEGIN IMMEDIATE` a writer takes the write lock when it begins, so it waits in SQLite's
busy handler (milliseconds behind the recorder) instead of failing. Prefect itself already begins its state
changes this way (`with_for_update=True`); this makes every write transaction do so. Readers are not
affected (WAL: they never wait for a writer), and sessions without a transaction still emit no BEGIN.

The change goes in through Prefect's own injection point for the database configuration
(`prefect.server.database.dependencies.set_database_config`), for SQLite only: a server on PostgreSQL is
started exactly as `prefect server start` would be.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any


def immediate_sqlite_configuration(connection_url: str) -> Any:
    """Prefect's SQLite configuration whose write transactions begin IMMEDIATE (take the write lock up front)."""
    from prefect.server.database.configurations import AioSqliteConfiguration

    class ImmediateSqliteConfiguration(AioSqliteConfiguration):
        @asynccontextmanager
        async def begin_transaction(self, session: Any, with_for_update: bool = False) -> AsyncIterator[Any]:
            async with super().begin_transaction(session, with_for_update=True) as transaction:
                yield transaction

    return ImmediateSqliteConfiguration(connection_url=connection_url)


def configure_database() -> bool:
    """Use IMMEDIATE write transactions if this server's database is SQLite. True if it did."""
    from prefect.server.database.dependencies import set_database_config
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    url = PREFECT_API_DATABASE_CONNECTION_URL.value() or ""
    if not url.startswith("sqlite"):
        return False
    set_database_config(immediate_sqlite_configuration(url))
    return True


def main(argv: list[str] | None = None) -> None:
    """`prefect server start ARGS` in this process, after configure_database()."""
    configure_database()
    from prefect.cli import app

    sys.argv = ["prefect", "server", "start", *(sys.argv[1:] if argv is None else argv)]
    app()


if __name__ == "__main__":
    main()
