"""Two runs of one operation at once, as two real processes, on SQLite and on PostgreSQL.

Neither sends an email twice; neither marks the other's live claims unknown; the claims of a run killed
with SIGKILL become unknown only once their lease expired (the runs meet through files, not sleeps).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from weaver.ledger import Ledger
from weaver.state import StateDB

ROOT = Path(__file__).resolve().parents[2]
COUNT, BATCH = 60, 10
EVERY = {f"email:welcome:m-{i}" for i in range(COUNT)}


def command(url: str, name: str, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tests.weaver.ledger_worker", url, name, str(COUNT), str(out),
            "--batch", str(BATCH), *extra]  # fmt: skip


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run(url: str, name: str, out: Path) -> dict[str, int]:
    done = subprocess.run(command(url, name, out), env=env(), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_holding(url: str, name: str, out: Path, meet: Path, *extra: str) -> subprocess.Popen[str]:
    """A run that claims its first batch and holds it (its owner alive) until told to go on."""
    proc = subprocess.Popen(
        command(url, name, out, "--hold-first", str(meet), *extra),
        env=env(), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while not (meet / f"{name}.holding").exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, "the first run never claimed its first batch"
        time.sleep(0.05)
    return proc


def sent(out: Path) -> Counter[str]:
    return Counter(line.split(" ", 1)[1] for line in out.read_text(encoding="utf-8").splitlines())


def senders(out: Path) -> Counter[str]:
    return Counter(line.split(" ", 1)[0] for line in out.read_text(encoding="utf-8").splitlines())


def test_two_runs_at_once_send_each_email_once_and_leave_live_claims_alone(state_url: str, tmp_path: Path) -> None:
    out, meet = tmp_path / "sent.txt", tmp_path
    StateDB(state_url).close()  # the schema, once, before the runs
    first = start_holding(state_url, "a", out, meet)  # run a holds 10 claims, mid-send
    second = run(state_url, "b", out)  # run b starts meanwhile and goes to the end
    assert second["in_flight"] == BATCH and second["unknown"] == 0 and second["done"] == COUNT - BATCH
    (meet / "a.go").write_text("", encoding="utf-8")
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr[-3000:]
    first_counts = json.loads(stdout.strip().splitlines()[-1])
    assert first_counts["done"] == BATCH and first_counts["unknown"] == 0
    assert sent(out) == Counter(EVERY)  # every email exactly once
    assert senders(out) == {"a": BATCH, "b": COUNT - BATCH}
    db = StateDB(state_url)
    assert Counter(Ledger(db, "t").statuses(EVERY).values()) == {"done": COUNT}
    db.close()


def start_gated(url: str, name: str, out: Path, gate: Path) -> subprocess.Popen[str]:
    """A run started (imports, connection) and waiting at its gate: it looks at the ledger once the gate opens."""
    proc = subprocess.Popen(command(url, name, out, "--gate", str(gate)), env=env(), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 300
    while not gate.with_suffix(".ready").exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline, f"run {name} never got ready"
        time.sleep(0.05)
    return proc


def through_gate(proc: subprocess.Popen[str], gate: Path) -> dict[str, int]:
    gate.write_text("", encoding="utf-8")
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


LEASE = 6.0  # s, renewed every 2 s while its owner lives: >= 4 s left at the kill


def test_a_killed_run_s_claims_become_unknown_only_once_its_lease_expired(state_url: str, tmp_path: Path) -> None:
    out, meet = tmp_path / "sent.txt", tmp_path
    db = StateDB(state_url)
    # the next runs are processes already started, waiting at their gates: b looks at the ledger a moment after
    # the kill (not after a new process's start-up, which under load can take longer than a short lease)
    early_run = start_gated(state_url, "b", out, tmp_path / "b.gate")
    last_run = start_gated(state_url, "c", out, tmp_path / "c.gate")
    killed = start_holding(state_url, "a", out, meet, "--lease", str(LEASE))
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    held = {e["key"] for e in Ledger(db, "t").entries(status="claimed")}
    assert len(held) == BATCH
    # right after the kill its lease has not run out: a new run cannot tell it from a slow one
    assert len(Ledger(db, "t").live_claims()) == BATCH
    early = through_gate(early_run, tmp_path / "b.gate")
    assert early["unknown"] == 0 and early["in_flight"] == BATCH
    deadline = time.monotonic() + 120
    while Ledger(db, "t").live_claims():
        assert time.monotonic() < deadline, "the dead run's lease never expired"
        time.sleep(0.1)
    last = through_gate(last_run, tmp_path / "c.gate")
    assert last["unknown"] == BATCH
    statuses = Ledger(db, "t").statuses(EVERY)
    assert {k for k, s in statuses.items() if s == "unknown"} == held  # exactly the dead run's claims
    assert max(sent(out).values()) == 1 and set(sent(out)) == EVERY - held  # nothing twice; the rest once
    db.close()
