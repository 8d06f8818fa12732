"""bounces, plan: notifications -> bounces per message and member, and the addresses to suppress. Pure.

A hard bounce (5.x.x) suppresses the address it was sent to at once. A soft one (4.x.x, or a delayed notice)
is counted per address over distinct messages, with the ones recorded before; at `soft_limit` the address is
suppressed too. A notification whose token names no recent email of ours (none found, forged, too old), or
that says nothing we can classify, is only counted. A notification recorded before is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prefect.cache_policies import NO_CACHE

from tasks.bounces.dsn import HARD, SOFT, UNKNOWN, Bounce
from tasks.bounces.read import Read
from tasks.common.prefect_task import task

SOURCE = "bounce"  # the suppression list's source for what this operation adds
HARD_REASON, SOFT_REASON = "bounced", "soft bounces"


@dataclass(frozen=True)
class Bounced:
    """One bounce of one of our emails, with what the report shows (name and subject, never ids)."""

    bounce: Bounce
    key: str
    email: str
    member_id: str | None
    name: str
    subject: str
    soft_count: int = 0  # distinct messages with a soft bounce to this address, this one included


@dataclass
class BouncePlan:
    read: int = 0  # notifications read from the mailbox this run
    hard: list[Bounced] = field(default_factory=list)
    soft: list[Bounced] = field(default_factory=list)
    suppress: dict[str, tuple[str, str]] = field(default_factory=dict)  # email -> (reason, name)
    already_suppressed: int = 0  # bounced addresses that were on the list before
    unmatched: int = 0  # bounces whose token names no recent email of ours
    unclassified: int = 0  # notifications that state no failure we can classify
    repeated: int = 0  # notifications recorded by an earlier run
    cursor: str = ""
    more: bool = False

    def rows(self, now: datetime) -> list[dict[str, Any]]:
        """The bounces to record (state rows)."""
        return [
            {"dsn_id": b.bounce.dsn_id, "email": b.email, "member_id": b.member_id, "ledger_key": b.key,
             "kind": b.bounce.kind, "status": b.bounce.status, "diagnostic": b.bounce.diagnostic, "received_at": now}
            for b in [*self.hard, *self.soft]
        ]  # fmt: skip

    def suppressions(self, now: datetime) -> list[dict[str, Any]]:
        return [
            {"email": email, "reason": reason, "source": SOURCE, "created_at": now}
            for email, (reason, _name) in sorted(self.suppress.items())
        ]


def plan_bounces(read: Read, soft_limit: int) -> BouncePlan:
    """What this run's notifications (each parsed into its bounces) mean, given what the state knew."""
    plan = BouncePlan(read=len(read.notifications), cursor=read.cursor, more=read.more)
    recorded, by_token, suppressed = set(read.recorded), read.by_token, read.suppressed
    soft_keys = {email: set(keys) for email, keys in read.soft_before.items()}
    for found in read.notifications:
        if not found:
            plan.unclassified += 1
            continue
        for bounce in found:
            if bounce.dsn_id in recorded:
                plan.repeated += 1
                continue
            recorded.add(bounce.dsn_id)
            if bounce.kind == UNKNOWN:
                plan.unclassified += 1
                continue
            sent = by_token.get(bounce.token) if bounce.token else None
            if sent is None or not sent.get("to_email"):
                plan.unmatched += 1
                continue
            email = str(sent["to_email"]).lower()
            name = str(sent.get("to_name") or "") or email.partition("@")[0]
            one = Bounced(bounce, str(sent["key"]), email, sent.get("member_id"), name, str(sent.get("subject") or ""))
            if bounce.kind == HARD:
                plan.hard.append(one)
                _suppress(plan, email, HARD_REASON, name, suppressed)
            elif bounce.kind == SOFT:
                keys = soft_keys.setdefault(email, set())
                keys.add(one.key)
                plan.soft.append(Bounced(**{**one.__dict__, "soft_count": len(keys)}))
                if len(keys) >= soft_limit:
                    _suppress(plan, email, SOFT_REASON, name, suppressed)
    return plan


def _suppress(plan: BouncePlan, email: str, reason: str, name: str, suppressed: set[str]) -> None:
    if email in suppressed:
        plan.already_suppressed += 1
    elif email not in plan.suppress:
        plan.suppress[email] = (reason, name)


plan_bounces_task = task(name="plan-bounces", cache_policy=NO_CACHE)(plan_bounces)
