"""Exactly-once delivery and the one central consent check. Plain functions, no Prefect.

Every operation that emails anyone goes through `deliver` (re-exported by `tasks.common.messages`). It is the one
place that decides whether a recipient may be emailed (`consent_filter`): a member without an explicit
yes, or any address on the suppression list (unsubscribed, cleaned, bounced), never gets a message,
whichever flow planned it. Each message is a ledger action keyed by (purpose, member, occasion): claimed in
batches, marked `handed` durably just before its DATA (with the outcomes of the messages before it, one commit
per message), inside one transport session. A rerun sends nothing twice; after a crash the claims that never
reached DATA are sent again automatically, and at most the one message in DATA has an unknown outcome. A
recipient the server refuses for good is added to the suppression list as bounced. Kept free of Prefect so the
`weaver ledger` commands and the crash test start fast; `tasks.common.messages` holds the task wrappers.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from connectors.mail import Handing, MailTransport, Message, Refused
from tasks.common.unsubscribe import topic_of
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome, ProgressFn
from weaver.models import parse_consent
from weaver.state import StateDB
from weaver.state.delivery import add_suppression, members_by_id_or_email, suppression_reasons
from weaver.state.preferences import preferences_of


# consent ------------------------------------------------------------------------------------------------
@dataclass
class Suppressed:
    message: Message
    reason: str  # "no consent", "unsubscribed", "not an active member" ...


def consent_filter(db: StateDB, messages: Sequence[Message]) -> tuple[list[Message], list[Suppressed]]:
    """The one central check: who may be emailed. Two queries for the whole batch."""
    emails = {m.to_email.lower() for m in messages}
    ids = {m.member_id for m in messages if m.member_id}
    blocked = suppression_reasons(db, emails)
    state = _member_consent(db, ids, emails)
    topics_off = {m: set(p["topics_off"]) for m, p in preferences_of(db, ids).items()}
    allowed: list[Message] = []
    dropped: list[Suppressed] = []
    for msg in messages:
        reason = blocked.get(msg.to_email.lower())
        if reason is None and msg.member_id:
            known = state["by_id"].get(msg.member_id)
            reason = "not an active member" if known is None else (None if known else "no consent")
        if reason is None and state["by_email"].get(msg.to_email.lower()) is False:
            reason = "no consent"  # a staff-addressed message can still not reach a non-consenting member
        if reason is None and msg.member_id and topic_of(msg) in topics_off.get(msg.member_id, ()):
            reason = f"turned off {topic_of(msg)}"  # on their preference page
        if reason:
            dropped.append(Suppressed(msg, reason))
        else:
            allowed.append(msg)
    return allowed, dropped


def _member_consent(db: StateDB, ids: set[str], emails: set[str]) -> dict[str, dict[str, bool]]:
    """Whether each active member (by id and by address) may be emailed: an explicit yes, nothing less."""
    by_id: dict[str, bool] = {}
    by_email: dict[str, bool] = {}
    for r in members_by_id_or_email(db, ids, emails):
        ok = r["status"] == "active" and parse_consent((r["fields"] or {}).get("consent", "")) is True
        if r["status"] == "active":
            by_id[r["member_id"]] = ok
            by_email[r["email"]] = by_email.get(r["email"], True) and ok
    return {"by_id": by_id, "by_email": by_email}


def suppress(db: StateDB, email: str, reason: str, source: str) -> None:
    """Put an address on the suppression list (kept if it is there already, with its first reason)."""
    add_suppression(db, email.lower(), reason, source)


# delivery -----------------------------------------------------------------------------------------------
@dataclass
class Delivery:
    result: ApplyResult
    suppressed: list[Suppressed] = field(default_factory=list)
    previews: Path | None = None
    bounced: list[str] = field(default_factory=list)  # ledger keys whose recipient was refused for good
    held: int = 0  # messages the approval gate held back (not approved): none is in the ledger
    check_at: tuple[str, str] = ("", "")  # where a coordinator checks an unknown outcome: (smtp|outbox, where)

    @classmethod
    def held_back(cls, count: int) -> Delivery:
        return cls(ApplyResult(), held=count)

    def summary(self) -> dict[str, int]:
        counts = self.result.counts()
        held = {"held": self.held} if self.held else {}
        return held | {
            "planned": counts["planned"] + len(self.suppressed),
            "sent": counts["done"],
            "already_sent": counts["already_done"],
            "failed": counts["failed"],
            "outcome_unknown": counts["unknown"],
            "suppressed": len(self.suppressed),
            "would_send": counts["skipped"] if self.result.dry_run else 0,
        }


def unknown_note(deliveries: Sequence[Delivery], lang: str) -> str | None:
    """The report's note when emails have an unknown outcome: how many, and where the coordinator checks
    them (the SMTP server's log by Message-ID, or the outbox folder), then confirm or resend."""
    unknown = [d for d in deliveries if d.result.unknown]
    if not unknown:
        return None
    kind, where = unknown[0].check_at
    if kind == "smtp":
        place = t("delivery.check_smtp", lang, where=where)
    else:
        place = t("delivery.check_outbox", lang, where=where)
    return t("delivery.unknown_note", lang, n=sum(len(d.result.unknown) for d in unknown), where=place)


def message_action(message: Message) -> Action:
    summary = f"{message.purpose or 'email'} to {message.member_id or 'staff'} ({message.language})"
    return Action(message.key, "email", summary, message.to_payload(), idempotent=False, marks_hand_over=True)


def deliver(
    messages: Sequence[Message],
    transport: MailTransport,
    db: StateDB,
    flow: str,
    *,
    dry_run: bool = False,
    previews_dir: Path | None = None,
    on_progress: ProgressFn | None = None,
) -> Delivery:
    """Send each allowed message exactly once; a dry run writes previews instead of sending."""
    allowed, dropped = consent_filter(db, messages)
    actions = [message_action(m) for m in allowed]
    ledger = Ledger(db, flow)
    if dry_run:
        result = ledger.apply(actions, _never, dry_run=True)
        pending = {a.key for a in result.skipped}
        path = write_previews([m for m in allowed if m.key in pending], previews_dir) if previews_dir else None
        return Delivery(result, dropped, path)
    _cancel_planned(ledger, dropped)
    if not _sendable(ledger, actions):  # a rerun with nothing left to send opens no connection
        return Delivery(ledger.apply(actions, _never), dropped, check_at=transport.check_at())
    bounced: list[str] = []
    by_key = {m.key: m for m in allowed}

    def noted(key: str, message: Message) -> Callable[[Outcome], None]:
        def after(outcome: Outcome) -> None:
            ledger.settle(key, outcome)  # durable at once: before this connection's next DATA
            if isinstance(outcome, Refused):  # never again, from any flow
                suppress(db, message.to_email, "bounced", "smtp")
                bounced.append(key)

        return after

    marked = not getattr(transport, "idempotent", False)
    with transport.session() as session:

        def send(batch: Sequence[Action]) -> list[Outcome]:
            items = []
            for action in batch:
                message = by_key.get(action.key) or Message.from_payload(action.payload)
                if marked:
                    items.append(Handing(message, partial(ledger.hand_over, action.key), noted(action.key, message)))
                else:  # handed over again after a crash, it arrives once: the batch is marked in one commit
                    items.append(Handing(message))
            return session.send_all(items)

        # claims in batches; the hand-over mark before each DATA is what keeps a crash to at most one unknown
        # outcome per connection: a claim that never reached it is simply sent again by a later run
        result = ledger.apply(actions, send, batch_size=CLAIM_BATCH, on_progress=on_progress)
    return Delivery(result, dropped, bounced=bounced, check_at=transport.check_at())


CLAIM_BATCH = 50  # claims per transaction; after a crash they wait for their lease to lapse, then go again


def _cancel_planned(ledger: Ledger, dropped: Sequence[Suppressed]) -> None:
    """A planned message (a follow-up) whose recipient may no longer be emailed is dropped for good."""
    by_reason: dict[str, list[str]] = {}
    for item in dropped:
        by_reason.setdefault(item.reason, []).append(item.message.key)
    for reason, keys in by_reason.items():
        ledger.cancel(keys, f"not sent: {reason}")


def _sendable(ledger: Ledger, actions: Sequence[Action]) -> bool:
    return bool(ledger.pending(actions))


def pending_messages(db: StateDB, messages: Sequence[Message]) -> tuple[list[Message], list[Suppressed]]:
    """What `deliver` would actually send now: allowed by consent and not sent (or tried) before."""
    allowed, dropped = consent_filter(db, messages)
    pending = {a.key for a in Ledger(db, "plan").pending([message_action(m) for m in allowed])}
    return [m for m in allowed if m.key in pending], dropped


def _never(batch: Sequence[Action]) -> list[Outcome]:
    raise AssertionError("a dry run performs nothing")


# a coordinator's word -------------------------------------------------------------------------------------
RESENDABLE = ("unknown", "failed")


@dataclass
class Resend:
    delivery: Delivery | None
    refused: dict[str, str]  # key -> why it was not resent (unknown key, already done ...)


def resend(keys: Sequence[str], transport: MailTransport, db: StateDB, flow: str = "resend") -> Resend:
    """Send again, exactly as recorded in the ledger, the messages a coordinator checked did not arrive."""
    ledger = Ledger(db, flow)
    found = {e["key"]: e for e in ledger.entries(kind="email", keys=keys)}
    refused: dict[str, str] = {}
    chosen: list[Message] = []
    for key in dict.fromkeys(keys):
        entry = found.get(key)
        if entry is None:
            refused[key] = "no such email in the ledger"
        elif entry["status"] not in RESENDABLE:
            refused[key] = f"status is {entry['status']}: only {' or '.join(RESENDABLE)} messages are resent"
        elif not entry["payload"]:
            refused[key] = "the ledger holds no copy of this message"
        else:
            chosen.append(Message.from_payload(entry["payload"]))
    if not chosen:
        return Resend(None, refused)
    ledger.release([m.key for m in chosen])
    return Resend(deliver(chosen, transport, db, flow), refused)


# previews -------------------------------------------------------------------------------------------------
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_previews(messages: Sequence[Message], directory: Path, limit: int = 200) -> Path:
    """One HTML file per planned message (up to `limit`) and an index, for a coordinator to review."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, msg in enumerate(messages):
        name = _SAFE.sub("_", msg.key)[:120] + ".html"
        if i < limit:
            (directory / name).write_text(msg.html, encoding="utf-8")
        rows.append(f"<tr><td>{html.escape(msg.purpose)}</td><td>{msg.member_id or 'staff'}</td><td>{msg.language}</td>"
                    f"<td><a href='{name}'>{html.escape(msg.subject)}</a></td></tr>")  # fmt: skip
    more = f"<p>{len(messages) - limit} more not rendered</p>" if len(messages) > limit else ""
    index = (
        "<!doctype html><meta charset=utf-8><title>Previews</title><table border=1 cellpadding=4>"
        "<tr><th>purpose</th><th>member</th><th>lang</th><th>subject</th></tr>" + "".join(rows) + "</table>" + more
    )
    (directory / "index.html").write_text(index, encoding="utf-8")
    return directory / "index.html"
