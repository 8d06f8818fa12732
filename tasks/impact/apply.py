"""impact-report, apply: each language's pages, map and PDFs written once, through the action ledger.

Files go to `reports/impact/<quarter>/` under stable names (a later run of the same quarter with changed
figures replaces them; with the same figures it writes nothing). A PDF that cannot be printed leaves the HTML
written and the action failed for a retry on the next run, with the reason in the report.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.pdf import ChromiumPrinter
from tasks.common.prefect_task import task
from tasks.impact.plan import FOLDER, ImpactPlan
from weaver.errors import WeaverError
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB


def folder(reports: Path, plan: ImpactPlan) -> Path:
    return reports / FOLDER / plan.quarter


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def write_impact(plan: ImpactPlan, db: StateDB, reports: Path, printer: ChromiumPrinter | None,
                 dry_run: bool) -> ApplyResult:  # fmt: skip
    target = folder(reports, plan)

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for action in batch:
            pages = plan.pages[action.payload["lang"]]
            target.mkdir(parents=True, exist_ok=True)
            written = pages.files(plan.quarter)
            for name, text in written.items():
                _write(target / name, text)
            try:
                pdfs = [printer.print_pdf(target / n, target / n.replace(".html", ".pdf"))
                        for n in written if n.endswith(".html")] if printer else []  # fmt: skip
            except WeaverError as error:
                outcomes.append(Outcome.failure(str(error), retry=True))
                continue
            outcomes.append(Outcome.success(f"{len(written) + len(pdfs)} files"))
        return outcomes

    return Ledger(db, "impact-report").apply(plan.actions, perform, dry_run=dry_run)


write_impact_task = task(name="write-impact-report", cache_policy=NO_CACHE)(write_impact)
