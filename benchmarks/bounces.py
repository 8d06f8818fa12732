"""Bounces at scale: N delivery-status notifications in a real IMAP mailbox (Debian's Dovecot on 127.0.0.1)
against a ledger of M emails, through the bounces operation's read -> plan -> apply (no Prefect).

Prints, per phase, wall and CPU time (`time.process_time()`, this process only: Dovecot's own work is not in
it) and the load average, then one JSON line of headline figures. A second read finds nothing new (the
mailbox cursor), which is the hourly run's usual cost.

    python -m benchmarks.bounces [--notifications 1000] [--emails 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from connectors.imap import BounceMailbox
from tasks.bounces.apply import apply_bounces
from tasks.bounces.plan import plan_bounces
from tasks.bounces.read import cursor_key, read_bounces
from tasks.common.return_path import return_path_for
from tests.dsn import make_dsn
from tests.imap import PASSWORD, DovecotServer, dovecot_binary
from weaver.config import parse_config
from weaver.links import link_secret
from weaver.state import StateDB, ledger, utcnow

BASE = "bounces@weaving.example.org"


def timed(label: str, call):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:34} wall {wall:7.2f} s   cpu {cpu:6.2f} s   load {os.getloadavg()[0]:.2f}")
    return result, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notifications", type=int, default=1000)
    parser.add_argument("--emails", type=int, default=20000)
    args = parser.parse_args()
    binary = dovecot_binary()
    if binary is None:
        raise SystemExit("Dovecot is not installed (make imap)")
    server = DovecotServer(binary).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = StateDB(f"sqlite:///{Path(tmp) / 'weaver.db'}")
            cfg = parse_config({"tables": {"path": "x.xlsx"}, "mail": {"bounces": {
                "return_path": BASE, "host": "127.0.0.1", "port": server.port, "security": "none", "user": "bench",
                "password": {"env": "UNUSED"}}}})  # fmt: skip
            secret, _ = link_secret(db, cfg, False, "benchmark")
            now = utcnow()
            rows = [{"key": f"email:newsletter:m-{i:06d}:2026-11", "kind": "email", "flow": "newsletter",
                     "status": "done", "attempts": 1, "created_at": now - timedelta(days=1), "updated_at": now,
                     "payload": {"member_id": f"m-{i:06d}", "to_email": f"p{i}@example.org", "to_name": f"Person {i}",
                                 "subject": "November newsletter", "purpose": "newsletter"}}
                    for i in range(args.emails)]  # fmt: skip
            with db.begin() as conn:
                conn.execute(insert(ledger), rows)
            verp = return_path_for(BASE, secret)
            step = max(1, args.emails // args.notifications)
            _, append_wall, _ = timed(f"append {args.notifications} DSNs (IMAP)", lambda: [
                server.append("bench", make_dsn(verp(rows[(n * step) % args.emails]["key"]), "x@example.org",
                                                status="5.1.1" if n % 3 else "4.2.2"))
                for n in range(args.notifications)])  # fmt: skip
            mailbox = BounceMailbox("127.0.0.1", server.port, "bench", PASSWORD, security="none", batch=10**6)
            read, read_wall, read_cpu = timed("read (fetch, parse, token index)",
                                              lambda: read_bounces(mailbox, db, cfg, False, "benchmark"))  # fmt: skip
            plan, plan_wall, plan_cpu = timed("plan", lambda: plan_bounces(read, 3))
            _, apply_wall, _ = timed("apply (record, suppress, cursor)",
                                     lambda: apply_bounces(plan, db, cursor_key(cfg.mail.bounces), False))  # type: ignore[arg-type]  # fmt: skip
            reread = lambda: read_bounces(mailbox, db, cfg, False, "benchmark")  # noqa: E731
            again, again_wall, again_cpu = timed("read again (nothing new)", reread)
            print(f"hard {len(plan.hard)}, soft {len(plan.soft)}, suppressed {len(plan.suppress)}, "
                  f"unmatched {plan.unmatched}; second read {len(again.notifications)} notifications")  # fmt: skip
            print(json.dumps({
                "notifications": args.notifications, "emails": args.emails, "append_wall_s": round(append_wall, 2),
                "read_wall_s": round(read_wall, 2), "read_cpu_s": round(read_cpu, 2),
                "plan_wall_s": round(plan_wall, 3), "plan_cpu_s": round(plan_cpu, 3),
                "apply_wall_s": round(apply_wall, 2), "idle_read_wall_s": round(again_wall, 2),
                "idle_read_cpu_s": round(again_cpu, 2), "hard": len(plan.hard), "soft": len(plan.soft),
                "suppressed": len(plan.suppress), "load_1min": round(os.getloadavg()[0], 2)}))  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    main()
