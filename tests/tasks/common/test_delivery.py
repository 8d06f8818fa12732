"""Exactly-once delivery over real SMTP: refusals, bounces, crashes, and resending on a coordinator's word."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from connectors.mail import Message, OutboxTransport, Sender, SmtpTransport, message_id
from connectors.retry import RetryPolicy
from deployments.cli import app
from tasks.common.delivery import Delivery, deliver, resend, unknown_note
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


def test_the_report_says_where_to_check_an_unknown_outcome(db: StateDB, tmp_path: Path) -> None:
    first = member(db, 0)
    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    delivery = deliver([first], outbox, db, "t")  # the outbox backend hands over through the ledger too
    assert statuses(db) == {first.key: "done"} and len(outbox.messages()) == 1
    assert unknown_note([delivery], "en") is None  # nothing unknown: no note
    delivery.result.unknown.append(delivery.result.done[0])
    assert delivery.check_at == ("outbox", str(tmp_path / "outbox"))
    assert f"Check the outbox folder {tmp_path / 'outbox'};" in (unknown_note([delivery], "en") or "")
    over_smtp = Delivery(delivery.result, check_at=smtp(2525).check_at())
    note = unknown_note([over_smtp], "en") or ""
    assert (
        note.startswith("1 emails have an unknown outcome") and "the log of the SMTP server 127.0.0.1:2525, by" in note
    )
    assert "weaver ledger confirm" in note and "SMTP 服务器 127.0.0.1:2525 的日志" in (
        unknown_note([over_smtp], "zh") or ""
    )


# crash test ------------------------------------------------------------------------------------------------
COUNT = 40
# where each crash happens: "rcpt" = while the server answers RCPT TO (before DATA: nothing handed over),
# "data" = while the server holds the message's DATA (before it answers), "late" = a moment after that
KINDS = ("rcpt", "data", "rcpt", "late", "rcpt", "data")


def _start(url: str, port: int, connections: int = 1) -> subprocess.Popen[bytes]:
    # a one-second lease: a killed sender's claim is orphaned a second later (see _lease_expired)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WEAVER_CLAIM_LEASE_SECONDS": "1"}
    cmd = [sys.executable, "-m", "tests.tasks.crash_sender", url, str(port), str(COUNT), str(connections)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _lease_expired(db: StateDB) -> None:
    deadline = time.monotonic() + 60
    while Ledger(db, "t").live_claims():
        assert time.monotonic() < deadline, "a dead sender's lease never expired"
        time.sleep(0.1)


def _key_of(address: str) -> str:
    return f"crash:welcome:p-{address.split('@')[0][1:]}"  # p007@example.org -> crash:welcome:p-007


def _arm(proc: subprocess.Popen[bytes], recorder: Recorder, rng: random.Random, kind: str) -> list[str]:
    """Kill the sender at its n-th next message, where `kind` says; returns (once it fired) the key it hit.

    A kill in DATA never hits a run's first message: that is the one an RCPT kill left, sent again on its own.
    """
    target = rng.randint(1, 6) if kind == "rcpt" else rng.randint(2, 6)
    hit: list[str] = []
    seen = {"rcpt": 0, "data": 0}

    def on_rcpt(address: str) -> None:
        seen["rcpt"] += 1
        if kind == "rcpt" and seen["rcpt"] == target:
            hit.append(_key_of(address))
            proc.send_signal(signal.SIGKILL)  # before the answer: the sender never reaches DATA

    def on_data(received: Received) -> None:
        seen["data"] += 1
        if kind != "rcpt" and seen["data"] == target:
            hit.append(_key_of(received.rcpt_tos[0]))
            if kind == "data":
                proc.send_signal(signal.SIGKILL)  # the server holds the message and has not answered
            else:
                threading.Timer(rng.uniform(0, 0.004), proc.send_signal, (signal.SIGKILL,)).start()

    recorder.on_rcpt, recorder.on_data = on_rcpt, on_data
    return hit


def _workspace(tmp_path: Path, url: str, port: int) -> Path:
    (tmp_path / "weaver.toml").write_text(
        f'[state]\nurl = "{url}"\n[tables]\nbackend = "csv"\npath = "tables"\n'
        f'[mail]\nbackend = "smtp"\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
        'from_address = "hello@weaving.example.org"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_killing_the_sender_before_or_during_data_resends_or_reports_it_and_never_delivers_twice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(20261124)
    url = f"sqlite:///{tmp_path / 'weaver.db'}"
    db = StateDB(url)
    killed: dict[str, list[str]] = {"rcpt": [], "data": [], "late": []}
    with smtp_server() as (recorder, port):
        for kind in KINDS:
            proc = _start(url, port)
            hit = _arm(proc, recorder, rng, kind)
            proc.wait(timeout=120)
            assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            [key] = hit
            killed[kind].append(key)
            settled = statuses(db)
            assert Counter(settled.values())["handed"] <= 1  # at most the one message in DATA
            if kind == "rcpt":  # died before DATA: recorded as claimed only, never as handed over
                assert settled[key] == "claimed" and key not in recorder.keys()
            elif kind == "data":  # died while the server held it: handed over, outcome not known to us
                assert settled[key] == "handed" and key in recorder.keys()
            _lease_expired(db)  # until then the next run would take the dead sender for a live one
        recorder.on_rcpt = recorder.on_data = None
        for _ in range(3):  # rerun until done
            if _start(url, port).wait(timeout=120) == 0:
                break
        delivered = Counter(recorder.keys())
        everything = {m.key for m in crash_messages(COUNT)}
        final = statuses(db)
        unknown = {k for k, s in final.items() if s == "unknown"}
        assert max(delivered.values()) == 1  # 0 duplicates
        assert set(delivered) | unknown == everything  # each one delivered, or listed as unknown
        assert {k for k, s in final.items() if s == "done"} <= set(delivered)
        # a kill before DATA: sent again by the next run on its own, never unknown (unless a later kill in DATA
        # hit the same message again)
        hit_in_data = set(killed["data"]) | set(killed["late"])
        again = [k for k in killed["rcpt"] if k not in hit_in_data]
        assert len(killed["rcpt"]) == 3 and len(again) >= 2
        assert all(final[k] == "done" and delivered[k] == 1 for k in again)
        # a kill during DATA: unknown (it did arrive: the coordinator checks the server's log)
        assert all(final[k] == "unknown" for k in killed["data"]) and len(killed["data"]) == 2
        assert set(killed["data"]) <= unknown and len(unknown) <= len(killed["data"]) + len(killed["late"])

        ws = _workspace(tmp_path, url, port)
        runner = CliRunner()
        with caplog.at_level(logging.DEBUG):
            listing = runner.invoke(app, ["ledger", "unknown", "-c", str(ws)])
        assert listing.exit_code == 0, listing.output
        for key in unknown:  # name, address and Message-ID for the coordinator's check
            n = key.rsplit("-", 1)[1]
            line = next(row for row in listing.output.splitlines() if row.startswith(key))
            assert f"成员 {int(n)} <p{n}@example.org>" in line and message_id(key, SENDER.address) in line
        assert f"the log of the SMTP server 127.0.0.1:{port}, by Message-ID" in listing.output
        assert "@example.org" not in caplog.text  # on the terminal only, never in a log
        # the coordinator finds the Message-IDs in the server's log: confirm those, resend the others
        arrived = sorted(unknown & set(delivered))
        confirmed = runner.invoke(app, ["ledger", "confirm", *arrived, "-c", str(ws)])
        assert confirmed.exit_code == 0 and f"{len(arrived)} of {len(arrived)} confirmed" in confirmed.output
        missing = sorted(unknown - set(delivered))
        if missing:
            result = runner.invoke(app, ["ledger", "resend", *missing, "-c", str(ws), "--yes"])
            assert result.exit_code == 0, result.output
        assert Counter(recorder.keys()) == Counter(everything)  # now every message exactly once
        assert set(statuses(db).values()) == {"done"}
        done_key = next(iter(everything))
        refused = runner.invoke(app, ["ledger", "resend", done_key, "-c", str(ws), "--yes"])
        assert refused.exit_code == 1 and "status is done" in refused.output
        again = runner.invoke(app, ["ledger", "confirm", done_key, "-c", str(ws)])
        assert again.exit_code == 1 and "only unknown emails are confirmed" in again.output
        assert _start(url, port).wait(timeout=120) == 0  # a rerun sends nothing
        assert Counter(recorder.keys()) == Counter(everything)


def test_killing_a_sender_with_a_pool_of_connections_leaves_at_most_one_unknown_per_connection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'weaver.db'}"
    db = StateDB(url)
    with smtp_server(Recorder(pipelining=True)) as (recorder, port):
        proc = _start(url, port, connections=3)

        def on_data(_received: Received) -> None:
            if len(recorder.messages) == 10:  # the server holds the 10th message; the other connections are busy
                proc.send_signal(signal.SIGKILL)

        recorder.on_data = on_data
        proc.wait(timeout=120)
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        recorder.on_data = None
        settled = Counter(statuses(db).values())
        assert 1 <= settled["handed"] <= 3  # one message at a time per connection
        _lease_expired(db)
        assert _start(url, port, connections=3).wait(timeout=120) == 0
        delivered = Counter(recorder.keys())
        everything = {m.key for m in crash_messages(COUNT)}
        final = statuses(db)
        unknown = {k for k, s in final.items() if s == "unknown"}
        assert max(delivered.values()) == 1  # 0 duplicates
        assert set(delivered) | unknown == everything and 1 <= len(unknown) <= 3
        assert {k for k, s in final.items() if s == "done"} == set(delivered) - unknown  # the rest: sent on their own


# the outbox backend: handing over twice writes one file, so it needs no hand-over mark before each message ----
def _outbox_keys(folder: Path) -> Counter[str]:
    box = OutboxTransport(folder, SENDER)
    return Counter(str(m["X-Weaver-Key"]) for m in box.messages())


def test_a_message_already_in_the_outbox_is_marked_done_and_not_written_again(db: StateDB, tmp_path: Path) -> None:
    first, second, third = member(db, 0), member(db, 1), member(db, 2)
    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    with outbox.session() as session:  # a run wrote these two, then died before the ledger marked them
        session.send(first)
        session.send(second)
    read = next((tmp_path / "outbox" / "new").glob("*"))  # a mail client read one: moved to cur/ with flags
    read.rename(tmp_path / "outbox" / "cur" / f"{read.name}:2,S")
    delivery = deliver([first, second, third], outbox, db, "t")
    assert statuses(db) == {first.key: "done", second.key: "done", third.key: "done"}
    assert len(delivery.result.done) == 3
    assert _outbox_keys(tmp_path / "outbox") == Counter({first.key: 1, second.key: 1, third.key: 1})


def test_killing_a_sender_to_the_outbox_leaves_every_message_once_and_nothing_unknown(tmp_path: Path) -> None:
    url, folder, count = f"sqlite:///{tmp_path / 'weaver.db'}", tmp_path / "outbox", 1500
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WEAVER_CLAIM_LEASE_SECONDS": "1"}
    cmd = [sys.executable, "-m", "tests.tasks.crash_sender", url, f"outbox:{folder}", str(count)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not (folder / "new").exists() or len(os.listdir(folder / "new")) < 300:  # well into its batches
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()[-2000:]
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    db = StateDB(url)
    _lease_expired(db)
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    everything = {m.key for m in crash_messages(count)}
    assert _outbox_keys(folder) == Counter(dict.fromkeys(everything, 1))  # every message exactly once
    assert set(statuses(db).values()) == {"done"}  # nothing unknown: the outbox tells what arrived
