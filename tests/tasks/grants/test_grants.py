"""Grant pipeline planning, pure: dedupe, merge that keeps coordinators' edits, computed columns, money."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connectors.tables import Cell, as_text
from tasks.grants.pipeline import Candidate, GrantPlan, problem_rows
from tasks.grants.plan import plan_grant_pipeline
from weaver.config import WeaverConfig, parse_config
from weaver.errors import SourceError

TODAY = date(2026, 11, 24)
HEAD = ["Funder", "Title", "Amount", "Currency", "Stage", "Probability", "Deadline", "Owner", "Next action",
        "Next action date", "Link", "Source", "Source ID", "Notes"]  # fmt: skip
OWNED = ["Days to deadline", "Stage since", "Stale", "Overdue", "Weighted value"]


def config(**grants: Any) -> WeaverConfig:
    base = {"base_currency": "CNY", "rates": {"USD": 7.1, "EUR": 7.7}, "default_owner": "weaver@weaving.example.org"}
    return parse_config({"network": {"default_language": "en"}, "tables": {"backend": "workbook", "path": "x.xlsx"},
                         "grants": base | grants})  # fmt: skip


def row(funder: str, title: str, **kw: str) -> list[str]:
    fields = ["amount", "currency", "stage", "probability", "deadline", "owner", "next_action", "next_action_date",
              "link", "source", "source_id", "notes"]  # fmt: skip
    return [funder, title, *[kw.get(f, "") for f in fields]]


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def plan(grid: list[list[str]], candidates: Sequence[Candidate] = (), written: dict[str, dict[str, str]] | None = None,
         history: dict[str, tuple[str, date]] | None = None, cfg: WeaverConfig | None = None,
         today: date = TODAY) -> GrantPlan:  # fmt: skip
    return plan_grant_pipeline(grid, cfg or config(), candidates, written or {}, history or {}, [], today, "x.xlsx")


def applied(grid: list[list[str]], cells: Sequence[Cell]) -> list[list[str]]:
    """The grid as the sheet holds it after a batch write."""
    out = [list(r) for r in grid]
    for c in cells:
        while len(out) < c.row:
            out.append([])
        out[c.row - 1] += [""] * (c.col - len(out[c.row - 1]))
        out[c.row - 1][c.col - 1] = as_text(c.value)  # a number cell reads back as its plain text
    return out


def cells_of(p: GrantPlan, row: int) -> dict[str, str]:
    return next(o.cells for o in p.opportunities if o.row == row)


def remembered(p: GrantPlan) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, name, value in p.writes.remembered:
        out.setdefault(key, {})[name] = value
    return out


GG = Candidate("grants.gov", "356001", "Environmental Protection Agency", "Climate Resilience Grants",
               deadline="2027-01-15", amount="500000", currency="USD",
               link="https://www.grants.gov/x/356001")  # fmt: skip


def test_new_opportunities_are_appended_below_the_last_row() -> None:
    grid = [HEAD, row("Ford Foundation", "Narratives", stage="writing"), [], row("壹基金", "社区韧性项目")]
    p = plan(grid, [GG])
    [new] = p.added
    assert new.row == 5  # below the last used row, never into the blank row 3
    assert {c.value for c in p.writes.cells if c.row == 5} >= {
        "Environmental Protection Agency",
        "500000",
        "USD",
        "grants.gov",
        "356001",
        "research",
        "2027-01-15",
    }
    assert ("grants.gov:356001", "title", "Climate Resilience Grants") in p.writes.remembered
    assert len(p.writeback) == 1  # the whole write is one ledger action, one batch


def test_dedupe_on_source_id_and_on_normalised_funder_and_title() -> None:
    grid = [HEAD, row("Ford Foundation", "Climate Justice Narratives"),
            row("EPA", "other title", source="grants.gov", source_id="356001")]  # fmt: skip
    same_title = Candidate("rss:ford", "item-9", "FORD  foundation", "Climate justice narratives!")
    twice = Candidate("rss:epa", "x", "Environmental Protection Agency", "Climate Resilience Grants")
    p = plan(grid, [GG, same_title, twice])
    assert p.added == []
    assert p.imports.skipped == {"known": 2, "duplicate": 1}


def test_duplicates_within_one_import_are_imported_once() -> None:
    again = Candidate("grants.gov", "356001", "EPA", "Renamed")
    p = plan([HEAD], [GG, again, GG])
    assert len(p.added) == 1 and p.imports.skipped == {"duplicate": 2}


def test_coordinator_edits_survive_a_refresh() -> None:
    first = plan([HEAD], [GG])
    grid = applied([HEAD], first.writes.cells)
    ours = remembered(first)
    grid[1][HEAD.index("Deadline")] = "2027-01-20"  # a coordinator moves the internal deadline
    grid[1][HEAD.index("Stage")] = "writing"
    changed = Candidate(GG.source, GG.source_id, GG.funder, GG.title, deadline="2027-02-01",
                        link="https://www.grants.gov/new/356001")  # fmt: skip
    second = plan(grid, [changed], ours)
    written = {(c.row, c.col): c.value for c in second.writes.cells}
    assert (2, HEAD.index("Deadline") + 1) not in written  # the coordinator's date stays
    assert written[(2, HEAD.index("Link") + 1)] == "https://www.grants.gov/new/356001"  # nobody edited the link
    assert second.writes.kept_edits == [(2, "deadline")]
    assert cells_of(second, 2)["stage"] == "writing"


def test_cells_we_never_wrote_are_never_refreshed() -> None:
    grid = [HEAD, row("EPA", "My own notes on it", deadline="2027-03-01", source="grants.gov", source_id="356001")]
    p = plan(grid, [GG], written={"grants.gov:356001": {"link": "https://old"}})
    assert not [c for c in p.writes.cells if c.col <= len(HEAD)]


def test_a_row_a_coordinator_deleted_is_not_imported_again() -> None:
    first = plan([HEAD], [GG])
    p = plan([HEAD], [GG], remembered(first))  # the imported row was deleted from the sheet
    assert p.added == [] and p.imports.skipped == {"removed": 1}


def test_the_import_limit_leaves_the_rest_for_the_next_run() -> None:
    many = [Candidate("grants.gov", str(i), "EPA", f"Grant {i}") for i in range(5)]
    p = plan([HEAD], many, cfg=config(max_new_per_run=3))
    assert [o.cells["source_id"] for o in p.added] == ["0", "1", "2"]
    assert p.imports.skipped == {"waiting": 2}


def test_computed_columns() -> None:
    grid = [HEAD,
            row("A", "Writing soon", amount="100,000", currency="CNY", stage="writing", probability="60%",
                deadline=days(6), next_action_date=days(-3)),
            row("B", "Old research", amount="$75k", stage="调研", next_action_date=days(2)),
            row("C", "Submitted", amount="10000", currency="EUR", stage="submitted", deadline=days(-5)),
            row("D", "Won", amount="200000", currency="人民币", stage="已获批", probability="10%")]  # fmt: skip
    history = {plan(grid).opportunities[1].opp_id: ("research", TODAY - timedelta(days=45))}
    p = plan(grid, history=history)
    a, b, c, d = (cells_of(p, r) for r in (2, 3, 4, 5))
    assert (a["days_to_deadline"], a["overdue"], a["weighted_value"]) == ("6", "3 days overdue", "60000")
    assert (b["stale"], b["stage_since"], b["weighted_value"]) == ("45 days in this stage", days(-45), "3750")
    assert c["days_to_deadline"] == "" and c["weighted_value"] == "5000"  # submitted: no countdown
    assert d["weighted_value"] == "200000"  # awarded counts in full, whatever the probability cell says
    assert a["stage_since"] == TODAY.isoformat()  # first sight


def test_a_stage_since_date_in_the_sheet_is_adopted_on_first_sight() -> None:
    grid = [HEAD + OWNED, row("A", "T", stage="writing") + ["", days(-40), "", "", ""]]
    assert cells_of(plan(grid), 2)["stale"] == "40 days in this stage"


def test_a_stage_change_restarts_the_clock() -> None:
    grid = [HEAD, row("A", "T", stage="writing")]
    opp_id = plan(grid).opportunities[0].opp_id
    p = plan(grid, history={opp_id: ("research", TODAY - timedelta(days=90))})
    assert cells_of(p, 2)["stale"] == "" and p.stages == [(opp_id, "writing", TODAY)]


def test_rerun_writes_nothing() -> None:
    grid = [HEAD, row("A", "T", amount="1000", currency="USD", stage="writing", deadline=days(30))]
    first = plan(grid, [GG])
    grid = applied(grid, first.writes.cells)
    history = {o: (s, d) for o, s, d in first.stages}
    second = plan(grid, [GG], remembered(first), history)
    assert second.writes.cells == [] and second.added == [] and second.writeback == []


def test_totals_keep_cny_usd_eur_apart_and_convert_at_configured_rates() -> None:
    grid = [HEAD,
            row("A", "cny", amount="100,000", currency="CNY", stage="writing", probability="50%",
                deadline="2026-12-20"),
            row("B", "usd", amount="$10,000", stage="submitted", deadline="2027-02-01"),
            row("C", "eur", amount="€20,000", stage="qualifying", probability="25%", deadline="2027-02-15"),
            row("D", "gbp", amount="5,000", currency="GBP", stage="writing", probability="100%")]  # fmt: skip
    t = plan(grid).totals
    assert t.pipeline == {"CNY": Decimal(50_000), "USD": Decimal(5_000), "EUR": Decimal(5_000), "GBP": Decimal(5_000)}
    assert t.weighted_by_quarter == {
        "2026 Q4": {"CNY": Decimal(50_000)},
        "2027 Q1": {"USD": Decimal(5_000), "EUR": Decimal(5_000)},
        "no deadline": {"GBP": Decimal(5_000)},
    }
    from tasks.common.money import in_units

    cfg = config().grants
    assert in_units(t.pipeline, cfg.rate, "CNY") == {"CNY": Decimal(50_000 + 35_500 + 38_500), "GBP": Decimal(5000)}


def test_problems_name_the_cell_and_the_row_is_not_counted_twice() -> None:
    grid = [HEAD,
            row("A", "T", amount="待定", currency="USD", stage="writing"),
            row("B", "U", amount="100", stage="maybe", owner="not-an-email", deadline="next week"),
            row("a ", "t", stage="writing")]  # fmt: skip
    p = plan(grid)
    found = {(cell, text) for _row, cell, text in problem_rows(p, "en")}
    assert ("Opportunities!C2", "amount is not a number: not counted") in found
    assert ("Opportunities!D3", "amount has no currency: not counted") in found
    assert any(cell == "Opportunities!E3" and "stage not recognised" in text for cell, text in found)
    assert ("Opportunities!H3", "owner is not an email address: no reminder") in found
    assert ("Opportunities!G3", "deadline is not a date") in found
    assert ("Opportunities!B4", "same opportunity as row 2: counted once") in found
    assert p.totals.count_by_stage == {"writing": 1}  # the duplicate and the unrecognised stage are not counted


def test_missing_computed_columns_are_created_at_the_right() -> None:
    p = plan([HEAD, row("A", "T")])
    headers = {c.col: c.value for c in p.writes.cells if c.row == 1}
    assert headers == {len(HEAD) + 1 + i: name for i, name in enumerate(OWNED)}


def test_a_missing_title_column_names_it() -> None:
    with pytest.raises(SourceError, match=r"tab 'Opportunities' has no column 'Title' \(\[grants.columns\] title\)"):
        plan([["Funder", "Amount"], ["A", "1"]])


def test_a_write_the_coordinator_undid_is_written_again(tmp_path: Path) -> None:
    """The write is a diff against the sheet, so an identical later diff must not be skipped as 'done'."""
    from openpyxl import Workbook

    from connectors.workbook import WorkbookTables
    from tasks.grants.apply import apply_grant_pipeline
    from weaver.state import StateDB

    path = tmp_path / "x.xlsx"
    wb = Workbook()
    wb.active.title = "Opportunities"
    wb.active.append(HEAD + OWNED)
    wb.active.append(row("A", "T", amount="1000", currency="CNY", stage="writing", probability="50%"))
    wb.save(path)
    tables, db = WorkbookTables(path), StateDB(f"sqlite:///{tmp_path / 'weaver.db'}")
    first = plan(tables.read_tab("Opportunities"))
    apply_grant_pipeline(first, tables, db, dry_run=False)
    undone = [r[: len(HEAD)] for r in tables.read_tab("Opportunities")]  # the coordinator undoes our write
    wb = Workbook()
    wb.active.title = "Opportunities"
    for r in [HEAD + OWNED, *undone[1:]]:
        wb.active.append(r)
    wb.save(path)
    again = plan(tables.read_tab("Opportunities"))
    assert again.writes.cells == first.writes.cells
    result = apply_grant_pipeline(again, tables, db, dry_run=False)
    assert len(result.done) == 1
    assert tables.read_tab("Opportunities")[1][len(HEAD) + 4] == "500"
