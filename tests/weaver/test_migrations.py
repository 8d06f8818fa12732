"""Schema versions: an older database moves forward keeping its rows; `weaver db upgrade` says what it did."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, Text, create_engine, select
from typer.testing import CliRunner

from deployments.cli import app
from weaver.errors import WeaverError
from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB, ledger, metadata, migrations, utcnow


def old_ledger(meta: MetaData) -> Table:
    """The ledger as weaver made it before claims had leases (schema version 1)."""
    return Table(
        "ledger", meta,
        Column("key", String(512), primary_key=True), Column("kind", String(64), nullable=False),
        Column("flow", String(64), nullable=False), Column("status", String(16), nullable=False),
        Column("payload", JSON), Column("detail", Text), Column("attempts", Integer, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False), Column("due_at", DateTime(timezone=True)),
    )  # fmt: skip


def test_a_database_made_before_versions_moves_forward_and_keeps_its_rows(state_url: str) -> None:
    engine = create_engine(state_url)
    older = MetaData()
    table = old_ledger(older)
    others = [t for t in metadata.sorted_tables if t.name not in ("schema_versions", "ledger", "run_leases")]
    metadata.create_all(engine, tables=others)
    older.create_all(engine)
    now = utcnow()
    row = {"flow": "t", "kind": "email", "attempts": 1, "created_at": now, "updated_at": now, "payload": {"to": "m-1"}}
    with engine.begin() as conn:
        done, claimed = {"status": "done", "detail": ""}, {"status": "claimed", "detail": "old-owner"}
        conn.execute(table.insert(), [{**row, "key": "email:a", **done}, {**row, "key": "email:b", **claimed}])
    engine.dispose()
    db = StateDB(state_url)
    assert [m.version for m in db.upgraded] == [1, 2, 3, 4]
    assert migrations.current_version(db.engine) == migrations.head()
    with db.engine.connect() as conn:
        rows = conn.execute(select(ledger.c.key, ledger.c.status, ledger.c.payload, ledger.c.lease_until)).all()
    # an email claimed before hand-over marks existed may have been in DATA: it counts as handed
    assert sorted(rows) == [("email:a", "done", {"to": "m-1"}, None), ("email:b", "handed", {"to": "m-1"}, None)]
    # a claim made before leases has no owner to wait for: it is orphaned, never sent again on its own
    actions = [Action(k, "email", k, marks_hand_over=True) for k in ("email:a", "email:b")]
    result = Ledger(db, "t").apply(actions, fail_all)
    assert [a.key for a in result.already_done] == ["email:a"] and [a.key for a in result.unknown] == ["email:b"]
    db.close()
    again = StateDB(state_url)
    assert again.upgraded == []
    again.close()


def fail_all(batch: object) -> list[Outcome]:
    raise AssertionError("nothing may be performed")


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
    assert "applied 1: baseline" in first.output and "applied 2: ledger claims" in first.output
    assert f"schema version {migrations.head()}" in first.output
    second = runner.invoke(app, ["db", "upgrade", "-c", str(demo_ws)])
    assert second.exit_code == 0 and "already current" in second.output


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    from tests.processes import free_port

    with pytest.raises(WeaverError, match="cannot be opened") as caught:
        StateDB(f"postgresql+psycopg://weaver:s3cret@127.0.0.1:{free_port()}/nets")
    assert "s3cret" not in str(caught.value)
