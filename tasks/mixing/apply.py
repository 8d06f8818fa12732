"""group-mixer, apply: the Groups tab in one write and the event's group ties, through the ledger; the cards.

Participant emails are not here: they go through the Operation's send (consent, the approval gate, the ledger).
"""

from __future__ import annotations

from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.common.ties import write_cells_and_ties
from tasks.mixing.plan import GroupPlan
from weaver.ledger import ApplyResult
from weaver.state import StateDB


def apply_group_mix(plan: GroupPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """The Groups tab in one write and the event's group ties (replacing an earlier mix), each once."""

    return write_cells_and_ties(plan.actions, "group-mixer", tables, plan.tab, plan.cells, db, plan.ties,
                                replace=("group", plan.event.event_id + "/"), dry_run=dry_run)  # fmt: skip


def write_cards(plan: GroupPlan, folder: Path) -> Path:
    """The printable table cards, group-cards-<event>.html (in the previews folder on a dry run)."""
    folder.mkdir(parents=True, exist_ok=True)
    cards = folder / f"group-cards-{plan.event.event_id}.html"
    cards.write_text(plan.cards_html, encoding="utf-8")
    return cards


apply_group_mix_task = task(name="apply-group-mix", cache_policy=NO_CACHE)(apply_group_mix)
write_cards_task = task(name="write-table-cards", cache_policy=NO_CACHE)(write_cards)
