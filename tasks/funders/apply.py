"""funder-stewardship, apply: each prep sheet also kept as a page in reports/funders/, written once (ledger)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.funders.funders import FLOW
from tasks.funders.plan import FunderPlan
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB

_UNSAFE = re.compile(r"[^\w.-]+")


def sheet_name(funder: str, day: str) -> str:
    """'prep-Ford_Foundation-2026-11-26.html' (CJK kept: file names are Unicode)."""
    return f"prep-{_UNSAFE.sub('_', funder).strip('_')[:60]}-{day}.html"


def keep_prep_sheets(plan: FunderPlan, reports: Path, db: StateDB, dry_run: bool) -> ApplyResult:
    """The prep sheets (the emails' HTML) as files a coordinator opens before the meeting; a rerun writes none."""
    folder = reports / "funders"
    actions = [
        Action(f"funder-prep-sheet:{m.key.split(':', 1)[1]}", "file", f"prep sheet {n.funder.name} {n.day}",
               {"name": sheet_name(n.funder.name, n.day.isoformat()), "html": m.html}, idempotent=True)
        for n, m in zip(plan.nudges, plan.messages, strict=True)
        if n.kind == "prep"
    ]  # fmt: skip

    def write(batch: Sequence[Action]) -> list[Outcome]:
        folder.mkdir(parents=True, exist_ok=True)
        for action in batch:
            (folder / action.payload["name"]).write_text(action.payload["html"], encoding="utf-8")
        return [Outcome.success("written") for _ in batch]

    return Ledger(db, FLOW).apply(actions, write, dry_run=dry_run)


keep_prep_sheets_task = task(name="keep-prep-sheets", cache_policy=NO_CACHE)(keep_prep_sheets)
