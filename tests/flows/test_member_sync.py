"""member-sync end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.workbook import WorkbookTables
from flows.member_sync import member_sync
from weaver.state import StateDB

pytestmark = pytest.mark.usefixtures("prefect_harness")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_run_syncs_and_second_run_changes_nothing(demo_ws: Path) -> None:
    first = member_sync(workspace=str(demo_ws))
    assert first["rows_read"] == 300
    assert first["added"] == first["valid"] > 250
    assert first["quarantined"] == 3 and first["merged"] == 2 and first["blank"] == 3  # 明年 as a join date: a warning
    assert first["rows_read"] == first["valid"] + first["merged"] + first["quarantined"] + first["blank"]
    assert Path(first["report"]).is_file()

    workbook = demo_ws / "network.xlsx"
    before = digest(workbook)
    second = member_sync(workspace=str(demo_ws))
    assert (second["added"], second["changed"], second["gone"], second["cells"]) == (0, 0, 0, 0)
    assert second["unchanged"] == first["valid"]
    assert digest(workbook) == before  # nothing written on a rerun


def test_write_back_touches_only_owned_columns(demo_ws: Path) -> None:
    workbook = demo_ws / "network.xlsx"
    before = WorkbookTables(workbook).read_tab("Members")
    member_sync(workspace=str(demo_ws))
    after = WorkbookTables(workbook).read_tab("Members")
    width = len(before[0])
    assert [r[:width] for r in after] == [(r + [""] * width)[:width] for r in before]
    assert after[0][width:] == ["成员编号", "同步状态"]
    sheet = load_workbook(workbook)["Members"]
    assert sheet.cell(row=82, column=14).data_type == "s"  # the pasted =HYPERLINK(...) is still text


def test_dry_run_leaves_state_and_workbook_unchanged(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    book = load_workbook(demo_ws / "network.xlsx")
    book["Members"]["C3"] = "气候、艺术"  # a coordinator edits a member's interests
    book.save(demo_ws / "network.xlsx")
    db_before, book_before = digest(demo_ws / "weaver.db"), digest(demo_ws / "network.xlsx")
    plan = member_sync(workspace=str(demo_ws), dry_run=True)
    assert plan["changed"] == 1
    assert digest(demo_ws / "weaver.db") == db_before
    assert digest(demo_ws / "network.xlsx") == book_before


def test_dry_run_on_a_new_workspace_creates_no_database(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws), dry_run=True)
    assert not (demo_ws / "weaver.db").exists()


def test_a_removed_row_is_reported_gone(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    book = load_workbook(demo_ws / "network.xlsx")
    book["Members"].delete_rows(5)
    book.save(demo_ws / "network.xlsx")
    result = member_sync(workspace=str(demo_ws))
    assert result["gone"] == 1 and result["added"] == 0
    assert len(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}").member_rows("gone")) == 1


def test_owned_cells_a_coordinator_cleared_are_written_again(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    book = load_workbook(demo_ws / "network.xlsx")
    sheet = book["Members"]
    id_col = [c.value for c in sheet[1]].index("成员编号") + 1
    sheet.cell(row=5, column=id_col).value = None  # undone by hand
    book.save(demo_ws / "network.xlsx")
    result = member_sync(workspace=str(demo_ws))
    assert result["cells"] == 1 and result["added"] == 0
    assert load_workbook(demo_ws / "network.xlsx")["Members"].cell(row=5, column=id_col).value


def test_two_runs_on_one_day_leave_two_reports_both_in_the_index(demo_ws: Path) -> None:
    first = member_sync(workspace=str(demo_ws))
    second = member_sync(workspace=str(demo_ws))
    assert first["report"] != second["report"]
    assert Path(first["report"]).is_file() and Path(second["report"]).is_file()
    assert "300" in Path(first["report"]).read_text(encoding="utf-8")  # the run that did the work keeps its report
    index = (demo_ws / "reports" / "index.html").read_text(encoding="utf-8")
    second_at, first_at = index.find(Path(second["report"]).name), index.find(Path(first["report"]).name)
    assert 0 < second_at < first_at  # both linked, newest first
    assert "Asia/Shanghai" in index  # times in the network's time zone


def test_every_run_is_recorded_with_its_summary(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws), dry_run=True)
    member_sync(workspace=str(demo_ws))
    run = StateDB(f"sqlite:///{demo_ws / 'weaver.db'}").last_sync_run("member-sync")
    assert run is not None and run["summary"]["added"] > 250 and run["summary"]["report"].endswith(".html")


def test_prefect_links_the_tasks_without_walking_the_grid(demo_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prefect visits every object of a task's inputs (to find upstream results) unless told not to: the grid
    (300 rows x 14 cells here, 1.4 million at 100,000 members) and the plan pass as opaque values."""
    import prefect.flow_engine
    import prefect.task_engine
    import prefect.utilities.engine
    from prefect.utilities.collections import visit_collection

    import flows.member_sync
    import tasks.common.prefect_task

    visits = 0

    def counting(expr, visit_fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        def visit(*a, **k):  # type: ignore[no-untyped-def]
            nonlocal visits
            visits += 1
            return visit_fn(*a, **k)

        return visit_collection(expr, visit, *args, **kwargs)

    for module in (prefect.utilities.engine, prefect.task_engine, prefect.flow_engine):
        monkeypatch.setattr(module, "visit_collection", counting)
    summary = member_sync(workspace=str(demo_ws), dry_run=True)
    assert summary["rows_read"] == 300
    # what is left is constant: the config (about 470 objects), walked twice by each task it goes to
    assert 0 < visits < 3_000, visits
    ours, visits = visits, 0
    monkeypatch.setattr(flows.member_sync, "opaque", lambda value: value)  # as before: Prefect walks it all
    monkeypatch.setattr(tasks.common.prefect_task, "_opaque", lambda value: value)  # (our tasks' default too)
    member_sync(workspace=str(demo_ws), dry_run=True)
    assert visits > ours + 9_000, (ours, visits)  # the grid (300 x 15 objects) and the plan, twice each


def test_reading_and_planning_show_their_progress_in_the_ui(demo_ws: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterType

    member_sync(workspace=str(demo_ws), dry_run=True)
    with get_client(sync_client=True) as client:
        bars = client.read_artifacts(artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"])))
    done = [bar.description or "" for bar in bars if bar.data == 100]
    for step in ("member-sync: reading Members: ", "member-sync: planning: "):  # each step's bar reached 100 %
        assert any(text.startswith(step) for text in done), (step, done)
