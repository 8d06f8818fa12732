"""Deadline reminders for opportunity owners (staff): one digest per owner, each deadline once per threshold.

A deadline "reaches" a threshold (14, 7, 2 days by default) when the days left are at or below it. Each
(opportunity, threshold, owner) is a ledger key `grant-digest:<opp id>:<days>:<owner>`, recorded once the
digest that mentions it was delivered. A run lists, per owner, every opportunity whose tightest reached
threshold is not recorded yet, in one email sent through the messaging core (consent and suppression,
exactly once; the flow sends through `op.send`, so a large send waits for a coordinator and a declined one
records no reminder). The email's own key is a hash of the reminders it carries, so a crash between sending
and recording repeats nothing: the rerun builds the same email, the ledger knows it was sent, and the
reminders are recorded then. An opportunity first seen 5 days before
its deadline gets the 7-day reminder only (the 14-day one is recorded as covered, not sent late).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connectors.mail import Message
from tasks.common.messages import Delivery, render
from tasks.grants.pipeline import OPEN_STAGES, Opportunity
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.ledger import DONE, Action, Ledger, Outcome
from weaver.state import StateDB

FLOW = "grant-pipeline"


@dataclass(frozen=True)
class DeadlineNotice:
    opp_id: str
    row: int
    owner: str
    days_left: int
    reached: tuple[int, ...]  # every threshold reached, loosest first: (14, 7)
    item: dict[str, Any] = field(compare=False, hash=False)  # what the email shows

    @property
    def threshold(self) -> int:
        return min(self.reached)

    def key(self, days: int) -> str:
        return f"grant-digest:{self.opp_id}:{days}:{self.owner}"

    @property
    def keys(self) -> list[str]:
        return [self.key(d) for d in self.reached]


def plan_deadline_notices(
    opps: Sequence[Opportunity], today: date, thresholds: Sequence[int], lang: str
) -> list[DeadlineNotice]:
    """A notice per owner of every open opportunity whose deadline is within the widest threshold."""
    notices = []
    for opp in opps:
        if opp.duplicate_of is not None or opp.stage not in OPEN_STAGES or opp.deadline is None:
            continue
        days = (opp.deadline - today).days
        reached = tuple(d for d in thresholds if 0 <= days <= d)
        if not reached:
            continue
        item = {
            "row": opp.row, "funder": opp.cells["funder"], "title": opp.cells["title"],
            "deadline": opp.deadline.isoformat(), "when": when_text(days, lang), "days": days,
            "stage": t(f"stage.{opp.stage}", lang), "next_action": opp.cells["next_action"],
            "next_action_date": opp.cells["next_action_date"], "link": opp.cells["link"],
        }  # fmt: skip
        notices += [DeadlineNotice(opp.opp_id, opp.row, owner, days, reached, item) for owner in opp.owners]
    return notices


def when_text(days: int, lang: str) -> str:
    if days == 0:
        return t("digest.today", lang)
    if days == 1:
        return t("digest.tomorrow", lang)
    return t("digest.when_days", lang, days=days)


@dataclass
class Digest:
    owner: str
    notices: list[DeadlineNotice]
    message: Message


def build_digests(
    notices: Sequence[DeadlineNotice], recorded: set[str], config: WeaverConfig, tab: str
) -> list[Digest]:
    """One email per owner listing every notice whose tightest threshold is not recorded yet."""
    lang = config.network.default_language
    by_owner: dict[str, list[DeadlineNotice]] = {}
    for notice in notices:
        if notice.key(notice.threshold) not in recorded:
            by_owner.setdefault(notice.owner, []).append(notice)
    digests = []
    for owner, mine in sorted(by_owner.items()):
        mine.sort(key=lambda n: (n.days_left, n.row))
        context = {
            "items": [n.item for n in mine], "tab": tab, "network_name": config.network.name,
            "thresholds": "、".join(map(str, config.grants.digest_days)) if lang == "zh"
            else ", ".join(map(str, config.grants.digest_days)),
        }  # fmt: skip
        text = render("grant_digest", lang, context, default_language=lang)
        carried = sorted(n.key(n.threshold) for n in mine)
        digest = hashlib.blake2b("\n".join(carried).encode(), digest_size=8).hexdigest()
        message = Message(
            key=f"grant-digest-email:{owner}:{digest}", to_email=owner, to_name="", subject=text.subject,
            text=text.text, html=text.html, language=text.language, member_id=None, purpose="grant-digest",
        )  # fmt: skip
        digests.append(Digest(owner, mine, message))
    return digests


@dataclass
class DigestRun:
    notices: list[DeadlineNotice]
    digests: list[Digest]
    delivery: Delivery | None

    def summary(self) -> dict[str, int]:
        sent = self.delivery.summary() if self.delivery else {}
        return {
            "deadlines_in_reach": len({n.opp_id for n in self.notices}),
            "reminders_due": sum(len(d.notices) for d in self.digests),
            "digests_sent": sent.get("sent", 0),
            "digests_already_sent": sent.get("already_sent", 0),
            "digests_would_send": sent.get("would_send", 0),
            "digests_suppressed": sent.get("suppressed", 0),
            "digests_failed": sent.get("failed", 0) + sent.get("outcome_unknown", 0),
        } | ({"digests_held": sent["held"]} if sent.get("held") else {})  # the approval gate held them back


def recorded_reminders(db: StateDB, notices: Sequence[DeadlineNotice]) -> set[str]:
    """The reminder keys an earlier digest already carried (read before the digests are built)."""
    statuses = Ledger(db, FLOW).statuses(k for n in notices for k in n.keys)
    return {k for k, s in statuses.items() if s == DONE}


def record_reminders(digests: Sequence[Digest], delivery: Delivery | None, db: StateDB, dry_run: bool) -> None:
    """Record each reminder of every digest that went out (or had gone out): a held digest records none."""
    if dry_run or delivery is None:
        return
    delivered = {a.key for a in (*delivery.result.done, *delivery.result.already_done)}
    marks = [
        Action(key, "grant-digest", f"deadline reminder {n.item['title']} ({n.opp_id}) at {days} days recorded",
               idempotent=True)
        for d in digests
        if d.message.key in delivered
        for n in d.notices
        for days, key in zip(n.reached, n.keys, strict=True)
    ]  # fmt: skip
    Ledger(db, FLOW).apply(marks, _record)


def _record(batch: Sequence[Action]) -> list[Outcome]:
    """A reminder key is a record, not an effect: the email that carried it was the effect."""
    return [Outcome.success("sent in a digest") for _ in batch]
