"""engagement-review, apply: the engagement columns and co-attendance ties through the ledger, the ties of
introductions that went out, and the tie graph for Kumu. The emails themselves go through `op.send`."""

from __future__ import annotations

from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.delivery import Delivery
from tasks.common.prefect_task import task
from tasks.common.ties import Tie, kumu_csv, kumu_elements_csv, save_ties, write_cells_and_ties
from tasks.engagement.plan import ReviewPlan, introduced
from weaver.ledger import ApplyResult
from weaver.state import StateDB


def apply_review(plan: ReviewPlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """The owned columns in one write and the co-attendance ties, each once, through the ledger."""

    return write_cells_and_ties(plan.actions, "engagement-review", tables, plan.tab, plan.cells, db, plan.event_ties,
                                dry_run=dry_run)  # fmt: skip


def record_introductions(plan: ReviewPlan, delivery: Delivery, db: StateDB, dry_run: bool) -> list[Tie]:
    """Introductions whose email went out become ties (which also fixes their follow-up date).

    Called after the send: a send the approval gate held back delivered nothing, so nothing is recorded
    and the next review introduces the same people again.
    """
    if dry_run:
        return []
    delivered = {a.key for a in (*delivery.result.done, *delivery.result.already_done)}
    made = introduced(plan, delivered)
    save_ties(db, made)
    return made


def export_tie_graph(ties: list[Tie], plan: ReviewPlan, reports: Path, dry_run: bool) -> Path | None:
    """Kumu's two sheets as CSV: connections (From, To by member id) and elements (ID, the member's name,
    non-identifying traits). Kumu needs the stable id to join the two; people read the name. None on a dry run."""
    if dry_run:
        return None
    reports.mkdir(parents=True, exist_ok=True)
    edges = reports / "ties-kumu.csv"
    edges.write_text(kumu_csv(ties), encoding="utf-8")
    people = {m: plan.traits.get(m, {}) for t_ in ties for m in (t_.a, t_.b)}
    elements = kumu_elements_csv(people, {m: plan.names.get(m, m) for m in people})
    (reports / "ties-kumu-elements.csv").write_text(elements, encoding="utf-8")
    return edges


apply_review_task = task(name="apply-engagement-review", cache_policy=NO_CACHE)(apply_review)
record_introductions_task = task(name="record-introductions", cache_policy=NO_CACHE)(record_introductions)
export_tie_graph_task = task(name="export-tie-graph", cache_policy=NO_CACHE)(export_tie_graph)
