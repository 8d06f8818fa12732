"""A stateful Google Sheets API v4 stand-in: the endpoints gspread uses, with the real API's rules.

Modelled: spreadsheet metadata (`spreadsheets.get`), `values.get`, `values.batchGet`, `values.update`,
`values.batchUpdate`, `values.append`, and `spreadsheets.batchUpdate` (appendDimension,
updateSheetProperties, addSheet). Ranges arrive percent-encoded (`values/%27Members%27%21A1`) and are
decoded; A1 notation with quoted titles (`'It''s'!A1:B2`), whole tabs, whole columns and anchors works.

Rules of the real API kept here because connectors must cope with them:
* a write to a range past the tab's grid is rejected with 400 "exceeds grid limits" (only `append` and
  `appendDimension` grow a grid); a spreadsheet holds at most 10 million cells; a request body over 10 MB
  is refused;
* `valueInputOption` is required on writes; `RAW` stores text as text, `USER_ENTERED` parses it as if typed
  (`=...` becomes a formula, `007` the number 7);
* `values.get` of a whole tab reports the whole grid as its range (`'Members'!A1:Z1000`) and omits trailing
  empty rows and cells; values are formatted text unless another `valueRenderOption` is asked for;
* a spreadsheet not shared with the caller answers 403, an unknown one 404, an unknown tab 400.
Formulas are stored, not evaluated: their formatted value is `#N/A`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.standins.base import ApiError, Reply, Request, route
from tests.standins.google import GoogleStandIn

MAX_CELLS = 10_000_000
MAX_REQUEST_BYTES = 10_485_760
_SID = r"(?P<sid>[A-Za-z0-9_-]+)"
_A1 = re.compile(r"^(?P<c1>[A-Z]*)(?P<r1>\d*)(?::(?P<c2>[A-Z]*)(?P<r2>\d*))?$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Formula:
    text: str


Value = str | int | float | bool | Formula


@dataclass
class Tab:
    sheet_id: int
    title: str
    rows: int
    cols: int
    cells: list[list[Value]] = field(default_factory=list)

    def get(self, row: int, col: int) -> Value:
        """The stored value at 1-based (row, col); '' when empty."""
        if row <= len(self.cells) and col <= len(self.cells[row - 1]):
            return self.cells[row - 1][col - 1]
        return ""

    def put(self, row: int, col: int, value: Value) -> None:
        while len(self.cells) < row:
            self.cells.append([])
        line = self.cells[row - 1]
        if len(line) < col:
            line.extend([""] * (col - len(line)))
        line[col - 1] = value


@dataclass
class Spreadsheet:
    sid: str
    title: str
    tabs: list[Tab] = field(default_factory=list)
    shared_with: set[str] | None = None  # None: anyone with a token may open it

    def tab(self, title: str) -> Tab | None:
        return next((t for t in self.tabs if t.title == title), None)

    def cell_count(self) -> int:
        return sum(t.rows * t.cols for t in self.tabs)


@dataclass(frozen=True)
class Span:
    """A resolved A1 range: 1-based inclusive bounds; `anchor` means only a start cell was given."""

    tab: Tab
    r1: int
    c1: int
    r2: int
    c2: int
    anchor: bool = False


class SheetsStandIn(GoogleStandIn):
    service = "sheets.googleapis.com"
    scope = "https://www.googleapis.com/auth/spreadsheets"

    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.spreadsheets: dict[str, Spreadsheet] = {}

    # setup helpers for tests -----------------------------------------------------------------------------
    def add_spreadsheet(self, sid: str, title: str = "Network", shared_with: set[str] | None = None) -> Spreadsheet:
        book = Spreadsheet(sid, title, shared_with=shared_with)
        self.spreadsheets[sid] = book
        return book

    def add_tab(
        self, sid: str, title: str, grid: list[list[str]], rows: int | None = None, cols: int | None = None
    ) -> Tab:
        """A tab holding `grid` as text. Its grid is 1000 x 26 (a new Google sheet) or larger to fit."""
        book = self.spreadsheets[sid]
        width = max((len(r) for r in grid), default=0)
        tab = Tab(len(book.tabs) * 1000 + 1, title, rows or max(1000, len(grid)), cols or max(26, width))
        tab.cells = [list(r) for r in grid]
        book.tabs.append(tab)
        return tab

    def formatted(self, sid: str, title: str) -> list[list[str]]:
        """A tab's values as `values.get` returns them (formatted text, trailing empties dropped)."""
        tab = self.spreadsheets[sid].tab(title)
        assert tab is not None, title
        return _trim([[_render(v, "FORMATTED_VALUE") for v in row] for row in tab.cells])

    # API: spreadsheets -----------------------------------------------------------------------------------
    def _book(self, req: Request) -> Spreadsheet:
        who = self.principal(req)
        if len(req.body) > MAX_REQUEST_BYTES:
            raise ApiError(400, f"Request payload size exceeds the limit: {MAX_REQUEST_BYTES} bytes.")
        book = self.spreadsheets.get(req.params["sid"])
        if book is None:
            raise ApiError(404, "Requested entity was not found.")
        if book.shared_with is not None and who not in book.shared_with:
            raise ApiError(403, "The caller does not have permission")
        return book

    @route("GET", rf"/v4/spreadsheets/{_SID}", "spreadsheets.get")
    def _get(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            if req.arg("includeGridData", "false") == "true":
                raise ApiError(400, "stand-in: includeGridData=true is not modelled")
            return Reply(200, _metadata(book))

    @route("POST", rf"/v4/spreadsheets/{_SID}:batchUpdate", "spreadsheets.batchUpdate")
    def _batch_update(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            requests = (req.json() or {}).get("requests") or []
            sizes = {t.sheet_id: (t.rows, t.cols) for t in book.tabs}
            new_tabs: list[tuple[str, int, int]] = []
            for i, request in enumerate(requests):  # validate all first: the whole batch applies or nothing
                _structural(book, request, i, sizes, new_tabs)
            cells = sum(r * c for r, c in sizes.values()) + sum(r * c for _t, r, c in new_tabs)
            if cells > MAX_CELLS:
                raise ApiError(
                    400,
                    f"This action would increase the number of cells in the workbook above the limit of "
                    f"{MAX_CELLS} cells.",
                )
            for tab in book.tabs:
                tab.rows, tab.cols = sizes[tab.sheet_id]
            replies: list[dict[str, Any]] = [{} for _ in requests]
            for i, request in enumerate(requests):
                if "addSheet" in request:
                    title, rows, cols = new_tabs.pop(0)
                    book.tabs.append(Tab(max((t.sheet_id for t in book.tabs), default=-1) + 1, title, rows, cols))
                    replies[i] = {"addSheet": _metadata(book)["sheets"][-1]}
            return Reply(200, {"spreadsheetId": book.sid, "replies": replies})

    # API: values -----------------------------------------------------------------------------------------
    @route("GET", rf"/v4/spreadsheets/{_SID}/values:batchGet", "values.batchGet")
    def _values_batch_get(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            ranges = req.query.get("ranges", [])
            found = [_value_range(_resolve(book, r), req) for r in ranges]
            return Reply(200, {"spreadsheetId": book.sid, "valueRanges": found})

    @route("POST", rf"/v4/spreadsheets/{_SID}/values:batchUpdate", "values.batchUpdate")
    def _values_batch_update(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            body = req.json() or {}
            option = _input_option(body.get("valueInputOption"))
            data = body.get("data") or []
            planned = [(_resolve(book, d.get("range", "")), d.get("values") or []) for d in data]
            for span, values in planned:  # validate everything before writing anything: it is atomic
                _check_fits(span, values)
            responses = [_write(span, values, option, book.sid) for span, values in planned]
            return Reply(200, _totals(book.sid, responses))

    @route("POST", rf"/v4/spreadsheets/{_SID}/values/(?P<range>.+):append", "values.append")
    def _values_append(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            option = _input_option(req.arg("valueInputOption"))
            values = (req.json() or {}).get("values") or []
            span = _resolve(book, req.params["range"])
            tab = span.tab
            last = max((i + 1 for i, row in enumerate(tab.cells) if any(v != "" for v in row)), default=0)
            start = max(last + 1, span.r1 if not span.anchor else 1)
            need = start + len(values) - 1
            if need > tab.rows:
                tab.rows = need  # append grows the grid, unlike update
            target = Span(tab, start, span.c1, start, span.c1, anchor=True)
            _check_fits(target, values)
            update = _write(target, values, option, book.sid)
            table = f"{_quote(tab.title)}!{_a1(span.c1)}1:{_a1(span.c2)}{max(last, 1)}"
            return Reply(200, {"spreadsheetId": book.sid, "tableRange": table, "updates": update})

    @route("GET", rf"/v4/spreadsheets/{_SID}/values/(?P<range>.+)", "values.get")
    def _values_get(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            return Reply(200, _value_range(_resolve(book, req.params["range"]), req))

    @route("PUT", rf"/v4/spreadsheets/{_SID}/values/(?P<range>.+)", "values.update")
    def _values_update(self, req: Request) -> Reply:
        with self.lock:
            book = self._book(req)
            option = _input_option(req.arg("valueInputOption"))
            span = _resolve(book, req.params["range"])
            values = (req.json() or {}).get("values") or []
            _check_fits(span, values)
            return Reply(200, _write(span, values, option, book.sid))


# ---------------------------------------------------------------------------------------------------------
def _metadata(book: Spreadsheet) -> dict[str, Any]:
    sheets = [
        {
            "properties": {
                "sheetId": t.sheet_id,
                "title": t.title,
                "index": i,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": t.rows, "columnCount": t.cols},
            }
        }
        for i, t in enumerate(book.tabs)
    ]
    return {
        "spreadsheetId": book.sid,
        "properties": {"title": book.title, "locale": "en_US", "timeZone": "Asia/Shanghai", "autoRecalc": "ON_CHANGE"},
        "sheets": sheets,
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{book.sid}/edit",
    }


def _structural(
    book: Spreadsheet,
    request: dict[str, Any],
    index: int,
    sizes: dict[int, tuple[int, int]],
    new_tabs: list[tuple[str, int, int]],
) -> None:
    """Validate one spreadsheets.batchUpdate request and record its effect in `sizes` / `new_tabs`."""
    if "appendDimension" in request:
        spec = request["appendDimension"]
        sheet_id = _tab_by_id(book, spec.get("sheetId"), index).sheet_id
        rows, cols = sizes[sheet_id]
        length = int(spec.get("length", 0))
        if length < 1:
            raise ApiError(400, f"Invalid requests[{index}].appendDimension: length must be positive")
        if spec.get("dimension") not in ("ROWS", "COLUMNS"):
            raise ApiError(400, f"Invalid requests[{index}].appendDimension: dimension must be ROWS or COLUMNS")
        sizes[sheet_id] = (rows + length, cols) if spec["dimension"] == "ROWS" else (rows, cols + length)
    elif "updateSheetProperties" in request:
        props = request["updateSheetProperties"].get("properties", {})
        sheet_id = _tab_by_id(book, props.get("sheetId"), index).sheet_id
        grid = props.get("gridProperties", {})
        rows, cols = sizes[sheet_id]
        sizes[sheet_id] = (int(grid.get("rowCount", rows)), int(grid.get("columnCount", cols)))
    elif "addSheet" in request:
        props = request["addSheet"].get("properties", {})
        title = props.get("title") or f"Sheet{len(book.tabs) + len(new_tabs) + 1}"
        if book.tab(title) or any(t[0] == title for t in new_tabs):
            message = f'Invalid requests[{index}].addSheet: A sheet with the name "{title}" already exists.'
            raise ApiError(400, message)
        grid = props.get("gridProperties", {})
        new_tabs.append((title, int(grid.get("rowCount", 1000)), int(grid.get("columnCount", 26))))
    else:
        kind = next(iter(request), "?")
        raise ApiError(400, f"stand-in: requests[{index}].{kind} is not modelled")


def _tab_by_id(book: Spreadsheet, sheet_id: object, index: int) -> Tab:
    for tab in book.tabs:
        if tab.sheet_id == sheet_id:
            return tab
    raise ApiError(400, f"Invalid requests[{index}]: No grid with id: {sheet_id}")


def _resolve(book: Spreadsheet, text: str) -> Span:
    """Resolve an A1 range the way the API does, or answer 400 'Unable to parse range'."""
    title, bang, cells = _split_title(text)
    if not bang:
        tab = book.tab(title)
        if tab is not None:
            return Span(tab, 1, 1, tab.rows, tab.cols)
        title, cells = (book.tabs[0].title if book.tabs else ""), text  # 'A1:B2' means the first tab
    tab = book.tab(title)
    found = _A1.match(cells)
    if tab is None or not found or not cells:
        raise ApiError(400, f"Unable to parse range: {text}")
    c1, r1, c2, r2 = (found[g] or "" for g in ("c1", "r1", "c2", "r2"))
    single = found["c2"] is None
    if single and not (c1 and r1):
        raise ApiError(400, f"Unable to parse range: {text}")
    top, left = int(r1 or 1), _col(c1) if c1 else 1
    if single:
        return Span(tab, top, left, top, left, anchor=True)
    bottom = int(r2) if r2 else tab.rows
    right = _col(c2) if c2 else tab.cols
    return Span(tab, top, left, bottom, right)


def _split_title(text: str) -> tuple[str, bool, str]:
    if text.startswith("'"):
        i, title = 1, []
        while i < len(text):
            if text[i] == "'":
                if text[i + 1 : i + 2] == "'":
                    title.append("'")
                    i += 2
                    continue
                rest = text[i + 1 :]
                return "".join(title), rest.startswith("!"), rest[1:]
            title.append(text[i])
            i += 1
        raise ApiError(400, f"Unable to parse range: {text}")
    title, bang, cells = text.rpartition("!")
    return (title, True, cells) if bang else (text, False, "")


def _check_fits(span: Span, values: list[list[Any]]) -> None:
    tab = span.tab
    height = len(values)
    width = max((len(r) for r in values), default=0)
    bottom, right = span.r1 + height - 1, span.c1 + width - 1
    if not span.anchor and (bottom > span.r2 or right > span.c2):
        raise ApiError(
            400,
            f"Requested writing within range [{_span_a1(span)}], but tried writing to "
            + (f"row [{bottom}]" if bottom > span.r2 else f"column [{_a1(right)}]"),
        )
    if max(span.r2, bottom) > tab.rows or max(span.c2, right) > tab.cols:
        far = f"{_quote(tab.title)}!{_a1(max(span.c2, right))}{max(span.r2, bottom)}"
        raise ApiError(400, f"Range ({far}) exceeds grid limits. Max rows: {tab.rows}, max columns: {tab.cols}")


def _write(span: Span, values: list[list[Any]], option: str, sid: str) -> dict[str, Any]:
    for i, row in enumerate(values):
        for j, value in enumerate(row):
            span.tab.put(span.r1 + i, span.c1 + j, _parse(value, option))
    height = len(values)
    width = max((len(r) for r in values), default=0)
    updated = f"{_quote(span.tab.title)}!{_a1(span.c1)}{span.r1}"
    if height and width:
        updated += f":{_a1(span.c1 + width - 1)}{span.r1 + height - 1}"
    cells = sum(len(r) for r in values)
    return {"spreadsheetId": sid, "updatedRange": updated, "updatedRows": height, "updatedColumns": width,
            "updatedCells": cells}  # fmt: skip


def _totals(sid: str, responses: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "spreadsheetId": sid,
        "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
        "totalUpdatedColumns": sum(r["updatedColumns"] for r in responses),
        "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
        "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in responses}),
        "responses": responses,
    }


def _value_range(span: Span, req: Request) -> dict[str, Any]:
    if span.r2 > span.tab.rows or span.c2 > span.tab.cols:
        far = f"{_quote(span.tab.title)}!{_a1(span.c2)}{span.r2}"
        raise ApiError(
            400, f"Range ({far}) exceeds grid limits. Max rows: {span.tab.rows}, max columns: {span.tab.cols}"
        )
    render = req.arg("valueRenderOption") or "FORMATTED_VALUE"
    cells = span.tab.cells
    rows = [
        [v if type(v) is str else _render(v, render) for v in cells[r - 1][span.c1 - 1 : span.c2]]
        for r in range(span.r1, min(span.r2, len(cells)) + 1)
    ]
    major = req.arg("majorDimension") or "ROWS"
    if major == "COLUMNS":
        width = max((len(r) for r in rows), default=0)
        rows = [[r[c] if c < len(r) else "" for r in rows] for c in range(width)]
    found: dict[str, Any] = {"range": _span_a1(span), "majorDimension": major}
    values = _trim(rows)
    if values:
        found["values"] = values
    return found


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    """Drop trailing empty cells of each row and trailing empty rows, as the API does."""
    out = []
    for row in rows:
        end = len(row)
        while end and row[end - 1] == "":
            end -= 1
        out.append(row[:end])
    while out and not out[-1]:
        out.pop()
    return out


def _input_option(option: object) -> str:
    if option not in ("RAW", "USER_ENTERED"):
        raise ApiError(400, "'valueInputOption' is required but not specified" if not option else
                       f"Invalid value at 'value_input_option' ({option})")  # fmt: skip
    return str(option)


def _parse(value: Any, option: str) -> Value:
    """A written value as the sheet stores it: RAW keeps text as text; USER_ENTERED parses as if typed."""
    if not isinstance(value, str):
        return value if isinstance(value, int | float | bool) else str(value)
    if option == "RAW":
        return value
    if value.startswith("'"):
        return value[1:]
    if value.startswith("=") and len(value) > 1:
        return Formula(value)
    if value.upper() in ("TRUE", "FALSE"):
        return value.upper() == "TRUE"
    if _NUMBER.match(value):
        number = float(value)
        return int(number) if number.is_integer() else number
    return value


def _render(value: Value, render: str) -> Any:
    if isinstance(value, Formula):
        return value.text if render == "FORMULA" else "#N/A"
    if render != "FORMATTED_VALUE":
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _a1(col: int) -> str:
    out = ""
    while col > 0:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _quote(title: str) -> str:
    """Titles are quoted in ranges the API returns unless they are plain ASCII words."""
    return title if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", title) else "'" + title.replace("'", "''") + "'"


def _span_a1(span: Span) -> str:
    return f"{_quote(span.tab.title)}!{_a1(span.c1)}{span.r1}:{_a1(span.c2)}{span.r2}"
