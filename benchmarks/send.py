"""Sending at scale: N personalised messages (default 10,000) rendered and delivered to a local SMTP server.

A real aiosmtpd server runs in its own process on 127.0.0.1 (so it does not share our interpreter) and
counts the connections and messages it gets. In one run this prints, for the same messages:

* rendering (Jinja2 + CSS inlining, Chinese and English templates),
* our delivery: the consent check, one ledger claim and mark per message, one SMTP connection for all,
* a rerun of that delivery (nothing is sent twice),
* a naive loop: one new SMTP connection (connect, EHLO, send, QUIT) per message, no ledger,
* for scale, the same transport over one connection without the ledger (what exactly-once costs),

with wall time, messages/s, SMTP connections and state-database statements.

    python -m benchmarks.send [--messages 10000]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from connectors.mail import Message, Sender, SmtpTransport
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
    """Counts SQL statements sent to the state database."""

    def __init__(self, db: StateDB) -> None:
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def timed(label: str, n: int, server: Server, work: Callable[[], Any], stmts: Statements | None = None) -> None:
    before_msgs, before_conns = server.counts()
    before_sql = stmts.count if stmts else 0
    t0 = time.perf_counter()
    work()
    wall = time.perf_counter() - t0
    time.sleep(0.2)  # let the server's counters settle
    msgs, conns = (a - b for a, b in zip(server.counts(), (before_msgs, before_conns), strict=True))
    rate = f"{n / wall:9,.0f} msg/s" if msgs else " " * 15
    sql = f", {stmts.count - before_sql:,} SQL statements" if stmts else ""
    print(f"  {label:44} {wall:8.2f} s {rate}  server got {msgs:,} messages over {conns:,} connections{sql}")


def naive(messages: list[Message], port: int) -> None:
    transport = SmtpTransport("127.0.0.1", port, SENDER, security="none")
    for message in messages:
        with transport.session() as session:  # connect, EHLO, send, QUIT: every time
            session.send(message)


def reused(messages: list[Message], port: int) -> None:
    with SmtpTransport("127.0.0.1", port, SENDER, security="none").session() as session:
        for message in messages:
            session.send(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    n = args.messages
    root = Path(tempfile.mkdtemp(prefix="weaver-bench-send-"))
    try:
        t0 = time.perf_counter()
        messages = personalised(n)
        render_s = time.perf_counter() - t0
        size = sum(len(m.html) + len(m.text) for m in messages) / n
        print(f"{n:,} personalised messages (zh and en), average {size / 1024:.1f} KiB of text + HTML")
        print(f"  {'render (Jinja2 + CSS inlining)':44} {render_s:8.2f} s {n / render_s:9,.0f} msg/s")
        db = StateDB(f"sqlite:///{root / 'weaver.db'}")
        stmts = Statements(db)
        with Server() as server:
            transport = SmtpTransport("127.0.0.1", server.port, SENDER, security="none")
            timed("deliver: consent + ledger + one connection", n, server,
                  lambda: deliver(messages, transport, db, "bench"), stmts)  # fmt: skip
            timed("deliver again (a rerun: nothing to send)", n, server,
                  lambda: deliver(messages, transport, db, "bench"), stmts)  # fmt: skip
            timed("naive: one connection per message, no ledger", n, server, lambda: naive(messages, server.port))
            timed("(for scale) one connection, no ledger", n, server, lambda: reused(messages, server.port))
            print(f"  client side: our transport opened {transport.calls['connect']} connection(s) for "
                  f"{transport.calls['message']:,} messages")  # fmt: skip
        db.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
