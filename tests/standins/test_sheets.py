"""The Sheets stand-in behaves as the real API does for gspread's own high-level calls."""

from __future__ import annotations

import gspread
import pytest

from connectors.endpoints import RebaseAdapter
from tests.standins.sheets import Formula, SheetsStandIn

SID = "standin-sheet"
PREFIX = "https://sheets.googleapis.com/"


@pytest.fixture
def client(sheets_api: SheetsStandIn) -> gspread.Client:
    sheets_api.add_spreadsheet(SID, title="网络 Network")
    sheets_api.add_tab(SID, "Members", [["姓名", "电话"], ["张伟", "013800138000"]], rows=5, cols=3)
    sheets_api.add_tab(SID, "It's", [["x"]])
    gc = gspread.service_account_from_dict(sheets_api.service_account_info())
    gc.http_client.session.mount(PREFIX, RebaseAdapter(PREFIX, sheets_api.url))
    return gc


def test_gspread_opens_the_sheet_and_each_worksheet_call_refetches_metadata(
    client: gspread.Client, sheets_api: SheetsStandIn
) -> None:
    book = client.open_by_key(SID)
    assert book.title == "网络 Network" and [w.title for w in book.worksheets()] == ["Members", "It's"]
    sheet = book.worksheet("Members")
    assert sheet.get_all_values() == [["姓名", "电话"], ["张伟", "013800138000"]]
    assert book.worksheet("It's").get_all_values() == [["x"]]
    assert sheets_api.calls["spreadsheets.get"] == 4 and sheets_api.calls["values.get"] == 2


def test_user_entered_turns_text_into_formulas_and_numbers_raw_does_not(
    client: gspread.Client, sheets_api: SheetsStandIn
) -> None:
    sheet = client.open_by_key(SID).worksheet("Members")
    sheet.update_cell(2, 3, "=IMPORTXML(A1)")  # gspread's update_cell is USER_ENTERED
    sheet.update([["007", "=1+1"]], "A3", raw=True)
    tab = sheets_api.spreadsheets[SID].tab("Members")
    assert tab is not None
    assert tab.get(2, 3) == Formula("=IMPORTXML(A1)") and tab.get(3, 1) == "007" and tab.get(3, 2) == "=1+1"
    assert sheet.get_all_values()[1][2] == "#N/A"
    sheet.update_cell(4, 1, "007")
    assert sheet.acell("A4").value == "7"  # the leading zero is lost to USER_ENTERED


def test_writes_past_the_grid_are_rejected_but_append_grows_it(client: gspread.Client) -> None:
    sheet = client.open_by_key(SID).worksheet("Members")
    with pytest.raises(gspread.exceptions.APIError, match=r"exceeds grid limits. Max rows: 5, max columns: 3"):
        sheet.update([["x"]], "D1")
    sheet.append_rows([["a"], ["b"], ["c"], ["d"]], table_range="A1")
    assert sheet.col_values(1) == ["姓名", "张伟", "a", "b", "c", "d"]
    assert client.open_by_key(SID).worksheet("Members").row_count == 6


def test_unknown_tabs_sheets_and_unshared_sheets_answer_as_google_does(
    client: gspread.Client, sheets_api: SheetsStandIn
) -> None:
    with pytest.raises(gspread.exceptions.APIError, match="Unable to parse range: 'Events'") as err:
        client.http_client.values_get(SID, "'Events'")
    assert err.value.code == 400 and err.value.error["status"] == "INVALID_ARGUMENT"
    with pytest.raises(gspread.exceptions.SpreadsheetNotFound):
        client.open_by_key("missing")
    sheets_api.spreadsheets[SID].shared_with = {"someone@example.org"}
    with pytest.raises(PermissionError):
        client.open_by_key(SID)


def test_values_batch_update_is_all_or_nothing(client: gspread.Client, sheets_api: SheetsStandIn) -> None:
    body = {
        "valueInputOption": "RAW",
        "data": [{"range": "'Members'!A1", "values": [["changed"]]}, {"range": "'Members'!Z9", "values": [["x"]]}],
    }
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        client.http_client.values_batch_update(SID, body)
    assert sheets_api.formatted(SID, "Members")[0][0] == "姓名"
    with pytest.raises(gspread.exceptions.APIError, match="'valueInputOption' is required"):
        client.http_client.values_batch_update(SID, {"data": []})
