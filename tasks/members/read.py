"""member-sync, read: the members tab in one read call (the Mailchimp audience's read is in audience.py)."""

from __future__ import annotations

import inspect

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.members.self_service import MemberEdits
from weaver.config import WeaverConfig
from weaver.ledger import ProgressFn
from weaver.progress import StepProgress
from weaver.state import StateDB
from weaver.state.self_service import edit_rows


def read_members(tables: TableBackend, config: WeaverConfig, progress: ProgressFn | None = None) -> Grid:
    """The whole members tab, as text, in one call: the plan types and checks every cell itself.

    A backend that can say how far it got (the workbook: rows converted) reports to `progress`; by default,
    a log line every 2 s and a progress bar in the run (weaver/progress.py).
    """
    tab = config.members.tab
    if "progress" not in inspect.signature(tables.read_tab).parameters:
        return tables.read_tab(tab)
    return tables.read_tab(tab, progress=progress or StepProgress(f"member-sync: reading {tab}"))


read_members_task = task(name="read-members", cache_policy=NO_CACHE)(read_members)


def read_member_edits(db: StateDB) -> MemberEdits:
    """Members' own changes waiting to be written, the ones written earlier, and how the last sync saw each
    concerned member (two small queries; none reads the whole members table unless someone changed something)."""
    pending = edit_rows(db, ("pending",))
    applied = edit_rows(db, ("applied",))
    concerned = {e["member_id"] for e in (*pending, *applied)}
    synced = (
        {r["member_id"]: dict(r["fields"]) for r in db.member_rows(as_synced=True) if r["member_id"] in concerned}
        if concerned
        else {}
    )
    return MemberEdits(pending, applied, synced)


read_member_edits_task = task(name="read-member-edits", cache_policy=NO_CACHE)(read_member_edits)
