"""What the ledger must say after a sending process was SIGKILLed while the SMTP server held one message.

Shared by the whole-process tests that kill a `serve` or a worker mid-send (tests/deployments/test_stuck_runs.py,
test_workers.py): the same promise, whatever killed the sender.
"""

from __future__ import annotations

from collections import Counter

from tests.standins.smtp import Recorder
from weaver.ledger import Ledger
from weaver.state import StateDB


def assert_settled_after_a_kill(recorder: Recorder, db: StateDB, held_key: str, connections: int) -> None:
    delivered = Counter(recorder.keys())
    assert delivered and max(delivered.values()) == 1  # no email twice
    emails = {e["key"]: e["status"] for e in Ledger(db, "t").entries(kind="email")}
    assert emails[held_key] == "unknown"  # handed over, never answered: a coordinator decides
    done_keys = {k for k, s in emails.items() if s == "done"}
    unknown = {k for k, s in emails.items() if s == "unknown"}
    assert done_keys <= set(delivered)  # done only when the server took it
    assert set(delivered) <= done_keys | unknown  # everything the server took is accounted for
    # the pool's other connections went on while the first was held: each may have had one message handed
    # over when the kill came (taken by the server or not), never more
    assert len(unknown) <= connections
    assert set(emails.values()) <= {"done", "unknown", "planned"}  # planned: follow-ups due in days
