"""member-intake, double opt-in (pure, no I/O): which joins are confirmed, which are asked, which expired.

Rules a coordinator can rely on (`[members] confirm_joins`, on by default):

* A join from the public form is never written to the members tab until the person confirms it by the
  link emailed to the address they gave: nobody else can sign an address up. Until then they are in no
  table a flow reads (members tab, member state), so nothing welcomes them, pairs them with a buddy or shows
  them to anyone (digests, directories, matching).
* The confirm email is sent once per submission (ledger key `join-confirm:<entry>`), in the language they
  chose (else the network's). Its link is a personal signed link (`weaver.links`, purpose `confirm-join`,
  subject = the submission's inbox id) that expires with the request.
* A join not confirmed within `[members] confirm_within_days` (default 7) expires: the run reports it by
  name, and its answers are erased from the inbox; the link then confirms nothing.
* A submission without an email or with an invalid one is not mailed: it goes on to the intake's own
  checks, which reject it with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.common.text import LANGUAGES, is_valid_email, normalise_email
from tasks.intake.intake import Joiner
from tasks.intake.read import JoinQueue
from weaver.config import WeaverConfig
from weaver.links import LinkSigner, link_secret, link_url
from weaver.state import StateDB
from weaver.state.optin import LINK_PURPOSE

TEMPLATE = "join_confirm"


def confirm_key(entry_id: str) -> str:
    return f"join-confirm:{entry_id}"


@dataclass
class OptInPlan:
    confirmed: list[Joiner] = field(default_factory=list)  # go on to the members tab
    asked: list[Joiner] = field(default_factory=list)  # get their confirm email now
    waiting: list[Joiner] = field(default_factory=list)  # asked before, still in time
    expired: list[Joiner] = field(default_factory=list)  # asked, never confirmed, too late now
    messages: list[Message] = field(default_factory=list)
    markers: list[str] = field(default_factory=list)  # "confirmed:<entry>" inbox entries this run settles
    days: int = 7
    expires_at: datetime | None = None  # of the requests asked now


def _mailable(joiner: Joiner, required: Sequence[str]) -> bool:
    fields = {k: str(v).strip() for k, v in joiner.fields.items()}
    return all(fields.get(n) for n in ("email", *required)) and is_valid_email(normalise_email(fields["email"]))


def plan_optin(queue: JoinQueue, config: WeaverConfig, now: datetime, signer: LinkSigner) -> OptInPlan:
    """Sort the waiting joins by their confirmation; the confirm emails of those not asked yet."""
    members = config.members
    plan = OptInPlan(markers=list(queue.markers), days=members.confirm_within_days)
    plan.expires_at = now + timedelta(days=members.confirm_within_days)
    for joiner in queue.joiners:
        if not members.confirm_joins or joiner.confirmed or not _mailable(joiner, members.required):
            plan.confirmed.append(joiner)
        elif joiner.asked_at is None:
            plan.asked.append(joiner)
            plan.messages.append(_confirm_message(joiner, config, signer, plan.expires_at))
        elif joiner.expires_at is not None and joiner.expires_at <= now:
            plan.expired.append(joiner)
        else:
            plan.waiting.append(joiner)
    return plan


def _confirm_message(joiner: Joiner, config: WeaverConfig, signer: LinkSigner, expires: datetime) -> Message:
    email, name = normalise_email(str(joiner.fields["email"])), str(joiner.fields.get("name") or "").strip()
    token = signer.token(LINK_PURPOSE, joiner.entry_id, expires=expires)
    context = {"name": name, "network_name": config.network.name, "days": config.members.confirm_within_days,
               "confirm_url": link_url(config, LINK_PURPOSE, token)}  # fmt: skip
    language = LANGUAGES.get(str(joiner.fields.get("language") or "").strip().lower(), "")
    out = render(TEMPLATE, language, context, config.network.default_language)
    return Message(confirm_key(joiner.entry_id), email, name, out.subject, out.text, out.html, out.language,
                   None, TEMPLATE)  # fmt: skip


plan_optin_task = task(name="plan-join-confirmations", cache_policy=NO_CACHE)(plan_optin)


def confirm_signer(db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> LinkSigner:
    """The workspace's link signer (a dry run on a workspace without a key yet previews with a throwaway)."""
    secret, _ = link_secret(db, config, dry_run, where)
    return LinkSigner(secret)
