"""group-mixer, apply: the Groups tab in one write and the event's group ties, through the ledger; the cards.

Participant emails are not here: they go through the Operation's send (consent, the approval gate, the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.ties import save_ties
from tasks.mixing.plan import GroupPlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB


def apply_group_mix(plan: GroupPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """The Groups tab in one write and the event's group ties (replacing an earlier mix), each once."""

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for action in batch:
            if action.kind == "sheet-write":
                tables.write_cells(plan.tab, plan.cells)
                outcomes.append(Outcome.success(f"{len(plan.cells)} cells"))
            else:
                save_ties(db, plan.ties, replace=("group", plan.event.event_id + "/"))
                outcomes.append(Outcome.success(f"{len(plan.ties)} ties"))
        return outcomes

    return Ledger(db, "group-mixer").apply(plan.actions, perform, dry_run=dry_run)


def write_cards(plan: GroupPlan, folder: Path) -> Path:
    """The printable table cards, group-cards-<event>.html (in the previews folder on a dry run)."""
    folder.mkdir(parents=True, exist_ok=True)
    cards = folder / f"group-cards-{plan.event.event_id}.html"
    cards.write_text(plan.cards_html, encoding="utf-8")
    return cards


apply_group_mix_task = task(name="apply-group-mix", cache_policy=NO_CACHE)(apply_group_mix)
write_cards_task = task(name="write-table-cards", cache_policy=NO_CACHE)(write_cards)
