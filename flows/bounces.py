"""bounces: delivery-status notifications in the bounce mailbox -> suppressed addresses and counted soft bounces.

read (the new notifications in the `[mail.bounces]` IMAP mailbox, read-only, parsed per RFC 3464; our emails of
the last weeks by their VERP token; what earlier runs recorded) -> plan (pure, tasks/bounces/plan.py: each
bounce to its member and message, hard or soft, who to suppress) -> apply (bounces, suppressions and the
mailbox cursor in one transaction) -> report (names and subjects). Every later send skips a suppressed address
in the central consent check. Without `[mail.bounces]` it reads nothing and says so.

Its own operation rather than a step of member-sync: it talks to another server (IMAP) on its own schedule,
a mailbox that cannot be reached must not stop the sheet sync, and it writes no sheet.
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from flows._runtime import build_bounce_mailbox
from tasks.bounces.apply import apply_bounces_task
from tasks.bounces.plan import plan_bounces_task
from tasks.bounces.read import Read, cursor_key, read_bounces_task
from tasks.bounces.report import BouncesSummary, build_bounces_report, summarise_bounces


@flow(name="bounces")
def bounces(workspace: str = ".", dry_run: bool = False, as_of: date | None = None) -> BouncesSummary:
    """Read new bounces from the bounce mailbox; suppress hard bounces and repeated soft ones.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show what the bounces mean and change nothing (nothing recorded, nobody suppressed).
        as_of: Run as if on this date (YYYY-MM-DD) in the network's time zone; empty for now.
    """
    with Operation("bounces", workspace, dry_run, as_of) as op:
        cfg = op.cfg.mail.bounces
        mailbox = build_bounce_mailbox(op.rt.ws)  # None unless [mail.bounces] is configured
        where = str(op.rt.ws.root / "weaver.toml")
        read = read_bounces_task(mailbox, op.db, op.cfg, dry_run, where) if mailbox else Read()
        plan = plan_bounces_task(read, cfg.soft_limit if cfg else 1)
        if cfg is not None:
            apply_bounces_task(plan, op.db, cursor_key(cfg), dry_run)
        report = build_bounces_report(plan, cfg is not None, op.lang, dry_run, cfg.soft_limit if cfg else 0)
        return op.finish(report, summarise_bounces(plan, cfg is not None))
