"""Exactly-once delivery over real SMTP: refusals, bounces, crashes, and resending on a coordinator's word."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.mail import Message, Sender, SmtpTransport
from connectors.retry import RetryPolicy
from deployments.cli import app
from tasks.common.delivery import deliver, resend
from tests.standins.smtp import Received, Recorder, smtp_server
from tests.tasks.crash_sender import messages as crash_messages
from weaver.errors import FatalError
from weaver.ledger import Action, Ledger
from weaver.state import StateDB, save_members, suppressions, utcnow

ROOT = Path(__file__).resolve().parents[3]
SENDER = Sender("hello@weaving.example.org", "示范网络 Demo")


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    return state_db  # on SQLite and on PostgreSQL: ids [sqlite], [postgresql]


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server() as running:
        yield running


def smtp(port: int, **kw: object) -> SmtpTransport:
    options: dict = {"security": "none", "policy": RetryPolicy(attempts=4, sleep=lambda _s: None), **kw}
    return SmtpTransport("127.0.0.1", port, SENDER, **options)


def member(db: StateDB, i: int, consent: str = "yes") -> Message:
    email = f"p{i}@example.org"
    save_members(db, [{"member_id": f"m-{i}", "email": email, "fields_hash": "h", "fields": {"consent": consent}}], [])
    return Message(f"test:welcome:m-{i}", email, "张伟", "欢迎", "text", "<p>html</p>", "zh", f"m-{i}", "welcome")


def statuses(db: StateDB) -> dict[str, str]:
    return {e["key"]: e["status"] for e in Ledger(db, "t").entries()}


def test_a_refused_recipient_is_recorded_and_the_others_go_out(db: StateDB, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    batch = [member(db, i) for i in range(3)]
    recorder.refuse["p1@example.org"] = "550 5.1.1 mailbox unavailable"
    delivery = deliver(batch, smtp(port), db, "t")
    assert delivery.summary()["sent"] == 2 and delivery.summary()["failed"] == 1
    assert delivery.bounced == ["test:welcome:m-1"]
    assert statuses(db) == {"test:welcome:m-0": "done", "test:welcome:m-1": "failed", "test:welcome:m-2": "done"}
    with db.engine.connect() as conn:
        assert conn.execute(select(suppressions.c.email, suppressions.c.reason)).all() == [
            ("p1@example.org", "bounced")
        ]
    assert recorder.connections == 1


def test_a_bounced_address_is_never_emailed_again(db: StateDB, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.refuse["p1@example.org"] = "550 no such user"
    deliver([member(db, 1)], smtp(port), db, "t")
    recorder.refuse.clear()
    later = Message("test:newsletter:m-1", "p1@example.org", "张伟", "s", "t", "<p>h</p>", "zh", "m-1", "newsletter")
    delivery = deliver([later], smtp(port), db, "t")
    assert delivery.suppressed[0].reason == "bounced" and recorder.messages == []


def test_a_login_failure_claims_nothing(db: StateDB) -> None:
    with smtp_server(login=("weaver", "right")) as (recorder, port):
        with pytest.raises(FatalError, match="login"):
            deliver([member(db, 0)], smtp(port, username="weaver", password="wrong"), db, "t")
    assert statuses(db) == {} and recorder.messages == []


def test_a_deferred_message_goes_out_on_the_next_run(db: StateDB, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    recorder.defer["p0@example.org"] = 3
    first = deliver(
        [member(db, 0), member(db, 1)], smtp(port, policy=RetryPolicy(attempts=2, sleep=lambda _s: None)), db, "t"
    )
    assert first.summary()["sent"] == 1 and statuses(db)["test:welcome:m-0"] == "retry"
    second = deliver(
        [member(db, 0), member(db, 1)], smtp(port, policy=RetryPolicy(attempts=2, sleep=lambda _s: None)), db, "t"
    )
    assert second.summary() | {"planned": 0} == {"planned": 0, "sent": 1, "already_sent": 1, "failed": 0,
                                                  "outcome_unknown": 0, "suppressed": 0, "would_send": 0}  # fmt: skip
    assert sorted(recorder.keys()) == ["test:welcome:m-0", "test:welcome:m-1"]


def test_a_planned_message_is_cancelled_when_its_member_withdraws(db: StateDB, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    follow_up = member(db, 0)
    Ledger(db, "t").schedule([Action(follow_up.key, "email", "follow-up", {}, due_at=utcnow() - timedelta(minutes=1))])
    member(db, 0, consent="no")
    delivery = deliver([follow_up], smtp(port), db, "t")
    assert delivery.suppressed[0].reason == "no consent" and statuses(db) == {follow_up.key: "cancelled"}
    member(db, 0, consent="yes")  # consent given again later: the old follow-up stays cancelled
    assert deliver([follow_up], smtp(port), db, "t").summary()["sent"] == 0 and recorder.messages == []


def test_resend_sends_only_unknown_or_failed_messages(db: StateDB, server: tuple[Recorder, int]) -> None:
    recorder, port = server
    ok, bounced = member(db, 0), member(db, 1)
    recorder.refuse["p1@example.org"] = "550 no such user"
    deliver([ok, bounced], smtp(port), db, "t")
    outcome = resend([ok.key, bounced.key, "nope"], smtp(port), db)
    assert set(outcome.refused) == {ok.key, "nope"} and "status is done" in outcome.refused[ok.key]
    assert outcome.delivery is not None and outcome.delivery.suppressed[0].reason == "bounced"
    assert recorder.keys() == [ok.key]  # a bounced address stays suppressed even on a resend


# crash test ------------------------------------------------------------------------------------------------
COUNT = 30


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    # a one-second lease: a killed sender's claim is orphaned a second later (see _lease_expired)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WEAVER_CLAIM_LEASE_SECONDS": "1"}
    cmd = [sys.executable, "-m", "tests.tasks.crash_sender", url, str(port), str(COUNT)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _lease_expired(db: StateDB) -> None:
    deadline = time.monotonic() + 60
    while Ledger(db, "t").live_claims():
        assert time.monotonic() < deadline, "a dead sender's lease never expired"
        time.sleep(0.1)


def _killer(proc: subprocess.Popen[bytes], recorder: Recorder, rng: random.Random) -> Callable[[Received], None]:
    """Kill the sender when the server holds its n-th next message: before answering, or just after."""
    target = len(recorder.messages) + rng.randint(1, 6)
    before_reply = rng.random() < 0.5
    delay = rng.uniform(0, 0.004)

    def on_data(_received: Received) -> None:
        if len(recorder.messages) != target:
            return
        if before_reply:
            proc.send_signal(signal.SIGKILL)
        else:
            threading.Timer(delay, proc.send_signal, (signal.SIGKILL,)).start()

    return on_data


def _workspace(tmp_path: Path, url: str, port: int) -> Path:
    (tmp_path / "weaver.toml").write_text(
        f'[state]\nurl = "{url}"\n[tables]\nbackend = "csv"\npath = "tables"\n'
        f'[mail]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_killing_the_sender_at_random_points_never_delivers_twice(tmp_path: Path) -> None:
    rng = random.Random(20261124)
    url = f"sqlite:///{tmp_path / 'weaver.db'}"
    db = StateDB(url)
    crashes = 0
    with smtp_server() as (recorder, port):
        for _ in range(6):
            proc = _start(url, port)
            recorder.on_data = _killer(proc, recorder, rng)
            proc.wait(timeout=120)
            if proc.returncode == 0:
                break
            assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            crashes += 1
            settled = Counter(statuses(db).values())
            assert settled["claimed"] <= 1 and settled["claimed"] + settled["unknown"] <= crashes
            _lease_expired(db)  # until then the next run would take the dead sender for a live one
        recorder.on_data = None
        for _ in range(3):  # rerun until done
            if _start(url, port).wait(timeout=120) == 0:
                break
        delivered = Counter(recorder.keys())
        everything = {m.key for m in crash_messages(COUNT)}
        final = statuses(db)
        unknown = {k for k, s in final.items() if s == "unknown"}
        assert crashes >= 3
        assert max(delivered.values()) == 1  # no message delivered twice
        assert set(delivered) | unknown == everything  # each one delivered, or listed as unknown
        assert {k for k, s in final.items() if s == "done"} <= set(delivered)
        assert 1 <= len(unknown) <= crashes  # at most one per crash

        ws = _workspace(tmp_path, url, port)
        runner = CliRunner()
        listing = runner.invoke(app, ["ledger", "unknown", "-c", str(ws)])
        assert listing.exit_code == 0 and all(key in listing.output for key in unknown)
        assert "@" not in listing.output  # keys and member ids, never addresses
        # the coordinator checks the server's log: resend only those that never arrived
        missing = sorted(unknown - set(delivered))
        if missing:
            result = runner.invoke(app, ["ledger", "resend", *missing, "-c", str(ws), "--yes"])
            assert result.exit_code == 0, result.output
        assert Counter(recorder.keys()) == Counter(everything)  # now every message exactly once
        done_key = next(k for k, s in statuses(db).items() if s == "done")
        refused = runner.invoke(app, ["ledger", "resend", done_key, "-c", str(ws), "--yes"])
        assert refused.exit_code == 1 and "status is done" in refused.output
        assert Counter(recorder.keys()) == Counter(everything)
