"""The Google Sheets backend, through gspread, against the Sheets v4 stand-in on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.google_sheets import GoogleSheetsTables, batches, blocks
from connectors.retry import RetryPolicy
from connectors.tables import Cell, TableBackend
from flows._runtime import build_tables
from tests.standins.sheets import Formula, SheetsStandIn
from weaver.errors import ConfigError, FatalError, RetriableError, SourceError
from weaver.workspace import Workspace

SID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
ROWS = [
    ["姓名", "电话", "邮编", "备注"],
    ["张伟", "013800138000", "02134", '=HYPERLINK("https://x.org","主页")'],
    ["Ana", "", "", ""],
]


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)  # recorded, not slept: tests take no time


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def tables(sheets_api: SheetsStandIn, sleeps: Sleeps) -> GoogleSheetsTables:
    sheets_api.add_spreadsheet(SID)
    sheets_api.add_tab(SID, "Members", ROWS)
    return connect(sheets_api, sleeps)


def connect(api: SheetsStandIn, sleeps: Sleeps, sid: str = SID, **kw: object) -> GoogleSheetsTables:
    policy = RetryPolicy(sleep=sleeps, **kw)  # type: ignore[arg-type]
    return GoogleSheetsTables(sid, api.service_account_info(), policy=policy, base_url=api.url)


def sheet_calls(api: SheetsStandIn) -> dict[str, int]:
    """Calls the Sheets API saw (the token request goes to the OAuth endpoint)."""
    return {k: v for k, v in api.calls.items() if k != "oauth.token"}


# reading ---------------------------------------------------------------------------------------------------
def test_read_is_one_call_and_keeps_leading_zeros_formula_text_and_chinese(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn
) -> None:
    assert tables.read_tab("Members") == [row[: len(row)] for row in ROWS[:2]] + [["Ana"]]
    assert sheet_calls(sheets_api) == {"values.get": 1}  # no metadata read
    assert tables.calls == {"read": 1}
    assert sheets_api.log[-1].query["valueRenderOption"] == ["FORMATTED_VALUE"]


def test_a_missing_tab_is_a_source_error_naming_it(tables: GoogleSheetsTables) -> None:
    with pytest.raises(SourceError, match=f"^Google sheet {SID}: no tab named 'Events'$"):
        tables.read_tab("Events")


def test_an_empty_tab_reads_as_no_rows(tables: GoogleSheetsTables, sheets_api: SheetsStandIn) -> None:
    sheets_api.add_tab(SID, "Events", [])
    assert tables.read_tab("Events") == []


def test_tab_names_come_from_one_metadata_read(tables: GoogleSheetsTables, sheets_api: SheetsStandIn) -> None:
    sheets_api.add_tab(SID, "活动 Events", [["名称"]])
    assert tables.tab_names() == ["Members", "活动 Events"]
    assert sheet_calls(sheets_api) == {"spreadsheets.get": 1}


# writing ---------------------------------------------------------------------------------------------------
def test_write_is_one_raw_batch_and_formula_text_stays_text(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn
) -> None:
    tables.read_tab("Members")
    formula = '=IMPORTXML("https://evil.example","//a")'
    tables.write_cells("Members", [Cell(1, 5, "成员编号"), Cell(2, 5, formula), Cell(3, 5, "007")])
    assert sheet_calls(sheets_api) == {"values.get": 1, "values.batchUpdate": 1}
    assert tables.calls == {"read": 1, "write": 1}
    assert sheets_api.log[-1].body["valueInputOption"] == "RAW"
    tab = sheets_api.spreadsheets[SID].tab("Members")
    assert tab is not None and tab.get(2, 5) == formula and not isinstance(tab.get(2, 5), Formula)
    assert [r[4] for r in sheets_api.formatted(SID, "Members")] == ["成员编号", formula, "007"]


def test_numbers_we_computed_are_stored_as_numbers_and_text_stays_text(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn
) -> None:
    tables.write_cells("Members", [Cell(2, 5, 42), Cell(2, 6, 7500.5), Cell(3, 5, "013800138000")])
    assert sheets_api.log[-1].body["valueInputOption"] == "RAW"  # never USER_ENTERED: member text stays text
    assert sheets_api.log[-1].body["data"][0]["values"][0] == [42, 7500.5]  # JSON numbers
    tab = sheets_api.spreadsheets[SID].tab("Members")
    assert tab is not None and tab.get(2, 5) == 42 and tab.get(2, 6) == 7500.5 and tab.get(3, 5) == "013800138000"


def test_owned_columns_on_consecutive_rows_go_as_one_range(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn
) -> None:
    cells = [Cell(r, c, f"{r}-{c}") for r in range(2, 4) for c in (5, 6)]
    tables.write_cells("Members", cells)
    data = sheets_api.log[-1].body["data"]
    assert [d["range"] for d in data] == ["'Members'!E2:F3"]
    assert data[0]["values"] == [["2-5", "2-6"], ["3-5", "3-6"]]


def test_blocks_split_at_gaps_and_keep_the_last_value_for_a_cell() -> None:
    cells = [Cell(2, 5, "a"), Cell(2, 6, "b"), Cell(3, 5, "c"), Cell(3, 6, "d"), Cell(5, 5, "e"), Cell(5, 5, "E")]
    assert blocks(cells) == [(2, 5, [["a", "b"], ["c", "d"]]), (5, 5, [["E"]])]
    assert blocks([Cell(1, 1, "x"), Cell(1, 3, "y")]) == [(1, 1, [["x"]]), (1, 3, [["y"]])]


def test_a_write_past_the_payload_limit_is_split_by_rows_into_several_batches() -> None:
    cells = [Cell(r, c, "m-0123456789") for r in range(2, 12) for c in (5, 6)]  # 10 rows of about 36 bytes
    data = batches("Members", cells, limit=150)
    assert [[d["range"] for d in batch] for batch in data] == [
        ["'Members'!E2:F5"],
        ["'Members'!E6:F9"],
        ["'Members'!E10:F11"],
    ]
    assert sum(len(d["values"]) for batch in data for d in batch) == 10
    assert batches("Members", cells, limit=8_000_000) == [[data[0][0] | {"range": "'Members'!E2:F11",
                                                           "values": [["m-0123456789"] * 2] * 10}]]  # fmt: skip


def test_a_split_write_is_one_call_per_batch(tables: GoogleSheetsTables, sheets_api: SheetsStandIn) -> None:
    tables.max_payload_bytes = 40  # one row of four CJK characters is about 30 bytes
    tables.write_cells("Members", [Cell(r, 5, "成员编号") for r in range(1, 4)])
    assert sheets_api.calls["values.batchUpdate"] == 3 and tables.calls["write"] == 3
    assert [r[4] for r in sheets_api.formatted(SID, "Members")] == ["成员编号"] * 3


def test_an_empty_write_makes_no_call(tables: GoogleSheetsTables, sheets_api: SheetsStandIn) -> None:
    tables.write_cells("Members", [])
    assert sheet_calls(sheets_api) == {} and tables.calls == {}


def test_a_write_past_the_grid_grows_it_first(sheets_api: SheetsStandIn, sleeps: Sleeps) -> None:
    sheets_api.add_spreadsheet(SID)
    sheets_api.add_tab(SID, "Members", ROWS, rows=3, cols=4)  # a sheet sized to its data, as a CSV import makes
    tables = connect(sheets_api, sleeps)
    tables.read_tab("Members")
    tables.write_cells("Members", [Cell(1, 5, "成员编号"), Cell(4, 1, "new row")])
    assert sheet_calls(sheets_api) == {
        "values.get": 1,
        "spreadsheets.get": 1,  # the tab's sheetId, which the grid request needs
        "spreadsheets.batchUpdate": 1,  # one more row and one more column
        "values.batchUpdate": 1,
    }
    assert tables.calls == {"read": 2, "write": 2}
    tab = sheets_api.spreadsheets[SID].tab("Members")
    assert tab is not None and (tab.rows, tab.cols) == (4, 5)
    assert sheets_api.formatted(SID, "Members")[3] == ["new row"]


# errors ----------------------------------------------------------------------------------------------------
def test_no_access_is_one_line_naming_the_sheet_and_the_account_to_share_with(
    sheets_api: SheetsStandIn, sleeps: Sleeps
) -> None:
    sheets_api.add_spreadsheet(SID, shared_with={"someone@example.org"})
    sheets_api.add_tab(SID, "Members", ROWS)
    tables = connect(sheets_api, sleeps)
    with pytest.raises(FatalError) as err:
        tables.read_tab("Members")
    assert str(err.value) == (
        f"Google sheet {SID}, tab 'Members': reading: no access; share the sheet with "
        "weaver@weaver-test.iam.gserviceaccount.com as an editor (403 PERMISSION_DENIED)"
    )
    assert sheet_calls(sheets_api) == {"values.get": 1}  # not retried


def test_an_unknown_spreadsheet_is_one_line_naming_it(sheets_api: SheetsStandIn, sleeps: Sleeps) -> None:
    tables = connect(sheets_api, sleeps, sid="no-such-sheet")
    with pytest.raises(FatalError) as err:
        tables.read_tab("Members")
    assert str(err.value) == (
        "Google sheet no-such-sheet, tab 'Members': reading: no such spreadsheet (404 NOT_FOUND); "
        "check [tables] spreadsheet_id"
    )


def test_429_then_success_waits_as_told_and_completes(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn, sleeps: Sleeps
) -> None:
    sheets_api.fail("values.get", 429, times=2, retry_after="7")
    assert tables.read_tab("Members")[1][0] == "张伟"
    assert sheet_calls(sheets_api) == {"values.get": 3}
    assert len(sleeps.waits) == 2 and all(7 <= w <= 8 for w in sleeps.waits)
    assert tables.calls == {"read": 1, "retried": 2}


def test_a_permanent_429_gives_up_after_bounded_tries_with_a_clear_error(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn, sleeps: Sleeps
) -> None:
    sheets_api.fail("values.get", 429, times=None)
    with pytest.raises(RetriableError) as err:
        tables.read_tab("Members")
    assert str(err.value).startswith(
        f"Google sheet {SID}, tab 'Members': reading: rate limited by Google (429 RESOURCE_EXHAUSTED); "
        "gave up after 5 tries in"
    )
    assert sheet_calls(sheets_api) == {"values.get": 5} and sum(sleeps.waits) <= 90


def test_server_errors_on_the_values_write_are_retried(tables: GoogleSheetsTables, sheets_api: SheetsStandIn) -> None:
    sheets_api.fail("values.batchUpdate", 503, times=1)
    tables.write_cells("Members", [Cell(2, 5, "m-1")])
    assert sheet_calls(sheets_api) == {"spreadsheets.get": 1, "values.batchUpdate": 2}
    assert sheets_api.formatted(SID, "Members")[1][4] == "m-1"


def test_growing_the_grid_is_never_retried(sheets_api: SheetsStandIn, sleeps: Sleeps) -> None:
    sheets_api.add_spreadsheet(SID)
    sheets_api.add_tab(SID, "Members", ROWS, rows=3, cols=4)
    tables = connect(sheets_api, sleeps)
    sheets_api.fail("spreadsheets.batchUpdate", 500, times=1)
    with pytest.raises(RetriableError, match="adding rows or columns: Google is unavailable"):
        tables.write_cells("Members", [Cell(1, 5, "成员编号")])
    assert sheets_api.calls["spreadsheets.batchUpdate"] == 1 and "values.batchUpdate" not in sheets_api.calls


def test_a_slow_answer_past_the_timeout_is_retried(sheets_api: SheetsStandIn, sleeps: Sleeps) -> None:
    sheets_api.add_spreadsheet(SID)
    sheets_api.add_tab(SID, "Members", ROWS)
    tables = GoogleSheetsTables(
        SID, sheets_api.service_account_info(), timeout=0.3, policy=RetryPolicy(sleep=sleeps), base_url=sheets_api.url
    )
    sheets_api.slow("values.get", seconds=1.5)
    assert len(tables.read_tab("Members")) == 3
    assert tables.calls["retried"] == 1


def test_error_messages_never_echo_google_text_that_can_hold_member_data(
    tables: GoogleSheetsTables, sheets_api: SheetsStandIn
) -> None:
    sheets_api.fail("values.batchUpdate", 400, message='Invalid value at data[0].values[0] "ana@example.org"')
    with pytest.raises(FatalError) as err:
        tables.write_cells("Members", [Cell(2, 5, "ana@example.org")])
    assert "ana@example.org" not in str(err.value)
    assert str(err.value).endswith("writing: the request was rejected (400 INVALID_ARGUMENT)")


# credentials -----------------------------------------------------------------------------------------------
def test_an_authorized_user_token_works(sheets_api: SheetsStandIn) -> None:
    sheets_api.add_spreadsheet(SID)
    sheets_api.add_tab(SID, "Members", ROWS)
    tables = GoogleSheetsTables(SID, sheets_api.authorized_user_info(), base_url=sheets_api.url)
    assert tables.read_tab("Members")[0][0] == "姓名"
    assert sheets_api.log[0].route == "oauth.token"


def test_a_key_google_does_not_know_is_refused_without_echoing_it(sheets_api: SheetsStandIn) -> None:
    sheets_api.add_spreadsheet(SID)
    info = sheets_api.service_account_info()
    sheets_api.public_keys.clear()  # the key was deleted in the Cloud console
    tables = GoogleSheetsTables(SID, info, base_url=sheets_api.url)
    with pytest.raises(FatalError) as err:
        tables.read_tab("Members")
    assert (
        str(err.value)
        == f"Google sheet {SID}, tab 'Members': Google refused the credentials (revoked, expired or a wrong key)"
    )
    assert "PRIVATE KEY" not in str(err.value)


def test_the_backend_fits_the_protocol(tables: GoogleSheetsTables) -> None:
    assert isinstance(tables, TableBackend)


# building from weaver.toml ---------------------------------------------------------------------------------
def workspace(tmp_path: Path, tables: str) -> Workspace:
    (tmp_path / "weaver.toml").write_text(
        f'[tables]\nbackend = "google_sheets"\nspreadsheet_id = "{SID}"\n{tables}\n', encoding="utf-8"
    )
    return Workspace.open(tmp_path)


def test_credentials_from_a_file_or_an_environment_variable(
    tmp_path: Path, sheets_api: SheetsStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = json.dumps(sheets_api.service_account_info())
    (tmp_path / "key.json").write_text(info, encoding="utf-8")
    assert build_tables(workspace(tmp_path, 'credentials_file = "key.json"')).describe() == f"Google sheet {SID}"
    monkeypatch.setenv("WEAVER_SHEETS_KEY", info)
    assert isinstance(build_tables(workspace(tmp_path, 'credentials = { env = "WEAVER_SHEETS_KEY" }')), TableBackend)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read the file (missing or not readable)"),
        ("-----BEGIN PRIVATE KEY-----\nMIIE", "not a JSON key or token (download the JSON key of the service account)"),
        (
            '{"type": "external_account"}',
            "neither a service-account key nor an authorized-user token (its type is 'external_account')",
        ),
        (
            '{"type": "service_account", "client_email": "x@y"}',
            "the service-account credentials lack 'private_key', 'token_uri'",
        ),
    ],
)
def test_bad_credentials_are_one_line_naming_the_key_never_the_content(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    if content is not None:
        (tmp_path / "key.json").write_text(content, encoding="utf-8")
    ws = workspace(tmp_path, 'credentials_file = "key.json"')
    with pytest.raises(ConfigError) as err:
        build_tables(ws)
    assert str(err.value) == f"{tmp_path / 'weaver.toml'}: [tables] credentials_file {tmp_path / 'key.json'}: {problem}"


def test_an_unset_environment_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEAVER_SHEETS_KEY", raising=False)
    with pytest.raises(ConfigError) as err:
        build_tables(workspace(tmp_path, 'credentials = { env = "WEAVER_SHEETS_KEY" }'))
    assert str(err.value).endswith(": [tables] credentials: environment variable WEAVER_SHEETS_KEY is not set or empty")


def test_a_non_json_error_page_still_gives_a_clean_line(tables: GoogleSheetsTables, sheets_api: SheetsStandIn) -> None:
    sheets_api.error_body = lambda *a: b"<html>Bad Gateway from a proxy: member ana@example.org</html>"  # type: ignore[method-assign]
    sheets_api.fail("values.get", 418)
    with pytest.raises(FatalError) as err:
        tables.read_tab("Members")
    assert str(err.value) == f"Google sheet {SID}, tab 'Members': reading: the request was rejected (418)"
