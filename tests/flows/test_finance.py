"""finance end to end on the demo workspace, through Prefect (one harness for the session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.mail import OutboxTransport
from connectors.workbook import WorkbookTables
from flows.finance import finance
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = DEMO_DAY.isoformat()


def alerts(ws: Path) -> list[tuple[str, str]]:
    found = OutboxTransport(ws / "outbox", None).messages()  # type: ignore[arg-type]
    return sorted((str(m["X-Weaver-Key"]).rsplit(":", 1)[1], m["To"].addresses[0].addr_spec) for m in found)


def transactions(ws: Path) -> list[list[str]]:
    return WorkbookTables(ws / "network.xlsx").read_tab("Transactions")


def test_the_demo_imports_its_bank_export_once_alerts_owners_once_and_reports_with_charts(demo_ws: Path) -> None:
    before = transactions(demo_ws)
    dry = finance(workspace=str(demo_ws), as_of=DAY, dry_run=True)
    assert dry["bank_rows_imported"] == 6 and dry["alerts_due"] == 2 and dry["emails"]["would_send"] == 2
    assert transactions(demo_ws) == before and alerts(demo_ws) == []

    first = finance(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert (first["bank_files"], first["bank_rows_imported"], first["bank_rows_already_there"]) == (1, 6, 0)
    assert alerts(demo_ws) == [("100", "grants@weaving.example.org"), ("80", "coordinator@weaving.example.org")]
    assert first["lines_over_alert"] == 2 and first["lines_over_budget"] == 1 and first["restricted_grants"] == 1
    after = transactions(demo_ws)
    assert len(after) == len(before) + 6 and after[: len(before)] == before  # appended below, nothing overwritten
    assert any("机票 成都-昆明" in row and "差旅 Travel" in row for row in after)
    page = Path(first["report"]).read_text(encoding="utf-8")
    assert page.count("<svg") >= 3 and "社区营造伙伴计划" in page and "GBP 300" in page

    again = finance(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert (again["bank_rows_imported"], again["bank_rows_already_there"], again["alerts_sent"]) == (0, 6, 0)
    assert transactions(demo_ws) == after and len(alerts(demo_ws)) == 2
