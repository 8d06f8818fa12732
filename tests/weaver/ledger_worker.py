"""One run of an operation, as its own process, for the two-process ledger tests.

python -m tests.weaver.ledger_worker DB_URL NAME COUNT OUT [--hold-first DIR] [--gate FILE] [--batch N] [--lease S]

Applies COUNT email actions (`email:welcome:m-<i>`) through the ledger; its performer "sends" by appending
"NAME KEY" to OUT (one write per line, O_APPEND: the lines of two processes never mix). With --hold-first
it writes DIR/<NAME>.holding after claiming its first batch and waits, claims held, until DIR/<NAME>.go
appears: another run starts meanwhile and must meet live claims. With --gate it starts up (imports, database
connection), writes FILE.ready and waits for FILE before it applies: the test decides the moment the run looks
at the ledger, not the time a new process takes to start. The last stdout line is JSON of its counts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("name")
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--hold-first", type=Path)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--lease", type=float)
    parser.add_argument("--gate", type=Path)
    args = parser.parse_args()
    out = os.open(args.out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    held = False

    def send(batch: Sequence[Action]) -> list[Outcome]:
        nonlocal held
        if args.hold_first and not held:
            held = True
            (args.hold_first / f"{args.name}.holding").write_text("", encoding="utf-8")
            while not (args.hold_first / f"{args.name}.go").exists():
                time.sleep(0.05)
        for action in batch:
            os.write(out, f"{args.name} {action.key}\n".encode())
        return [Outcome.success() for _ in batch]

    lease = timedelta(seconds=args.lease) if args.lease else None
    db = StateDB(args.url)
    plan = [Action(f"email:welcome:m-{i}", "email", f"welcome m-{i}") for i in range(args.count)]
    ledger = Ledger(db, "newsletter", run_id=f"run-{args.name}", lease=lease)
    if args.gate:
        ledger.now()  # connected (on PostgreSQL: the server's clock read) before the gate opens
        args.gate.with_suffix(".ready").write_text("", encoding="utf-8")
        while not args.gate.exists():
            time.sleep(0.01)
    result = ledger.apply(plan, send, batch_size=args.batch)
    print(json.dumps({**result.counts(), "in_flight": len(result.in_flight)}), flush=True)


if __name__ == "__main__":
    main()
