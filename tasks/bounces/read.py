"""bounces, read: the new notifications in the bounce mailbox (above the stored cursor) and what they can name.

The mailbox is only read (EXAMINE): nothing there is flagged, moved or deleted. What a token can name is the
ledger's emails of the last `match_days`, with their token under the workspace's link key; what was already
recorded (by notification id) and each address's earlier soft bounces come from the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.imap import BounceMailbox, Fetched
from tasks.bounces.dsn import Bounce, parse_bounce
from tasks.common.prefect_task import task
from tasks.common.return_path import return_path_token
from weaver.config import BouncesConfig, WeaverConfig
from weaver.links import link_secret
from weaver.state import StateDB, read_cursor, utcnow
from weaver.state.bounces import recent_emails, recorded_dsn_ids, soft_messages
from weaver.state.delivery import suppression_reasons


@dataclass
class Read:
    """The run's notifications (each parsed into its bounces) and what the state knows about them."""

    notifications: list[list[Bounce]] = field(default_factory=list)
    cursor: str = ""
    more: bool = False
    by_token: dict[str, dict[str, Any]] = field(default_factory=dict)  # our recent emails by VERP token
    recorded: set[str] = field(default_factory=set)  # notification ids recorded by earlier runs
    soft_before: dict[str, set[str]] = field(default_factory=dict)  # email -> keys of earlier soft bounces
    suppressed: set[str] = field(default_factory=set)  # addresses already on the suppression list


def cursor_key(cfg: BouncesConfig) -> str:
    return f"bounces:imap:{cfg.user}@{cfg.host}:{cfg.imap_port}/{cfg.folder}"


def read_bounces(mailbox: BounceMailbox, db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> Read:
    """The new notifications, parsed, with our emails of the last `match_days` by token and the history.

    The window is counted back from the real time (the ledger records real times), not from `as_of`."""
    cfg = config.mail.bounces
    assert cfg is not None, "[mail.bounces] is configured"
    fetched: Fetched = mailbox.fetch_new(read_cursor(db, cursor_key(cfg)))
    notifications = [parse_bounce(raw, cfg.return_path) for _uid, raw in fetched.messages]
    if not any(notifications):  # nothing new (the hourly run's usual case): no ledger scan
        return Read(notifications, fetched.cursor, fetched.more)
    secret, _ = link_secret(db, config, dry_run, where)
    since = utcnow() - timedelta(days=cfg.match_days)
    by_token = {return_path_token(secret, row["key"]): row for row in recent_emails(db, since)}
    found = [b for bounces in notifications for b in bounces]
    emails = {str(by_token[b.token]["to_email"] or "").lower() for b in found if b.token in by_token}
    return Read(
        notifications, fetched.cursor, fetched.more, by_token,
        recorded_dsn_ids(db, [b.dsn_id for b in found]), soft_messages(db, emails - {""}),
        set(suppression_reasons(db, emails - {""})),
    )  # fmt: skip


read_bounces_task = task(name="read-bounces", cache_policy=NO_CACHE)(read_bounces)
