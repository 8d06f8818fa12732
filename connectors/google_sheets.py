"""A Google sheet as the tables backend, over gspread 6.2.1 (Sheets API v4).

API calls per operation (what Google sees, and what `calls` counts; retries are counted apart):
* `read_tab`: 1 read, a `values.get` of the whole tab as formatted text (what people see, so leading zeros
  typed as text survive; never `get_all_records`, which turns `02134` into 2134). Its reply also names the
  tab's grid size, so no metadata read is needed.
* `write_cells`: 1 write, a `values.batchUpdate` with `valueInputOption=RAW` (a member's `=IMPORTXML(...)`
  lands as text, never a live formula; a number we computed is sent as a JSON number, which RAW stores as
  a number, so SUM and sorting work; `USER_ENTERED` is never used), the cells grouped into rectangles;
  split into more only past `MAX_PAYLOAD_BYTES` (8 MB; Google refuses 10 MB). The API rejects writes past a
  tab's grid, so when a cell lies beyond it the write first costs 1 metadata read (the tab's sheetId) and 1
  `spreadsheets.batchUpdate` appending the missing rows or columns: 2 reads and 2 writes on that run only.
* `tab_names`: 1 metadata read.
google-auth adds one token request per connector, to Google's token endpoint (not the Sheets API).

Why gspread's `HTTPClient` rather than `Worksheet.get_all_values()`: reaching a Worksheet costs two metadata
reads per process (`open_by_key`, then `worksheet(title)`, which refetches every time), so a run would make
3 reads instead of 1. The endpoints and the values are the same; the tab's grid size is cached instead of a
Worksheet object. Idempotent calls (reads, the values write) are retried by `connectors.retry` only; the
grid-growing call is not (a repeat would add rows twice), and neither would an append be.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import gspread
import requests
from google.auth import exceptions as auth_errors
from google.oauth2.credentials import Credentials as UserCredentials

from connectors.endpoints import RebaseAdapter
from connectors.retry import RetryPolicy, parse_retry_after, retry
from connectors.tables import Cell, Grid, column_letter
from weaver.errors import ConfigError, FatalError, RetriableError, SourceError, WeaverError

T = TypeVar("T")
SHEETS_PREFIX = "https://sheets.googleapis.com/"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)  # the sheets only: no Drive access needed
REQUIRED_FIELDS = {
    "service_account": ("client_email", "private_key", "token_uri"),
    "authorized_user": ("client_id", "client_secret", "refresh_token"),
}
# Google rejects a request over 10 MB; a write larger than this is split into several batches (each one
# idempotent). Member-sync's first run on ~190,000 members still fits in one (100,000: about 4.2 MB).
MAX_PAYLOAD_BYTES = 8_000_000
_RETRIABLE_STATUS = {408, 429, 500, 502, 503, 504}
_GRID = re.compile(r"^([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$")


@dataclass
class _TabGrid:
    rows: int
    cols: int
    sheet_id: int | None = None  # known only after a metadata read


class GoogleSheetsTables:
    """The tables role over one spreadsheet. `base_url` sends the Sheets calls elsewhere (tests: a stand-in)."""

    def __init__(
        self,
        spreadsheet_id: str,
        credentials: Mapping[str, Any],
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        base_url: str | None = None,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    ) -> None:
        self.spreadsheet_id = spreadsheet_id
        self.max_payload_bytes = max_payload_bytes
        self.calls: Counter[str] = Counter()
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._account = credentials.get("client_email")  # a service account's address, for the sharing hint
        client = open_client(credentials, self.describe())
        client.set_timeout(timeout)  # gspread's default is none: a stalled connection would hang the run
        if base_url:
            client.http_client.session.mount(SHEETS_PREFIX, RebaseAdapter(SHEETS_PREFIX, base_url))
        self._http = client.http_client
        self._grids: dict[str, _TabGrid] = {}

    def describe(self) -> str:
        return f"Google sheet {self.spreadsheet_id}"

    # the TableBackend protocol --------------------------------------------------------------------------
    def read_tab(self, tab: str) -> Grid:
        params = {"valueRenderOption": "FORMATTED_VALUE", "majorDimension": "ROWS"}
        reply = self._call("read", tab, lambda: self._http.values_get(self.spreadsheet_id, _tab_range(tab), params))
        size = _grid_size(str(reply.get("range", "")))
        if size:
            known = self._grids.get(tab)
            self._grids[tab] = _TabGrid(*size, sheet_id=known.sheet_id if known else None)
        rows = reply.get("values", [])
        # formatted values are text already; convert only rows that hold anything else
        return [row if all(type(v) is str for v in row) else [_text(v) for v in row] for row in rows]

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        rows, cols = max(c.row for c in cells), max(c.col for c in cells)
        grid = self._grids.get(tab) or self._metadata(tab)
        if rows > grid.rows or cols > grid.cols:
            self._grow(tab, rows, cols)
        for data in batches(tab, cells, self.max_payload_bytes):
            body = {"valueInputOption": "RAW", "data": data}
            self._call("write", tab, lambda body=body: self._http.values_batch_update(self.spreadsheet_id, body))

    def tab_names(self) -> list[str]:
        self._metadata(None)
        return list(self._grids)

    # grid size and growth -------------------------------------------------------------------------------
    def _metadata(self, tab: str | None) -> _TabGrid:
        """One metadata read: every tab's sheetId and grid size (cached; gspread would refetch per tab)."""
        params = {"includeGridData": "false", "fields": "sheets.properties(sheetId,title,gridProperties)"}
        reply = self._call("read", tab, lambda: self._http.fetch_sheet_metadata(self.spreadsheet_id, params))
        self._grids = {}
        for sheet in reply.get("sheets", []):
            props = sheet.get("properties", {})
            grid = props.get("gridProperties", {})
            self._grids[str(props.get("title"))] = _TabGrid(
                int(grid.get("rowCount", 0)), int(grid.get("columnCount", 0)), int(props.get("sheetId", 0))
            )
        if tab is None:
            return _TabGrid(0, 0)
        if tab not in self._grids:
            raise SourceError(f"{self.describe()}: no tab named {tab!r} (tabs: {', '.join(self._grids)})")
        return self._grids[tab]

    def _grow(self, tab: str, rows: int, cols: int) -> None:
        """Append the rows and columns a write needs; one call, made once (never retried: not idempotent)."""
        grid = self._grids.get(tab)
        if grid is None or grid.sheet_id is None:
            grid = self._metadata(tab)  # fresh size and the sheetId the request needs
        more = [("ROWS", rows - grid.rows), ("COLUMNS", cols - grid.cols)]
        requests_ = [
            {"appendDimension": {"sheetId": grid.sheet_id, "dimension": dim, "length": n}} for dim, n in more if n > 0
        ]
        if not requests_:
            return
        body = {"requests": requests_}
        self._call("grow", tab, lambda: self._http.batch_update(self.spreadsheet_id, body), idempotent=False)
        grid.rows, grid.cols = max(grid.rows, rows), max(grid.cols, cols)

    # one call: count, retry if idempotent, translate errors ---------------------------------------------
    def _call(self, kind: str, tab: str | None, fn: Callable[[], T], idempotent: bool = True) -> T:
        self.calls["write" if kind in ("write", "grow") else "read"] += 1
        where = f"{self.describe()}" + (f", tab {tab!r}" if tab else "")
        doing = {"read": "reading", "write": "writing", "grow": "adding rows or columns"}[kind]

        def once() -> T:
            try:
                return fn()
            except gspread.exceptions.APIError as exc:
                error = self._translate(exc, where, doing, tab)
            except requests.Timeout:
                error = RetriableError(f"{where}: {doing}: no answer from Google within {self.timeout:g} s")
            except (requests.ConnectionError, auth_errors.TransportError):
                error = RetriableError(f"{where}: {doing}: could not connect to Google")
            except auth_errors.RefreshError as exc:
                error = _refresh_error(exc, where)
            raise error

        if not idempotent:
            return once()
        started, retries = time.monotonic(), Counter[str]()

        def count_retry(_exc: RetriableError) -> None:
            retries["n"] += 1
            self.calls["retried"] += 1

        try:
            return retry(once, self.policy, on_retry=count_retry)
        except RetriableError as exc:
            spent = time.monotonic() - started
            tries = retries["n"] + 1
            raise RetriableError(f"{exc}; gave up after {tries} tries in {spent:.0f} s", exc.retry_after) from None

    def _translate(self, exc: gspread.exceptions.APIError, where: str, doing: str, tab: str | None) -> WeaverError:
        """Google's error as ours. Its message is never copied: it can echo a cell's value."""
        code = exc.response.status_code
        status = str(exc.error.get("status") or "")
        status = status if re.fullmatch(r"[A-Z_]+", status) else ""  # gspread puts parse errors here
        message = str(exc.error.get("message") or "")
        label = f"{code} {status}".strip()
        if code in _RETRIABLE_STATUS:
            after = parse_retry_after(exc.response.headers.get("Retry-After"))
            busy = "rate limited by Google" if code == 429 else "Google is unavailable"
            return RetriableError(f"{where}: {doing}: {busy} ({label})", after)
        if code == 400 and message.startswith("Unable to parse range") and tab:
            return SourceError(f"{self.describe()}: no tab named {tab!r}")
        if code == 401:
            return FatalError(f"{where}: {doing}: Google rejected the credentials ({label})")
        if code == 403:
            return FatalError(f"{where}: {doing}: {self._no_access(exc)} ({label})")
        if code == 404:
            return FatalError(f"{where}: {doing}: no such spreadsheet ({label}); check [tables] spreadsheet_id")
        return FatalError(f"{where}: {doing}: the request was rejected ({label})")

    def _no_access(self, exc: gspread.exceptions.APIError) -> str:
        reasons = {d.get("reason") for d in exc.error.get("details", []) if isinstance(d, dict)}
        if "SERVICE_DISABLED" in reasons:
            return "the Google Sheets API is not enabled in the credentials' Cloud project"
        who = self._account or "the Google account of the configured token"
        return f"no access; share the sheet with {who} as an editor"


def open_client(credentials: Mapping[str, Any], where: str) -> gspread.Client:
    """A gspread client for a service-account key or an authorized-user token (makes no request)."""
    problem = credentials_problem(credentials)
    if problem:
        raise ConfigError(f"{where}: {problem}")
    kind = credentials["type"]
    try:
        if kind == "service_account":
            return gspread.service_account_from_dict(credentials, scopes=list(SCOPES))
        return gspread.authorize(_user_credentials(credentials))
    except ValueError:
        # google-auth's message for a malformed key may quote it: say only what kind of file it is not
        raise ConfigError(f"{where}: the {kind.replace('_', '-')} credentials cannot be read (malformed key)") from None


def _user_credentials(info: Mapping[str, Any]) -> UserCredentials:
    """An authorized user's token. Built field by field because `from_authorized_user_info` ignores the
    file's `token_uri` (it always uses Google's), and a file that names another endpoint means it."""
    return UserCredentials(
        token=None,
        refresh_token=info["refresh_token"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        token_uri=info.get("token_uri") or GOOGLE_TOKEN_URI,
        scopes=list(SCOPES),
    )


def credentials_problem(credentials: Mapping[str, Any]) -> str | None:
    """What is wrong with a key or token's fields (named, never their values), or None."""
    kind = str(credentials.get("type", ""))
    if kind not in REQUIRED_FIELDS:
        found = f"its type is {kind!r}" if kind else "it has no 'type'"
        return f"neither a service-account key nor an authorized-user token ({found})"
    missing = [f for f in REQUIRED_FIELDS[kind] if not credentials.get(f)]
    if missing:
        return f"the {kind.replace('_', '-')} credentials lack {', '.join(repr(f) for f in missing)}"
    return None


def _refresh_error(exc: auth_errors.RefreshError, where: str) -> WeaverError:
    if getattr(exc, "retryable", False):
        return RetriableError(f"{where}: Google's token endpoint is unavailable")
    return FatalError(f"{where}: Google refused the credentials (revoked, expired or a wrong key)")


# ranges and values --------------------------------------------------------------------------------------
def blocks(cells: Sequence[Cell]) -> list[tuple[int, int, list[list[str]]]]:
    """Cells as few rectangles as possible: (top row, left col, values). The last value for a cell wins.

    Runs of adjacent cells in a row form a segment; segments at the same columns in consecutive rows stack.
    Member-sync's two owned columns on every row become one rectangle.
    """
    rows: dict[int, dict[int, str]] = {}
    for cell in cells:
        rows.setdefault(cell.row, {})[cell.col] = cell.value
    out: list[tuple[int, int, list[list[str]]]] = []
    open_blocks: dict[tuple[int, int], tuple[int, int, list[list[str]]]] = {}  # (left, width) -> last block
    for row in sorted(rows):
        for left, values in _segments(rows[row]):
            key = (left, len(values))
            block = open_blocks.get(key)
            if block and block[0] + len(block[2]) == row:
                block[2].append(values)
            else:
                block = (row, left, [values])
                open_blocks[key] = block
                out.append(block)
    return out


def batches(tab: str, cells: Sequence[Cell], limit: int) -> list[list[dict[str, Any]]]:
    """The `data` of each values.batchUpdate: every block, split by rows so no request passes `limit`."""
    out: list[list[dict[str, Any]]] = [[]]
    size = 0
    for top, left, values in blocks(cells):
        first = 0
        for i, line in enumerate(values):
            cost = _json_size(line)
            if size + cost > limit and (out[-1] or i > first):
                if i > first:
                    out[-1].append(_entry(tab, top + first, left, values[first:i]))
                out.append([])
                size, first = 0, i
            size += cost
        out[-1].append(_entry(tab, top + first, left, values[first:]))
        size += 80  # the entry's range and keys
    return [data for data in out if data]


def _entry(tab: str, row: int, col: int, values: list[list[str]]) -> dict[str, Any]:
    return {"range": _block_range(tab, row, col, values), "majorDimension": "ROWS", "values": values}


def _json_size(line: list[str]) -> int:
    """Bytes of a row in the request's JSON; non-ASCII is sent as \\uXXXX escapes (6 bytes a character)."""
    return 2 + sum(len(v) + 4 if v.isascii() else 6 * len(v) + 4 for v in map(str, line))


def _segments(row: dict[int, str]) -> list[tuple[int, list[str]]]:
    segments: list[tuple[int, list[str]]] = []
    for col in sorted(row):
        if segments and segments[-1][0] + len(segments[-1][1]) == col:
            segments[-1][1].append(row[col])
        else:
            segments.append((col, [row[col]]))
    return segments


def _tab_range(tab: str) -> str:
    return "'" + tab.replace("'", "''") + "'"


def _block_range(tab: str, row: int, col: int, values: list[list[str]]) -> str:
    right = col + len(values[0]) - 1
    bottom = row + len(values) - 1
    return f"{_tab_range(tab)}!{column_letter(col)}{row}:{column_letter(right)}{bottom}"


def _grid_size(range_a1: str) -> tuple[int, int] | None:
    """(rows, cols) of a whole-tab range as the API reports it: 'Members'!A1:Z1000 -> (1000, 26)."""
    found = _GRID.match(range_a1.rpartition("!")[2])
    if not found or found[1] != "A" or found[2] != "1":
        return None
    last_col, last_row = found[3] or found[1], found[4] or found[2]
    cols = 0
    for ch in last_col:
        cols = cols * 26 + ord(ch) - 64
    return int(last_row), cols


def _text(value: Any) -> str:
    """Our own typing: every cell becomes text (formatted values are text already; be safe with others)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
