"""The runner's read -> plan -> write passes: again when the table was saved meanwhile, bounded, one at a time."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from connectors.tables import TableChanged
from flows._run import Operation
from weaver.errors import SourceError
from weaver.locks import table_lock


def test_a_table_saved_meanwhile_means_another_pass_then_a_clear_stop(demo_ws: Path) -> None:
    passes: list[int] = []
    with Operation("member-sync", str(demo_ws)) as op:
        for attempt in op.attempts():
            with attempt:
                passes.append(attempt.number)
                if len(passes) == 1:
                    raise TableChanged("network.xlsx was saved by someone else after we read it")
    assert passes == [1, 2]

    with Operation("member-sync", str(demo_ws)) as op, pytest.raises(SourceError) as stop:
        for attempt in op.attempts():
            with attempt:
                raise TableChanged("network.xlsx was saved by someone else after we read it")
    assert "network.xlsx was saved by someone else each time we were about to write (3 tries)" in str(stop.value)
    assert "nothing of theirs was overwritten" in str(stop.value)


def test_operations_that_write_tables_take_turns_and_the_turn_ends_with_the_block(demo_ws: Path) -> None:
    seen: list[str] = []

    def other() -> None:
        try:
            with table_lock(demo_ws, "member-intake", wait_seconds=0.3, poll=0.05):
                seen.append("took it")
        except SourceError as exc:
            seen.append(str(exc))

    with Operation("member-sync", str(demo_ws)) as op:
        with pytest.raises(ValueError):
            for attempt in op.attempts():
                with attempt:
                    thread = threading.Thread(target=other)
                    thread.start()
                    thread.join()
                    with table_lock(demo_ws, "member-sync (inside)"):  # re-entrant in the same thread
                        pass
                    raise ValueError("a bug in a plan")
        thread = threading.Thread(target=other)  # the failed block let go of the lock
        thread.start()
        thread.join()
    assert "being written by member-sync (pid" in seen[0] and seen[1] == "took it"


def test_the_report_names_the_cells_read_as_formula_text(demo_ws: Path) -> None:
    from openpyxl import load_workbook

    from weaver.report import Report
    from weaver.summary import Summary

    wb = load_workbook(demo_ws / "network.xlsx")
    wb["Members"]["C3"] = '="气候"&"、教育"'  # saved by a program that does not calculate: no result stored
    wb.save(demo_ws / "network.xlsx")
    report = Report("member-sync", "member-sync", lang="zh")
    with Operation("member-sync", str(demo_ws), dry_run=True) as op:
        assert op.tables.read_tab("Members")[2][2] == '="气候"&"、教育"'
        op.finish(report, Summary())
    assert len(report.notes) == 1 and report.notes[0].startswith("有 1 个单元格的公式保存时没有计算结果（Members!C3）")
