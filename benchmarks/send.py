"""Sending at scale: N personalised messages (default 10,000) rendered and delivered to a local SMTP server.

A real aiosmtpd server runs in its own process on 127.0.0.1 (so it does not share our interpreter); it counts
the connections and messages it gets and advertises PIPELINING (aiosmtpd 1.4 takes pipelined commands but does
not say so in its EHLO: the benchmark's handler adds the line). In one run this prints, for the same messages:

* rendering (Jinja2 + CSS inlining, Chinese and English templates), not part of sending;
* MIME: building every message's wire bytes (`connectors.mail.wire_message`);
* the sink: the same messages, prebuilt, handed to the server by plain smtplib over one connection, no ledger
  (the server's own rate: the reference for "near the wire");
* ours over one connection: `deliver` with the consent check, the ledger (claims in batches, a durable
  hand-over mark before each DATA and a durable outcome after it), MIME and SMTP with PIPELINING;
* ours with the connection pool (`--connections`, default 3), and a rerun of it (nothing is sent twice);
* ours to the outbox backend (a Maildir folder), with the ledger;
* a naive loop on a 5 % sample: one new SMTP connection per message, no ledger.

Each line shows wall time, this process's CPU time (`time.process_time()`) and messages/s; the machine may be
loaded, so the load average is printed at the start and the end, and the ratios are taken within the run. The
last line is one JSON object of the headline figures.

    python -m benchmarks.send [--messages 10000] [--connections 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import smtplib
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from connectors.mail import Message, OutboxTransport, Sender, SmtpTransport, wire_message
from tasks.common.delivery import deliver
from tasks.common.messages import render
from weaver.state import StateDB

SENDER = Sender("hello@weaving.example.org", "示范网络 Demo")
NETWORK = {"network_name": "Demo Weaving Network 示范编织网络", "handbook_url": "https://weaving.example.org/h"}


# the server, in its own process ------------------------------------------------------------------------------
def _serve(port: int, messages: Any, connections: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class Counter:
        async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str, responses: Any) -> Any:
            session.host_name = hostname
            return [*responses[:-1], "250-PIPELINING", responses[-1]]

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with messages.get_lock():
                messages.value += 1
            return "250 OK"

    class Counting(Controller):
        def factory(self) -> SMTP:
            with connections.get_lock():
                connections.value += 1
            return super().factory()

    controller = Counting(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    with connections.get_lock():
        connections.value = 0  # the controller's own start-up probe
    ready.set()
    stop.wait()
    controller.stop()


class Server:
    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        with socket.socket() as sock:  # aiosmtpd cannot bind port 0: pick a free port first
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.messages, self.connections = ctx.Value("i", 0), ctx.Value("i", 0)
        self._ready, self._stop = ctx.Event(), ctx.Event()
        args = (self.port, self.messages, self.connections, self._ready, self._stop)
        self._process = ctx.Process(target=_serve, args=args, daemon=True)

    def __enter__(self) -> Server:
        self._process.start()
        if not self._ready.wait(60):
            raise RuntimeError("the SMTP server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    def counts(self) -> tuple[int, int]:
        return self.messages.value, self.connections.value


# the messages --------------------------------------------------------------------------------------------------
def personalised(count: int) -> list[Message]:
    """Half Chinese, half English welcomes, each with its own name and buddy."""
    out = []
    for i in range(count):
        zh = i % 2 == 0
        name = f"{'王李张刘陈'[i % 5]}{'伟芳娜敏静'[(i // 5) % 5]}" if zh else f"Member {i}"
        buddy = {"name": f"伙伴 {i}" if zh else f"Buddy {i}", "organisation": "", "shared": "气候" if zh else "climate"}
        r = render("onboarding_welcome", "zh" if zh else "en", {**NETWORK, "name": name, "buddy": buddy})
        out.append(Message(f"bench:welcome:m-{i:06d}", f"member.{i}@example.org", name, r.subject, r.text, r.html,
                           r.language, None, "onboarding_welcome"))  # fmt: skip
    return out


# timing ----------------------------------------------------------------------------------------------------------
class Statements:
    """Counts SQL statements sent to a state database."""

    def __init__(self, db: StateDB) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def load() -> float:
    return os.getloadavg()[0]


def timed(label: str, n: int, server: Server | None, work: Callable[[], Any], db: StateDB | None = None) -> float:
    """Run `work`, print wall and CPU time and the rate; return messages per second (wall)."""
    before = server.counts() if server else (0, 0)
    stmts = Statements(db) if db is not None else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    work()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    extra = ""
    if server is not None:
        time.sleep(0.2)  # let the server's counters settle
        msgs, conns = (a - b for a, b in zip(server.counts(), before, strict=True))
        extra = f"  server got {msgs:,} over {conns:,} connection(s)"
    if stmts is not None:
        extra += f", {stmts.count:,} SQL statements"
    rate = n / wall if wall else 0.0
    print(f"  {label:46} {wall:7.2f} s wall {cpu:7.2f} s CPU {rate:8,.0f} msg/s{extra}", flush=True)
    return rate


def sink(wires: list[tuple[str, bytes]], port: int) -> None:
    """Prebuilt messages through plain smtplib over one connection: what the server itself takes."""
    conn = smtplib.SMTP("127.0.0.1", port)
    try:
        for to, wire in wires:
            conn.sendmail(SENDER.address, [to], wire)
    finally:
        conn.quit()


def naive(messages: list[Message], port: int) -> None:
    transport = SmtpTransport("127.0.0.1", port, SENDER, security="none")
    for message in messages:
        with transport.session() as session:  # connect, EHLO, send, QUIT: every time
            session.send(message)


def fresh_db(root: Path, name: str) -> StateDB:
    return StateDB(f"sqlite:///{root / f'{name}.db'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=3, help="the pool's size (the default of [mail])")
    args = parser.parse_args()
    n, pool = args.messages, args.connections
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-send-"))
    figures: dict[str, Any] = {"messages": n, "pool_connections": pool, "load_start": round(load(), 2)}
    try:
        print(f"load average {load():.2f} on {os.cpu_count()} CPUs")
        t0 = time.perf_counter()
        messages = personalised(n)
        render_s = time.perf_counter() - t0
        size = sum(len(m.html) + len(m.text) for m in messages) / n
        print(f"{n:,} personalised messages (zh and en), average {size / 1024:.1f} KiB of text + HTML")
        print(f"  {'render (Jinja2 + CSS inlining)':46} {render_s:7.2f} s wall {n / render_s:26,.0f} msg/s")
        figures["mime_msg_s"] = round(timed("MIME: wire bytes of every message", n, None,
                                            lambda: [wire_message(m, SENDER) for m in messages]))  # fmt: skip
        wires = [(m.to_email, wire_message(m, SENDER)) for m in messages]
        with Server() as server:
            figures["sink_msg_s"] = round(timed("sink: prebuilt, smtplib, one connection", n, server,
                                                lambda: sink(wires, server.port)))  # fmt: skip
            one = SmtpTransport("127.0.0.1", server.port, SENDER, security="none", connections=1)
            db1 = fresh_db(root, "one")
            figures["ours_one_msg_s"] = round(timed("ours: ledger + MIME + SMTP, one connection", n, server,
                                                    lambda: deliver(messages, one, db1, "bench"), db1))  # fmt: skip
            many = SmtpTransport("127.0.0.1", server.port, SENDER, security="none", connections=pool)
            dbp = fresh_db(root, "pool")
            figures["ours_pool_msg_s"] = round(timed(f"ours: the same, a pool of {pool} connections", n, server,
                                                     lambda: deliver(messages, many, dbp, "bench"), dbp))  # fmt: skip
            timed("ours again (a rerun: nothing to send)", n, server, lambda: deliver(messages, many, dbp, "bench"))
            sample = messages[: max(1, n // 20)]
            figures["naive_msg_s"] = round(timed(f"naive: a connection per message ({len(sample):,})", len(sample),
                                                 server, lambda: naive(sample, server.port)))  # fmt: skip
        outbox = OutboxTransport(root / "outbox", SENDER)
        dbo = fresh_db(root, "outbox")
        figures["outbox_msg_s"] = round(timed("ours: ledger + MIME to the outbox (Maildir)", n, None,
                                              lambda: deliver(messages, outbox, dbo, "bench"), dbo))  # fmt: skip
        files = len(list((root / "outbox" / "new").iterdir()))
        print(f"  the outbox holds {files:,} messages")
        figures["ours_one_over_sink"] = round(figures["ours_one_msg_s"] / figures["sink_msg_s"], 2)
        figures["ours_pool_over_sink"] = round(figures["ours_pool_msg_s"] / figures["sink_msg_s"], 2)
        figures["load_end"] = round(load(), 2)
        print(f"load average {load():.2f}; ours over one connection = {figures['ours_one_over_sink']:.0%} of the "
              f"sink's rate, the pool {figures['ours_pool_over_sink']:.0%}")  # fmt: skip
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
