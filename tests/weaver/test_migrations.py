"""Schema versions: an older database moves forward keeping its rows; `weaver db upgrade` says what it did."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from deployments.cli import app
from weaver.errors import WeaverError
from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB, ledger, metadata, migrations


def test_a_database_made_before_versions_is_stamped_and_keeps_its_rows(state_url: str) -> None:
    engine = create_engine(state_url)
    older = [t for t in metadata.sorted_tables if t.name != "schema_versions"]
    metadata.create_all(engine, tables=older)  # what an older weaver made
    engine.dispose()
    db = StateDB(state_url)
    Ledger(db, "t").apply([Action("email:a", "email", "a")], lambda b: [Outcome.success() for _ in b])
    db.close()
    again = StateDB(state_url)
    assert again.upgraded == [] and migrations.current_version(again.engine) == migrations.head()
    with again.engine.connect() as conn:
        assert conn.execute(select(ledger.c.key, ledger.c.status)).all() == [("email:a", "done")]
    again.close()


def test_a_new_database_gets_every_step_once(state_url: str) -> None:
    db = StateDB(state_url)
    assert [m.version for m in db.upgraded] == [m.version for m in migrations.MIGRATIONS]
    assert StateDB(state_url).upgraded == []
    db.close()


def test_db_upgrade_command(demo_ws: Path, state_url: str) -> None:
    with open(demo_ws / "weaver.toml", "a", encoding="utf-8") as toml:
        toml.write(f'\n[state]\nurl = "{state_url}"\n')
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade", "-c", str(demo_ws)])
    assert first.exit_code == 0, first.output
    assert "applied 1: baseline" in first.output and f"schema version {migrations.head()}" in first.output
    second = runner.invoke(app, ["db", "upgrade", "-c", str(demo_ws)])
    assert second.exit_code == 0 and "already current" in second.output


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    from tests.processes import free_port

    with pytest.raises(WeaverError, match="cannot be opened") as caught:
        StateDB(f"postgresql+psycopg://weaver:s3cret@127.0.0.1:{free_port()}/nets")
    assert "s3cret" not in str(caught.value)
