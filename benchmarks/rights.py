"""Data rights and retention on a state database the size of a busy year: how long a full scan takes.

`weaver member export/forget` scan every row of every table (`weaver.state.rights.rows_about`), so their cost
grows with the ledger. This builds a SQLite state with MEMBERS members and LEDGER ledger entries (an email
payload of about 3 KB each, as the delivery path stores them) plus their inbox submissions, then times:
export scan, forget (erase + the check scan) and the retention pass (`drop_old_payloads`) with a third of
the entries past the retention period. Prints wall and CPU time beside the load average; the last line is
one JSON object of headline figures.

    python -m benchmarks.rights [--members 2000] [--ledger 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from weaver.state import StateDB, inbox, ledger, members
from weaver.state.rights import drop_old_payloads, erase_person, person_of, rows_about

BODY = "Dear member, here is this month's news of the network. " * 50  # about 3 KB


def build(db: StateDB, n_members: int, n_ledger: int) -> None:
    now = datetime.now(UTC)
    people = [{"member_id": f"m-{i:06d}", "email": f"person{i}@example.org", "fields_hash": str(i),
               "fields": {"name": f"Person Number{i:06d}", "email": f"person{i}@example.org", "consent": "yes"},
               "status": "active", "first_seen": now, "updated_at": now} for i in range(n_members)]  # fmt: skip
    rows = []
    for n in range(n_ledger):
        i = n % n_members
        old = n % 3 == 0
        payload = {"to_email": f"person{i}@example.org", "to_name": f"Person Number{i:06d}", "text": BODY}
        when = now - timedelta(days=120 if old else 5)
        rows.append({"key": f"newsletter:m-{i:06d}:{n}", "kind": "email", "flow": "newsletter", "status": "done",
                     "payload": payload, "attempts": 1, "created_at": when, "updated_at": when})  # fmt: skip
    entries = [{"id": f"tally:{i}", "provider": "tally", "form": "join", "kind": "join",
                "payload": {"email": f"person{i}@example.org", "fields": {"name": f"Person Number{i:06d}"}},
                "received_at": now, "status": "processed", "attempts": 1} for i in range(n_members)]  # fmt: skip
    with db.begin() as conn:
        conn.execute(members.insert(), people)
        for start in range(0, len(rows), 5000):
            conn.execute(ledger.insert(), rows[start : start + 5000])
        conn.execute(inbox.insert(), entries)


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label:<34} wall {wall:7.2f} s   cpu {cpu:7.2f} s")
    return out, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--ledger", type=int, default=50000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = StateDB(f"sqlite:///{Path(folder) / 'weaver.db'}")
        build(db, args.members, args.ledger)
        size = (Path(folder) / "weaver.db").stat().st_size / 1e6
        print(f"state: {args.members} members, {args.ledger} ledger entries, {size:.0f} MB; load {os.getloadavg()}")
        person = person_of(db, "person7@example.org")
        found, export_wall, export_cpu = timed("export scan (rows_about)", lambda: rows_about(db, person))
        print(f"  rows about the person: {found.count()}")
        changed, forget_wall, forget_cpu = timed(
            "forget (erase + check scan)",
            lambda: (erase_person(db, person, found, datetime.now(UTC)), rows_about(db, person, by_id=False).count()),
        )
        print(f"  rows changed: {sum(changed[0].values())}, rows still naming them: {changed[1]}")
        cut = datetime.now(UTC) - timedelta(days=90)
        dropped, keep_wall, keep_cpu = timed("retention (drop_old_payloads)", lambda: drop_old_payloads(db, cut))
        print(f"  payloads dropped: {dropped}")
        _, again_wall, _ = timed("retention again (nothing to drop)", lambda: drop_old_payloads(db, cut))
        db.close()
    print(json.dumps({"members": args.members, "ledger": args.ledger, "export_wall_s": round(export_wall, 2),
                      "export_cpu_s": round(export_cpu, 2), "forget_wall_s": round(forget_wall, 2),
                      "forget_cpu_s": round(forget_cpu, 2), "retention_wall_s": round(keep_wall, 2),
                      "retention_cpu_s": round(keep_cpu, 2), "retention_again_wall_s": round(again_wall, 3),
                      "payloads_dropped": dropped, "load": os.getloadavg()[0]}))  # fmt: skip


if __name__ == "__main__":
    main()
