"""A Prefect server database, migrated and with its block types registered, for the test servers to copy.

python -m tests.prefect_template OUT.db

Every Prefect server the tests start (the `prefect_harness` one and the e2e `prefect server start`, one of each
per pytest-xdist worker) would otherwise run Prefect's ~100 migrations and its block registration on a fresh
SQLite file: ~5 s of CPU each on this machine. tests/conftest.py makes this file once per test run (a file
lock), and each server starts on a copy of it with block registration off (the copy has them).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


async def _build() -> None:
    from prefect.server.database import provide_database_interface
    from prefect.server.models.block_registration import run_block_auto_registration

    db = provide_database_interface()
    await db.create_db()  # Prefect's own migrations, as its server runs them on start
    session = await db.session()
    async with session:
        await run_block_auto_registration(session=session)  # as its server does on start
        await session.commit()
    engine = await db.engine()
    await engine.dispose()


def main() -> None:
    out = Path(sys.argv[1])
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    os.environ["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = f"sqlite+aiosqlite:///{partial}"
    asyncio.run(_build())
    partial.replace(out)  # whole or absent: a reader never copies a half-made file


if __name__ == "__main__":
    main()
