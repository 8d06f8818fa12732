"""Audience sync: the member sheet and the Mailchimp audience, inside member-sync when [mailchimp] is set.

read   `read_audience`: who unsubscribed or was cleaned in Mailchimp since the last pull (the whole audience,
       any status, the first time a list is synced), what we pushed before (the `audience_members` table)
       and Mailchimp's earlier suppressions. Two read calls on a quiet day.
plan   `plan_audience_sync` (pure):
       1. Consent comes back: a member whose address left the audience (unsubscribed, cleaned) gets that
          word in the sheet's consent column. The cells join member-sync's single write batch (the one
          write to a coordinator's column we ever make), and the member's consent in the state database
          says no, so no flow of ours emails them; the suppression list says so too.
       2. Push: members whose synced fields (address, merge fields, language, tags, wanted status) hash
          differently from what we last pushed. A consenting member is "subscribed" only if new to the
          audience; we never push anyone Mailchimp reports as gone; a member whose consent turned to no is
          unsubscribed there. Contacts Mailchimp holds as pending/transactional/archived go by PUT with
          `status_if_new`, so their status is untouched. Tags we set and that no longer apply are removed;
          tags a coordinator added in Mailchimp are left alone.
apply  `apply_audience_sync`: record the pull (suppressions, statuses), push through the ledger in batches
       of 500 (one batch call each), remember what was pushed, then move the pull's high-water mark.

Ledger keys: `audience-upsert:<list>:<md5 of the address>:<push number>:<hash>`; a per-contact failure
(a compliance state, an invalid address) is recorded for that key and not retried; new data is a new key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.audience import BATCH_LIMIT, Audience, Contact, ContactResult, ContactUpsert, subscriber_hash
from connectors.tables import Cell, Grid
from tasks.common.prefect_task import task
from tasks.common.unsubscribe import topic_off_tag
from tasks.members.plan import SyncPlan, fields_hash, locate_columns
from weaver.config import MailchimpConfig, WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.models import Member, parse_consent, split_list
from weaver.report import Report, Table
from weaver.state import StateDB, utcnow
from weaver.state.audience import audience_contacts, save_audience_pull, save_audience_pushes
from weaver.state.delivery import suppressions_from
from weaver.state.preferences import topics_off

LEFT = ("unsubscribed", "cleaned")  # statuses that mean: never email, never subscribe again
KEEP_STATUS = ("pending", "transactional", "archived")  # contacts whose status is not ours to set
PULL_FLOW = "audience-pull"  # the sync_runs entry holding each pull's high-water mark
CLOCK_MARGIN = timedelta(minutes=10)  # our clock and Mailchimp's may differ: pull a little overlap


# read -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Known:
    """A contact as we last saw it in the audience (`audience_members`)."""

    member_id: str | None
    synced_hash: str
    tags: tuple[str, ...]
    status: str
    pushes: int


@dataclass
class AudienceRead:
    list_id: str
    contacts: list[Contact]  # from this pull
    full: bool  # the whole audience (first sync of this list) or changes since the last pull
    started: datetime
    known: dict[str, Known]  # email -> what we know
    suppressed: dict[str, str]  # email -> reason, from earlier Mailchimp pulls
    calls: int = 0
    topics_off: dict[str, tuple[str, ...]] = field(default_factory=dict)  # member id -> topics they turned off


def read_audience(audience: Audience, db: StateDB, list_id: str) -> AudienceRead:
    started = utcnow()
    since = last_pull(db, list_id)
    before = sum(audience.calls.values())
    if since is None:
        contacts = audience.contacts()
    else:
        contacts = [c for status in LEFT for c in audience.contacts(status=status, since=since)]
    calls = sum(audience.calls.values()) - before
    known = load_known(db, list_id)
    return AudienceRead(list_id, contacts, since is None, started, known, mailchimp_suppressions(db), calls,
                        topics_off(db))  # fmt: skip


def last_pull(db: StateDB, list_id: str) -> datetime | None:
    run = db.last_sync_run(PULL_FLOW)
    summary = (run or {}).get("summary") or {}
    if summary.get("list_id") != list_id or not summary.get("watermark"):
        return None
    return datetime.fromisoformat(summary["watermark"])


def load_known(db: StateDB, list_id: str) -> dict[str, Known]:
    rows = audience_contacts(db, list_id)
    return {r["email"]: Known(r["member_id"], r["synced_hash"], tuple(r["tags"] or ()), r["status"], r["pushes"])
            for r in rows}  # fmt: skip


def mailchimp_suppressions(db: StateDB) -> dict[str, str]:
    return suppressions_from(db, "mailchimp")


# plan -----------------------------------------------------------------------------------------------------
@dataclass
class AudiencePlan:
    read: AudienceRead
    left: dict[str, str]  # email -> unsubscribed | cleaned (every address Mailchimp reports gone)
    consent_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, member id) given a consent no
    consent_unmapped: bool = False  # the members tab maps no consent column: the sheet cannot be told
    actions: list[Action] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # why members were not pushed: counts

    @property
    def new_suppressions(self) -> dict[str, str]:
        return {c.email: c.status for c in self.read.contacts if c.status in LEFT}


def plan_audience_sync(sync: SyncPlan, grid: Grid, config: WeaverConfig, read: AudienceRead) -> AudiencePlan:
    """The whole audience plan, pure; it also adds consent cells and values to member-sync's plan."""
    assert config.mailchimp is not None
    left = dict(read.suppressed)
    left.update({c.email: c.status for c in read.contacts if c.status in LEFT})
    left.update({email: k.status for email, k in read.known.items() if k.status in LEFT})
    plan = AudiencePlan(read, left)
    if "consent" in config.members.columns:
        plan.consent_rows = mark_consent(sync, grid, config, left)
    else:
        plan.consent_unmapped = True
    plan.actions, plan.skipped = plan_pushes(sync.deduped.members, read, left, config.mailchimp)
    return plan


def mark_consent(sync: SyncPlan, grid: Grid, config: WeaverConfig, left: Mapping[str, str]) -> list[tuple[int, str]]:
    """Write "unsubscribed"/"cleaned" into the consent cells of members who left the audience.

    Mutates `sync`: the cells join its write batch, the members' consent and hash change, and a member
    whose only change this is moves from unchanged to changed (so the state database records the no).
    """
    cfg = config.members
    layout = locate_columns(grid[cfg.header_row - 1], cfg, cfg.tab, "members tab")
    col = layout.field_cols["consent"]
    marked: list[tuple[int, str]] = []
    moved: set[str] = set()
    for member in sync.deduped.members:
        reason = left.get(member.email)
        if reason is None or parse_consent(member.fields.get("consent", "")) is False:
            continue  # still in the audience, or the sheet already says no
        for row in member.rows:
            cells = grid[row - 1]
            if parse_consent(cells[col] if col < len(cells) else "") is not False:
                sync.cells.append(Cell(row, col + 1, reason))
        member.fields["consent"] = reason
        member.fields_hash = fields_hash(member.fields)
        moved.add(member.member_id)
        marked.append((member.row, member.member_id))
    if moved:
        diff = sync.diff
        diff.changed += [m for m in diff.unchanged if m.member_id in moved]
        diff.unchanged = [m for m in diff.unchanged if m.member_id not in moved]
    return marked


def link_unsubscribes(db: StateDB) -> dict[str, str]:
    """email -> "unsubscribed" for members who left by the unsubscribe link of one of our emails (read)."""
    return suppressions_from(db, "link")


def plan_link_unsubscribes(sync: SyncPlan, grid: Grid, config: WeaverConfig, left: Mapping[str, str]) -> int:
    """Carry unsubscribes made on our preference page to the sheet's consent column, in member-sync's one write
    batch (pure, like `mark_consent`, which it uses); with [mailchimp] the audience sync then unsubscribes them
    there too, as for any member whose consent turned to no. Returns how many members were marked."""
    if not left or "consent" not in config.members.columns:
        return 0
    return len(mark_consent(sync, grid, config, left))


def contact_for(member: Member, status: str, cfg: MailchimpConfig, off: Sequence[str] = ()) -> ContactUpsert:
    """`off`: the topics the member turned off on their preference page, pushed as tags "topic-off:<topic>"
    (a Mailchimp segment excludes them; a topic ticked again loses its tag like any stale tag)."""
    merge = {tag: member.fields.get(name, "")[:255] for tag, name in cfg.merge_fields.items()}
    tags = tuple(sorted({*member_tags(member, cfg.tags_from), *(topic_off_tag(topic) for topic in off)}))
    return ContactUpsert(member.email, status, merge, member.language, tags)


def member_tags(member: Member, tags_from: Sequence[str]) -> tuple[str, ...]:
    """Interests as they are; any other field as "field:value" (a tag name has at most 100 characters)."""
    tags: list[str] = []
    for name in tags_from:
        value = member.fields.get(name, "")
        if name == "interests":
            tags += split_list(value)
        elif value:
            tags.append(f"{name}:{value}")
    return tuple(sorted({tag[:100] for tag in tags}))


def synced_hash(contact: ContactUpsert) -> str:
    parts = [contact.email, contact.status, contact.language, *sorted(contact.merge_fields.items()), *contact.tags]
    return hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=16).hexdigest()


def plan_pushes(
    members: Sequence[Member], read: AudienceRead, left: Mapping[str, str], cfg: MailchimpConfig
) -> tuple[list[Action], dict[str, int]]:
    """One idempotent action per member whose synced fields changed since we last pushed them."""
    actions: list[Action] = []
    skipped: dict[str, int] = {}
    in_audience = {c.email: c.status for c in read.contacts}
    for member in members:
        known = read.known.get(member.email)
        current = in_audience.get(member.email) or (known.status if known else None)
        status, why = wanted_status(member, current, left)
        if status is None:
            skipped[why] = skipped.get(why, 0) + 1
            continue
        contact = contact_for(member, status, cfg, read.topics_off.get(member.member_id, ()))
        digest = synced_hash(contact)
        if known is not None and known.synced_hash == digest:
            skipped["unchanged"] = skipped.get("unchanged", 0) + 1
            continue
        actions.append(push_action(read.list_id, member, contact, digest, known, current))
    return actions, skipped


def wanted_status(member: Member, current: str | None, left: Mapping[str, str]) -> tuple[str | None, str]:
    """The status to push, or None and why not. Only an explicit yes adds anyone to the audience."""
    if member.email in left or current in LEFT:
        return None, "left the audience"
    consent = parse_consent(member.fields.get("consent", ""))
    if consent is True:
        return "subscribed", ""
    if consent is False and current in ("subscribed", "pending"):
        return "unsubscribed", ""  # the coordinator recorded a no: leaving is always allowed
    return None, "no consent"


def push_action(
    list_id: str, member: Member, contact: ContactUpsert, digest: str, known: Known | None, current: str | None
) -> Action:
    number = (known.pushes if known else 0) + 1
    contact_id = subscriber_hash(member.email)
    remove = tuple(sorted(set(known.tags) - set(contact.tags))) if known else ()
    payload = {
        "email": contact.email,
        "member_id": member.member_id,
        "status": contact.status,
        "merge_fields": dict(contact.merge_fields),
        "language": contact.language,
        "tags": list(contact.tags),
        "remove_tags": list(remove),
        "mode": "put" if current in KEEP_STATUS else "batch",
        "current": current,
        "hash": digest,
        "pushes": number,
    }
    summary = f"audience {contact.status} {member.member_id}"
    return Action(
        f"audience-upsert:{list_id}:{contact_id}:{number}:{digest}",
        "audience-upsert",
        summary,
        payload,
        idempotent=True,
    )


# apply ----------------------------------------------------------------------------------------------------
@dataclass
class AudienceResult:
    plan: AudiencePlan
    ledger: ApplyResult
    calls: dict[str, int]

    def summary(self) -> dict[str, int]:
        counts = self.ledger.counts()
        return {
            "pulled": len(self.plan.read.contacts),
            "left_audience": len(self.plan.new_suppressions),
            "consent_marked": len(self.plan.consent_rows),
            "to_push": counts["planned"],
            "pushed": counts["done"],
            "failed": counts["failed"],
            "would_push": counts["skipped"] if self.ledger.dry_run else 0,
            "calls": sum(self.calls.values()),
        }


def apply_audience_sync(plan: AudiencePlan, audience: Audience, db: StateDB, dry_run: bool) -> AudienceResult:
    ledger = Ledger(db, "member-sync")
    before = dict(audience.calls)
    if dry_run:
        result = ledger.apply(plan.actions, _never, dry_run=True)
    else:
        record_pull(db, plan.read)
        statuses: dict[str, str] = {}  # ledger key -> the contact's status in Mailchimp's answer

        def perform(batch: Sequence[Action]) -> list[Outcome]:
            outcomes = push(audience, batch)
            statuses.update({a.key: o.detail for a, o in zip(batch, outcomes, strict=True) if o.ok})
            return outcomes

        result = ledger.apply(plan.actions, perform, batch_size=BATCH_LIMIT)
        remember_pushes(db, plan.read.list_id, result, statuses)
        watermark = (plan.read.started - CLOCK_MARGIN).isoformat()
        db.record_sync_run(PULL_FLOW, plan.read.started, {"list_id": plan.read.list_id, "watermark": watermark})
    calls = {k: v - before.get(k, 0) for k, v in audience.calls.items() if v - before.get(k, 0)}
    calls["read"] = calls.get("read", 0) + plan.read.calls
    return AudienceResult(plan, result, {k: v for k, v in calls.items() if v})


def _never(batch: Sequence[Action]) -> list[Outcome]:
    raise AssertionError("a dry run performs nothing")


def push(audience: Audience, batch: Sequence[Action]) -> list[Outcome]:
    """One batch call for up to 500 contacts, one PUT for each contact whose status is not ours to set."""
    by_key: dict[str, ContactResult] = {}
    for mode, call in (("batch", audience.upsert_batch), ("put", audience.upsert_contacts)):
        chosen = [a for a in batch if a.payload["mode"] == mode]
        if chosen:
            results = call([_upsert_of(a.payload) for a in chosen])
            by_key.update({a.key: r for a, r in zip(chosen, results, strict=True)})
    return [_outcome(by_key[a.key]) for a in batch]


def _upsert_of(p: Mapping[str, Any]) -> ContactUpsert:
    return ContactUpsert(
        p["email"], p["status"], p["merge_fields"], p["language"], tuple(p["tags"]), tuple(p["remove_tags"])
    )


def _outcome(result: ContactResult) -> Outcome:
    if result.ok:
        return Outcome.success(result.status)
    return Outcome.failure(result.problem, retry=result.retry)


def record_pull(db: StateDB, read: AudienceRead) -> None:
    """Contacts seen in the pull: their status, and a suppression for each address that left."""
    now = utcnow()
    rows = [
        {
            "list_id": read.list_id,
            "email": c.email,
            "member_id": None,
            "synced_hash": "",
            "tags": [],
            "status": c.status,
            "pushes": 0,
            "updated_at": now,
        }
        for c in read.contacts
    ]
    left = [
        {"email": c.email, "reason": c.status, "source": "mailchimp", "created_at": now}
        for c in read.contacts
        if c.status in LEFT
    ]
    save_audience_pull(db, rows, left)


def remember_pushes(db: StateDB, list_id: str, result: ApplyResult, statuses: Mapping[str, str]) -> None:
    """What Mailchimp now holds for each pushed contact; also for pushes done by a run that died before this."""
    now = utcnow()
    rows = []
    for action in [*result.done, *result.already_done]:
        p = action.payload
        guess = p["status"] if p["mode"] == "batch" else (p["current"] or p["status"])  # a PUT kept the status
        rows.append(
            {
                "list_id": list_id,
                "email": p["email"],
                "member_id": p["member_id"],
                "synced_hash": p["hash"],
                "tags": p["tags"],
                "status": statuses.get(action.key) or guess,
                "pushes": p["pushes"],
                "updated_at": now,
            }
        )
    if rows:
        save_audience_pushes(db, rows)


# report ---------------------------------------------------------------------------------------------------
def add_audience_report(report: Report, result: AudienceResult, lang: str) -> None:
    """The audience part of the member-sync report: counts, calls, and each failure by member id."""
    s = result.summary()
    labels = ("pulled", "left_audience", "consent_marked", "to_push", "pushed", "failed", "calls")
    report.summary += [(t(f"audience.{k}", lang), str(s[k])) for k in labels]
    if result.ledger.dry_run:
        report.summary.append((t("audience.would_push", lang), str(s["would_push"])))
    if result.plan.consent_unmapped and result.plan.left:
        report.notes.append(t("audience.consent_unmapped", lang))
    rows = [[str(row), member_id] for row, member_id in result.plan.consent_rows]
    headers = [t("col.row", lang), t("audience.member", lang)]
    report.tables.append(Table(t("audience.consent_table", lang), headers, rows))
    failed = [[a.payload["member_id"], reason] for a, reason in result.ledger.failed]
    headers = [t("audience.member", lang), t("col.reason", lang)]
    report.tables.append(Table(t("audience.failed_table", lang), headers, failed))


# Thin Prefect wrappers: one task per phase, over the whole audience (never one task per member).
read_audience_task = task(name="read-audience", cache_policy=NO_CACHE)(read_audience)
plan_audience_sync_task = task(name="plan-audience-sync", cache_policy=NO_CACHE)(plan_audience_sync)
apply_audience_sync_task = task(name="apply-audience-sync", cache_policy=NO_CACHE)(apply_audience_sync)
