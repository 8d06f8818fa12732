"""group-mixer: split an event's attendees into groups over rounds, so people meet someone new.

read (tasks/mixing/read.py: members from the state database, the attendance, Groups and events tabs) ->
plan (pure: tasks/mixing/plan.py over mix.py and search.py; handouts.py writes the emails and cards) ->
apply (tasks/mixing/apply.py: one batch write of the Groups tab and the event's group ties, through the
ledger; participant emails through the Operation's send and its approval gate; printable table cards
reports/group-cards-<event>.html) -> report (tasks/mixing/report.py; the runner writes the file).
"""

from __future__ import annotations

from datetime import date

from prefect import flow

from flows._run import Operation
from tasks.common.ties import load_ties_task
from tasks.mixing.apply import apply_group_mix_task, write_cards_task
from tasks.mixing.plan import Balance, mix_params, plan_group_mix_task
from tasks.mixing.read import read_members_task, read_mixing_tabs_task
from tasks.mixing.report import MixSummary, build_mix_report, summarise_mix


@flow(name="group-mixer")
def group_mixer(
    workspace: str = ".",
    dry_run: bool = False,
    event_id: str = "",
    group_size: int = 0,
    group_count: int = 0,
    rounds: int = 0,
    seed: int = 0,
    balance: Balance = ("region", "org_type", "language", "newcomer"),
    keep_together: str = "",
    keep_apart: str = "",
    attendees: str = "",
    email_participants: bool | None = None,
    as_of: date | None = None,
    auto_approve: bool = False,
) -> MixSummary:
    """Mix an event's attendees into groups over one or more rounds, so that people meet someone new.

    Args:
        workspace: The network's workspace folder (holding weaver.toml) or the path of its weaver.toml.
        dry_run: Show the groups and change nothing: no write to the Groups tab, no ties, no emails.
        event_id: The event (as in the attendance tab); empty for the next event with registrations.
        group_size: People per group at most (0: [mixing] group_size in weaver.toml).
        group_count: Exactly this many groups instead of a size (0: use the size).
        rounds: How many rounds of groups (0: [mixing] rounds in weaver.toml).
        seed: The same seed gives the same groups; another seed another mix of the same quality.
        balance: Attributes to spread evenly over the groups (region, org_type, language, newcomer,
            organisation, timezone; on the command line comma separated); none for none.
        keep_together: Member ids always in one group: "m-1,m-2; m-3,m-4" (sets split by ';').
        keep_apart: Member ids never in one group, same form.
        attendees: Member ids to mix instead of the attendance tab's registrations, comma separated.
        email_participants: Email each participant their groups (empty: [mixing] email_participants).
        as_of: Treat this date (YYYY-MM-DD) as today, to replay a run; empty for today.
        auto_approve: Email without waiting for a coordinator's approval, even above [mail] approval_threshold.
    """
    with Operation("group-mixer", workspace, dry_run, as_of) as op:
        members = read_members_task(op.db, op.lang)
        params = mix_params(
            op.cfg, op.clock.today, event_id=event_id, group_size=group_size, group_count=group_count, rounds=rounds,
            seed=seed, balance=balance, keep_together=keep_together, keep_apart=keep_apart, attendees=attendees,
            email_participants=email_participants,
        )  # fmt: skip
        for attempt in op.attempts():  # again if the sheet is saved between our read and our write
            with attempt:
                read = read_mixing_tabs_task(op.tables, op.cfg, op.lang)
                ties = load_ties_task(op.db)
                plan = plan_group_mix_task(
                    members, read.attendance, read.groups, ties, op.cfg, params, op.lang, read.titles
                )
                applied = apply_group_mix_task(plan, op.tables, op.db, dry_run)
        delivery = op.send(plan.messages, auto_approve) if plan.messages else None
        cards = write_cards_task(plan, op.rt.previews_dir(op.name) if dry_run else op.rt.ws.reports)
        report = build_mix_report(plan, delivery, cards, op.lang, dry_run)
        deliveries = [delivery] if delivery else []
        return op.finish(report, summarise_mix(plan, applied, delivery, cards), deliveries=deliveries)
