"""member-sync end to end with a Google sheet as the source, through gspread, against the Sheets stand-in.

The flow is unchanged: only weaver.toml names the google_sheets backend. `redirect(sheets=...)` sends the
connector that the flow builds to the stand-in on 127.0.0.1; the service-account key file in the workspace
names the stand-in's token endpoint, so the real JWT-bearer auth path runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.endpoints import redirect
from connectors.workbook import WorkbookTables
from flows.member_sync import member_sync
from tests.standins.sheets import SheetsStandIn
from weaver.errors import FatalError, RetriableError
from weaver.state import StateDB

pytestmark = pytest.mark.usefixtures("prefect_harness")

SID = "1NetworkMembersSheet0000000000000000000000"
ACCOUNT = "weaver@weaver-test.iam.gserviceaccount.com"
SHEET_ROUTES = ("spreadsheets.get", "spreadsheets.batchUpdate", "values.get", "values.batchGet",
                "values.batchUpdate", "values.update", "values.append")  # fmt: skip


@dataclass
class Setup:
    ws: Path
    api: SheetsStandIn
    before: list[list[str]]  # the members tab as the coordinator left it

    def run(self, **kw: object) -> dict[str, object]:
        self.api.reset_counts()
        with redirect(sheets=self.api.url):
            return member_sync(workspace=str(self.ws), **kw)  # type: ignore[arg-type]

    def seen(self) -> dict[str, int]:
        """What the Sheets API saw in the last run, by endpoint."""
        return {r: self.api.calls[r] for r in SHEET_ROUTES if self.api.calls[r]}


def use_google_sheet(ws: Path, api: SheetsStandIn, spreadsheet_id: str = SID, **settings: object) -> None:
    (ws / "service-account.json").write_text(json.dumps(api.service_account_info(ACCOUNT)), encoding="utf-8")
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    tables = (
        f'[tables]\nbackend = "google_sheets"\nspreadsheet_id = "{spreadsheet_id}"\n'
        f'credentials_file = "service-account.json"\ntimeout_seconds = 10\n{extra}'
    )
    config = ws / "weaver.toml"
    text = re.sub(r"\[tables\]\n(?:[^\[\n][^\n]*\n|\n)*", tables + "\n", config.read_text(encoding="utf-8"), count=1)
    config.write_text(text, encoding="utf-8")


@pytest.fixture
def gsheet(demo_ws: Path, sheets_api: SheetsStandIn) -> Iterator[Setup]:
    """The demo's messy members tab, moved into a Google sheet shared with the service account."""
    grid = WorkbookTables(demo_ws / "network.xlsx").read_tab("Members")
    sheets_api.add_spreadsheet(SID, "示范编织网络 Members", shared_with={ACCOUNT})
    sheets_api.add_tab(SID, "Members", grid)  # a 1000 x 26 grid: room for the owned columns
    (demo_ws / "network.xlsx").unlink()  # nothing may come from the workbook any more
    use_google_sheet(demo_ws, sheets_api, max_attempts=3)
    yield Setup(demo_ws, sheets_api, sheets_api.formatted(SID, "Members"))


def test_first_run_reads_once_and_writes_once_and_a_rerun_writes_nothing(gsheet: Setup) -> None:
    first = gsheet.run()
    assert (first["rows_read"], first["quarantined"], first["merged"], first["blank"]) == (300, 3, 2, 3)
    assert first["added"] == first["valid"] and first["cells"] > 500
    assert gsheet.seen() == {"values.get": 1, "values.batchUpdate": 1}
    assert gsheet.api.log[-1].body["valueInputOption"] == "RAW"

    second = gsheet.run()
    assert (second["added"], second["changed"], second["gone"], second["cells"]) == (0, 0, 0, 0)
    assert gsheet.seen() == {"values.get": 1}


def test_only_owned_columns_change_and_text_stays_text(gsheet: Setup) -> None:
    gsheet.run()
    after = gsheet.api.formatted(SID, "Members")
    width = len(gsheet.before[0])
    assert [(r + [""] * width)[:width] for r in after] == [(r + [""] * width)[:width] for r in gsheet.before]
    assert after[0][width:] == ["成员编号", "同步状态"]  # Chinese headers written and read back
    assert {r[width + 1] for r in after[1:] if len(r) > width + 1} >= {"已同步"}

    tab = gsheet.api.spreadsheets[SID].tab("Members")
    assert tab is not None
    members = {m["email"]: m["fields"] for m in StateDB(f"sqlite:///{gsheet.ws / 'weaver.db'}").member_rows()}
    priya = members["priya.090@uni.example.edu"]
    assert priya["organisation"] == '=HYPERLINK("https://example.org","Evil Corp")'  # read as text, not "#N/A"
    assert priya["phone"] == "013847201429"  # the leading zero survives
    assert all(isinstance(v, str) for row in tab.cells for v in row)  # nothing became a formula or a number


def test_a_sheet_sized_to_its_data_is_grown_once_then_left_alone(demo_ws: Path, sheets_api: SheetsStandIn) -> None:
    grid = WorkbookTables(demo_ws / "network.xlsx").read_tab("Members")
    sheets_api.add_spreadsheet(SID)
    sheets_api.add_tab(SID, "Members", grid, rows=len(grid), cols=len(grid[0]))  # as a CSV import makes it
    use_google_sheet(demo_ws, sheets_api)
    setup = Setup(demo_ws, sheets_api, grid)
    setup.run()
    assert setup.seen() == {
        "values.get": 1,
        "spreadsheets.get": 1,
        "spreadsheets.batchUpdate": 1,
        "values.batchUpdate": 1,
    }
    setup.run()
    assert setup.seen() == {"values.get": 1}


def test_a_429_then_success_run_completes(gsheet: Setup) -> None:
    gsheet.api.fail("values.get", 429, times=1, retry_after="0")
    result = gsheet.run()
    assert result["rows_read"] == 300
    assert gsheet.seen() == {"values.get": 2, "values.batchUpdate": 1}


def test_a_permanent_429_ends_with_a_clear_error_after_bounded_tries(gsheet: Setup) -> None:
    gsheet.api.fail("values.get", 429, times=None, retry_after="0")
    with pytest.raises(RetriableError) as err:
        gsheet.run()
    assert str(err.value).startswith(
        f"Google sheet {SID}, tab 'Members': reading: rate limited by Google (429 RESOURCE_EXHAUSTED); "
        "gave up after 3 tries in"
    )
    assert gsheet.seen() == {"values.get": 3}  # max_attempts = 3 in weaver.toml
    assert not (gsheet.ws / "weaver.db").exists() or not StateDB(f"sqlite:///{gsheet.ws / 'weaver.db'}").member_rows()


def test_no_access_is_one_line_naming_the_sheet_and_whom_to_share_it_with(gsheet: Setup) -> None:
    gsheet.api.spreadsheets[SID].shared_with = {"someone.else@example.org"}
    with pytest.raises(FatalError) as err:
        gsheet.run()
    assert str(err.value) == (
        f"Google sheet {SID}, tab 'Members': reading: no access; share the sheet with {ACCOUNT} as an editor "
        "(403 PERMISSION_DENIED)"
    )


def test_a_wrong_spreadsheet_id_is_one_line_naming_it(gsheet: Setup) -> None:
    use_google_sheet(gsheet.ws, gsheet.api, spreadsheet_id="1WrongId")
    with pytest.raises(FatalError) as err:
        gsheet.run()
    assert str(err.value) == (
        "Google sheet 1WrongId, tab 'Members': reading: no such spreadsheet (404 NOT_FOUND); "
        "check [tables] spreadsheet_id"
    )


def test_a_dry_run_reads_once_and_writes_nothing(gsheet: Setup) -> None:
    plan = gsheet.run(dry_run=True)
    assert plan["added"] > 250 and plan["cells"] > 500
    assert gsheet.seen() == {"values.get": 1}
    assert gsheet.api.formatted(SID, "Members") == gsheet.before
