"""grant-pipeline end to end on the demo workspace, through Prefect, with Grants.gov and a feed on 127.0.0.1."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.workbook import WorkbookTables
from flows.grant_pipeline import grant_pipeline
from tests.conftest import DEMO_DAY
from tests.flows.gate import PausedRun, approval_threshold_one
from tests.standins.grants import Fault, GrantsGovStandin, Opportunity, rss
from weaver.ledger import Ledger
from weaver.state import StateDB

pytestmark = pytest.mark.usefixtures("prefect_harness")
DAY = DEMO_DAY.isoformat()  # the demo's deadlines are built for this day


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def standin() -> Iterator[GrantsGovStandin]:
    opps = [
        Opportunity("356001", "Climate resilience in coastal communities", close_date="03/15/2027",
                    award_ceiling="500000"),
        Opportunity("356002", "Civil society and climate data", close_date="", status="forecasted"),
        Opportunity("356003", "Climate resilience education exchanges", agency="Department of State", agency_code="DOS",
                    close_date="02/01/2027", award_ceiling="75000"),
    ]  # fmt: skip
    with GrantsGovStandin(opps) as server:
        server.feeds["open-futures"] = ("application/rss+xml", rss("Open Futures Fund", [
            ("call-7", "Small grants for data commons", "https://funder.example.org/calls/7"),
        ]))  # fmt: skip
        yield server


def connect(ws: Path, standin: GrantsGovStandin) -> Path:
    """Point the demo's Grants.gov section at the stand-in, and add a feed."""
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("[grants.grants_gov]\nenabled = false",
                        f'[grants.grants_gov]\nenabled = true\nbase_url = "{standin.base_url}"')  # fmt: skip
    text += f'\n[[grants.feeds]]\nname = "open-futures"\nurl = "{standin.feed_url("open-futures")}"\ncurrency = "USD"\n'
    config.write_text(text, encoding="utf-8")
    return ws


def opportunities(ws: Path) -> list[list[str]]:
    return WorkbookTables(ws / "network.xlsx").read_tab("Opportunities")


def test_demo_default_imports_nothing_and_reaches_nothing(demo_ws: Path) -> None:
    result = grant_pipeline(workspace=str(demo_ws), as_of=DAY)
    assert result["imported"] == {} and result["source_errors"] == []
    assert result["opportunities"] == 12 and result["cells_to_check"] == 3
    assert result["pipeline_in_CNY"].startswith("CNY ") and "GBP 750" in result["pipeline_in_CNY"]
    html = Path(str(result["report"])).read_text(encoding="utf-8")
    assert html.count("<svg") >= 3 and "按阶段的加权金额" in html


def test_first_run_imports_and_rerun_imports_and_sends_nothing(demo_ws: Path, standin: GrantsGovStandin) -> None:
    ws = connect(demo_ws, standin)
    first = grant_pipeline(workspace=str(ws), as_of=DAY)
    assert first["imported"] == {"grants.gov": 3, "rss:open-futures": 1}
    assert first["reminders"]["digests_sent"] >= 1  # type: ignore[index]
    grid = opportunities(ws)
    imported = {r[12]: r for r in grid if r[11] == "grants.gov"}
    assert imported["356001"][2:4] == ["500000", "USD"] and imported["356001"][6] == "2027-03-15"
    assert imported["356002"][6] == ""  # forecast without a close date
    assert standin.calls["fetchOpportunity"] == 3  # amounts of new opportunities only

    workbook, outbox = ws / "network.xlsx", list((ws / "outbox" / "new").iterdir())
    before = digest(workbook)
    second = grant_pipeline(workspace=str(ws), as_of=DAY)
    assert second["imported"] == {} and second["skipped"]["known"] == 4  # type: ignore[index]
    assert second["cells_written"] == 0 and second["reminders"]["digests_sent"] == 0  # type: ignore[index]
    assert digest(workbook) == before and list((ws / "outbox" / "new").iterdir()) == outbox
    assert standin.calls["fetchOpportunity"] == 3


def test_coordinator_edits_survive_a_refresh(demo_ws: Path, standin: GrantsGovStandin) -> None:
    ws = connect(demo_ws, standin)
    grant_pipeline(workspace=str(ws), as_of=DAY)
    row = next(i for i, r in enumerate(opportunities(ws), 1) if r[12] == "356001")
    book = load_workbook(ws / "network.xlsx")
    book["Opportunities"].cell(row=row, column=7).value = "2027-03-01"  # our internal deadline, two weeks early
    book["Opportunities"].cell(row=row, column=5).value = "撰写中"
    book.save(ws / "network.xlsx")
    opp = standin.by_id("356001")
    assert opp is not None
    opp.close_date, opp.title = "04/30/2027", "Climate resilience in coastal and island communities"

    result = grant_pipeline(workspace=str(ws), as_of=DAY)
    after = opportunities(ws)[row - 1]
    assert after[6] == "2027-03-01" and after[4] == "撰写中"  # the coordinator's cells
    assert after[1] == "Climate resilience in coastal and island communities"  # an untouched cell follows the source
    assert result["kept_coordinator_edits"] == 1 and result["refreshed_cells"] == 1


def test_a_deleted_import_is_not_imported_again(demo_ws: Path, standin: GrantsGovStandin) -> None:
    ws = connect(demo_ws, standin)
    grant_pipeline(workspace=str(ws), as_of=DAY)
    row = next(i for i, r in enumerate(opportunities(ws), 1) if r[12] == "356003")
    book = load_workbook(ws / "network.xlsx")
    book["Opportunities"].delete_rows(row)
    book.save(ws / "network.xlsx")
    result = grant_pipeline(workspace=str(ws), as_of=DAY)
    assert result["imported"] == {} and result["skipped"]["removed"] == 1  # type: ignore[index]


def test_grants_gov_failing_still_refreshes_the_rest(demo_ws: Path, standin: GrantsGovStandin) -> None:
    ws = connect(demo_ws, standin)
    standin.faults.append(Fault(200, body={"errorcode": 5, "msg": "Search unavailable", "data": {}}))
    result = grant_pipeline(workspace=str(ws), as_of=DAY)
    assert result["source_errors"] == ["Grants.gov: Grants.gov search2: errorcode 5 (Search unavailable)"]
    assert result["imported"] == {"rss:open-futures": 1} and result["cells_written"] > 0


def test_dry_run_writes_and_sends_nothing(demo_ws: Path, standin: GrantsGovStandin) -> None:
    ws = connect(demo_ws, standin)
    before = digest(ws / "network.xlsx")
    plan = grant_pipeline(workspace=str(ws), as_of=DAY, dry_run=True)
    assert plan["imported"] == {"grants.gov": 3, "rss:open-futures": 1}
    assert plan["reminders"]["digests_would_send"] >= 1  # type: ignore[index]
    assert digest(ws / "network.xlsx") == before
    assert not (ws / "outbox").exists() and not (ws / "weaver.db").exists()


def sent_mail(ws: Path) -> list[str]:
    box = ws / "outbox" / "new"
    return sorted(p.name for p in box.iterdir()) if box.exists() else []


def test_above_the_threshold_the_digests_wait_for_approval_and_a_decline_sends_and_records_nothing(
    demo_ws: Path,
) -> None:
    approval_threshold_one(demo_ws)
    paused = PausedRun("grant-pipeline", lambda: grant_pipeline(workspace=str(demo_ws), as_of=DAY))
    assert sent_mail(demo_ws) == []  # nothing went out while waiting
    declined = paused.answer(approve=False)
    held = declined["reminders"]["digests_held"]  # type: ignore[index]
    assert held >= 2 and declined["reminders"]["digests_sent"] == 0 and sent_mail(demo_ws) == []  # type: ignore[index]
    ledger = Ledger(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}"), "t")
    assert ledger.entries(kind="email") == [] and ledger.entries(kind="grant-digest") == []  # no reminder recorded
    again = grant_pipeline(workspace=str(demo_ws), as_of=DAY, auto_approve=True)
    assert again["reminders"]["digests_sent"] == held and len(sent_mail(demo_ws)) == held  # type: ignore[index]
