"""impact-report end to end on the demo workspace, through Prefect: the files once, PDFs, and a rerun writes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.engagement_review import engagement_review
from flows.impact_report import impact_report
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_the_quarter_report_map_pdfs_and_fact_sheet_are_written_once(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    engagement_review(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), auto_approve=True)  # co-attendance ties

    planned = impact_report(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), dry_run=True)
    assert planned["actions"]["skipped"] == 2 and not (demo_ws / "reports" / "impact").exists()

    first = impact_report(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert first["quarter"] == "2026-Q4" and first["members"] > 250 and first["events_held"] > 0
    assert first["components"] >= 1 and first["isolates"] < first["members"] and first["brokers"] == 5
    folder = demo_ws / "reports" / "impact" / "2026-Q4"
    names = sorted(p.name for p in folder.iterdir())
    for lang in ("en", "zh"):
        assert {f"impact-2026-Q4-{lang}.html", f"impact-2026-Q4-{lang}.pdf", f"factsheet-2026-Q4-{lang}.html",
                f"factsheet-2026-Q4-{lang}.pdf", f"network-map-2026-Q4-{lang}.svg"} <= set(names)  # fmt: skip
    assert first["pdf"] and first["files_written"] == len(names) == 10
    page = (folder / "impact-2026-Q4-zh.html").read_text(encoding="utf-8")
    assert "影响力报告" in page and "<svg" in page and not re.search(r"\bm-[0-9a-f]{12}\b", page)  # names, not ids
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}

    again = impact_report(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert again["files_written"] == 0 and again["actions"]["already_done"] == 2
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before

    previous = impact_report(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat(), quarter="previous")
    assert previous["quarter"] == "2026-Q3" and (demo_ws / "reports" / "impact" / "2026-Q3").is_dir()
