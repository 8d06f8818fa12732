"""Data rights on a demo member: `weaver member export`, then `forget`; and the ledger's payload retention."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from typer.testing import CliRunner

from connectors.mail import Message
from demo.history import seed_history
from deployments.cli import app
from flows.member_sync import member_sync
from flows.onboarding import onboarding
from tasks.common.delivery import consent_filter
from tests.conftest import DEMO_DAY
from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB, inbox, ledger, members, metadata
from weaver.state.engagement import record_ties
from weaver.state.preferences import save_preferences
from weaver.state.rights import drop_old_payloads

DAY = DEMO_DAY.isoformat()
runner = CliRunner()


def every_row(db: StateDB) -> list[tuple[str, str]]:
    """(table, the row as text) for every row of every table: an independent scan."""
    out = []
    with db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                out.append((table.name, json.dumps(dict(row), ensure_ascii=False, default=str).casefold()))
    return out


def every_file(ws: Path) -> dict[Path, str]:
    """The workspace's reports, previews, exports and outbox messages as text (mail parts decoded)."""
    out = {}
    for path in [*ws.joinpath("reports").rglob("*"), *ws.joinpath("exports").rglob("*")]:
        if path.is_file() and path.suffix in (".html", ".json", ".txt", ".csv"):
            out[path] = path.read_text(encoding="utf-8", errors="replace").casefold()
    for path in ws.joinpath("outbox").rglob("*"):
        if path.is_file():
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            parts = [str(v) for _, v in message.items()]
            parts += [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
            out[path] = "\n".join(parts).casefold()
    return out


@pytest.mark.usefixtures("prefect_harness")
def test_export_holds_every_row_then_forget_leaves_no_trace_and_sync_refuses_the_row(demo_ws: Path) -> None:
    seed_history(demo_ws, today=DEMO_DAY)  # survey and vote invitations in the ledger, answers in the inbox
    member_sync(workspace=str(demo_ws), as_of=DAY)
    onboarding(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    db = StateDB(f"sqlite:///{demo_ws / 'weaver.db'}")
    with db.engine.connect() as conn:  # a member who answered the survey through the form webhook
        entry = conn.execute(select(inbox.c.payload).where(inbox.c.kind == "survey")).first()
        email = entry.payload["email"].lower()
        member = conn.execute(select(members).where(members.c.email == email)).mappings().one()
    name, member_id = member["fields"]["name"], member["member_id"]
    other = "m-someone-else"
    save_preferences(db, member_id, ["newsletter"], "en", datetime(2026, 11, 20, tzinfo=UTC))
    record_ties(db, [{"a": member_id, "b": other, "source": "event", "ref": "e-1", "met_on": date(2026, 11, 1)}])
    traces = [email.casefold(), name.casefold()]
    about = [(t, r) for t, r in every_row(db) if any(x in r for x in (*traces, member_id.casefold()))]
    tables = {t for t, _ in about}
    assert {"members", "inbox", "ledger", "member_preferences", "ties"} <= tables

    out = demo_ws / "exports"
    result = runner.invoke(app, ["member", "export", email.upper(), "-c", str(demo_ws)])
    assert result.exit_code == 0, result.output
    [data] = out.glob("*.json")
    assert email not in data.name  # the file name carries a hash, never the address
    exported = json.loads(data.read_text(encoding="utf-8"))
    rows = {**exported["rows"]}
    for table, entries in exported["mentions"].items():
        rows.setdefault(table, []).extend(entries)
    assert sum(map(len, rows.values())) == len(about)  # every row about them, each once
    assert {t: len(v) for t, v in rows.items()} == {t: sum(1 for x, _ in about if x == t) for t in tables}
    [row] = exported["sheet"]["rows"]
    page = data.with_suffix(".html").read_text(encoding="utf-8")
    assert email in page and "<h3>ledger" in page and "<h3>inbox" in page

    forgot = runner.invoke(app, ["member", "forget", email, "-c", str(demo_ws), "--yes"])
    assert forgot.exit_code == 0, forgot.output
    assert f"now delete row {row} of the tab" in forgot.output and "0 rows still mention" in forgot.output
    left = [(t, r) for t, r in every_row(db) if any(x in r for x in traces)]
    assert left == []  # no table, ledger payload or inbox row holds their address or name
    assert "files: outbox" in forgot.output and "files: reports" in forgot.output
    files = every_file(demo_ws)  # reports, previews, exports and the outbox: nothing names them either
    assert [p for p, body in files.items() if any(x in body for x in traces)] == []
    with db.engine.connect() as conn:
        kept = conn.execute(text("select count(*) from ledger where key like :k"), {"k": f"%{member_id}%"}).scalar()
    assert kept > 0  # the ledger still knows what was done (key, status, times): a rerun repeats nothing

    # nothing is ever sent to them: the central consent check knows the address by its keyed hash
    probe = Message("probe", email, "", "s", "t", "h", "en", None, "newsletter")
    allowed, dropped = consent_filter(db, [probe])
    assert allowed == [] and dropped[0].reason == "forgotten"

    # their row is still in the sheet: the next sync refuses it as forgotten and says which row to delete
    again = member_sync(workspace=str(demo_ws), as_of=DAY)
    assert again["forgotten_rows"] == [row] and again["added"] == 0
    assert f"第 {row} 行" in Path(again["report"]).read_text(encoding="utf-8")
    assert [(t, r) for t, r in every_row(db) if email in r] == []
    book = load_workbook(demo_ws / "network.xlsx")  # the coordinator deletes the row
    book["Members"].delete_rows(row)
    book.save(demo_ws / "network.xlsx")
    assert member_sync(workspace=str(demo_ws), as_of=DAY)["forgotten_rows"] == []


def test_old_settled_payloads_are_dropped_keeping_key_status_and_times(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'weaver.db'}")
    actions = [Action(f"email:{n}", "email", "an email", {"to_email": f"p{n}@example.org"}) for n in range(2)]
    Ledger(db, "t").apply(actions, lambda batch: [Outcome.success("ok") for _ in batch])
    old = datetime.now(UTC) - timedelta(days=100)
    with db.begin() as conn:
        conn.execute(ledger.update().where(ledger.c.key == "email:0").values(updated_at=old))
    assert drop_old_payloads(db, datetime.now(UTC) - timedelta(days=90)) == 1
    with db.engine.connect() as conn:
        rows = {r.key: r for r in conn.execute(select(ledger))}
    assert rows["email:0"].payload is None and rows["email:0"].status == "done" and rows["email:0"].created_at
    assert rows["email:1"].payload == {"to_email": "p1@example.org"}  # recent: kept
    assert drop_old_payloads(db, datetime.now(UTC) - timedelta(days=90)) == 0  # nothing twice
    again = Ledger(db, "t").apply(actions[:1], lambda batch: [Outcome.success("again") for _ in batch])
    assert [a.key for a in again.already_done] == ["email:0"]  # still never repeated


README = Path(__file__).resolve().parents[2] / "README.md"


def section_commands() -> list[str]:
    """The indented command lines of the README's "Compliance: double opt-in, data rights, retention"."""
    body = README.read_text(encoding="utf-8").split("### Compliance: double opt-in, data rights, retention", 1)[1]
    body = re.sub(r"```.*?```", "", body.split("\n## ", 1)[0], flags=re.S)
    return [line.strip() for line in body.splitlines() if line.startswith("    ")]


def test_the_readme_commands_run_as_written(tmp_path: Path, demo_ws: Path) -> None:
    shutil.copytree(demo_ws, tmp_path / "demo-network")
    export, forget = section_commands()
    assert export.startswith("weaver member export ") and forget.startswith("weaver member forget ")
    env = {**os.environ, "PYTHONPATH": str(README.parent)}
    done = []
    for command in (export, forget):
        args = shlex.split(command)
        run = subprocess.run([sys.executable, "-c", "from deployments.cli import main; main()", *args[1:]],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)  # fmt: skip
        assert run.returncode == 0, run.stderr
        done.append(run.stdout)
        exported = list((tmp_path / "demo-network" / "exports").glob("member-*.html"))
        assert len(exported) == (1 if command == export else 0)  # forget deletes the export files too
    assert "json: " in done[0]
    assert "now delete row 5 of the tab 'Members'" in done[1]  # Wen Nguyen, the demo's fourth member
