"""Funding opportunities from the Grants.gov search API (`search2` and `fetchOpportunity`), via requests.

No API key is needed. Success is `errorcode == 0` in the JSON body, not only HTTP 200: Grants.gov answers
some failures with 200 and a non-zero errorcode. Both endpoints are POSTs that only read, so they are
retried (boundedly, honouring Retry-After) like any idempotent call. One `requests.Session` is reused for
every call of a run. The base URL is a constructor argument, so tests point the client at 127.0.0.1.

Search hits carry no money; `fetchOpportunity` gives the award ceiling and floor, as strings that may be
`"none"`. Close dates arrive as `MM/DD/YYYY` or `""` (forecasts often have none); we return ISO dates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

import requests

from connectors.retry import RetryPolicy, request_with_retry
from weaver.errors import FatalError

DEFAULT_BASE_URL = "https://api.grants.gov/v1/api/"
DETAIL_PAGE = "https://www.grants.gov/search-results-detail/{id}"  # the page a coordinator opens
_US_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
_MONEY = re.compile(r"^\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)$")


@dataclass(frozen=True)
class GrantsQuery:
    keyword: str
    statuses: tuple[str, ...] = ("forecasted", "posted")
    agencies: tuple[str, ...] = ()
    funding_categories: tuple[str, ...] = ()
    eligibilities: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """search2 takes lists as `|`-joined strings; empty filters are left out."""
        body: dict[str, Any] = {"keyword": self.keyword, "oppStatuses": "|".join(self.statuses)}
        for key, values in (
            ("agencies", self.agencies),
            ("fundingCategories", self.funding_categories),
            ("eligibilities", self.eligibilities),
        ):
            if values:
                body[key] = "|".join(values)
        return body


@dataclass(frozen=True)
class GrantHit:
    """One search2 hit, typed: `close_date` is None when Grants.gov gives none (or an unreadable one)."""

    id: str
    number: str
    title: str
    agency: str
    agency_code: str
    open_date: date | None
    close_date: date | None
    status: str

    @property
    def link(self) -> str:
        return DETAIL_PAGE.format(id=self.id)


@dataclass(frozen=True)
class GrantDetail:
    id: str
    award_ceiling: int | None  # whole US dollars; None when the agency published no figure
    award_floor: int | None
    agency: str = ""


@dataclass
class SearchResult:
    hits: list[GrantHit] = field(default_factory=list)
    hit_count: int = 0
    pages: int = 0

    @property
    def truncated(self) -> bool:
        """More hits exist than the page limit let us read."""
        return len(self.hits) < self.hit_count


class GrantsSearch(Protocol):
    calls: Counter[str]

    def search(self, query: GrantsQuery, *, page_size: int = 100, max_pages: int = 5) -> SearchResult: ...

    def fetch_opportunity(self, opportunity_id: str) -> GrantDetail: ...

    def close(self) -> None: ...


def us_date(text: str | None) -> date | None:
    match = _US_DATE.match(text or "")
    if not match:
        return None
    try:
        return date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError:
        return None


def whole_dollars(value: object) -> int | None:
    """`"500000"`, `"$1,250,000"`, `250000` -> int; `"none"`, `""`, prose -> None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return int(value) if value > 0 else None
    match = _MONEY.match(str(value).strip())
    if not match:
        return None
    amount = int(float(match[1].replace(",", "")))
    return amount or None


class GrantsGovClient:
    """A small client over `requests` for search2 and fetchOpportunity; counts calls per endpoint."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 30.0,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", "User-Agent": "network-weaver/0.1"})
        self.calls: Counter[str] = Counter()

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> GrantsGovClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST and return `data`; raise FatalError unless the body says errorcode 0."""
        what = f"Grants.gov {endpoint}"
        response = request_with_retry(
            self.session, "POST", self.base_url + endpoint, json=body, what=what,
            timeout=self.timeout, policy=self.policy, calls=self.calls,
        )  # fmt: skip
        try:
            payload = response.json()
        except ValueError:
            raise FatalError(f"{what}: the answer is not JSON") from None
        if not isinstance(payload, dict):
            raise FatalError(f"{what}: unexpected answer (not a JSON object)")
        code = payload.get("errorcode")
        if code != 0:
            message = " ".join(str(payload.get("msg") or "").split())[:160]
            raise FatalError(f"{what}: errorcode {code}" + (f" ({message})" if message else ""))
        data = payload.get("data")
        if not isinstance(data, dict):
            raise FatalError(f"{what}: errorcode 0 but no 'data' in the answer")
        return data

    def search(self, query: GrantsQuery, *, page_size: int = 100, max_pages: int = 5) -> SearchResult:
        """Every hit for the query, page by page (`startRecordNum`), up to `max_pages` pages."""
        result = SearchResult()
        start = 0
        while result.pages < max_pages:
            data = self._post("search2", {**query.body(), "rows": page_size, "startRecordNum": start})
            page = data.get("oppHits") or []
            result.hit_count = _int(data.get("hitCount"), len(page) + start)
            result.pages += 1
            result.hits.extend(_hit(h) for h in page if isinstance(h, dict) and h.get("id") is not None)
            start += len(page)
            if not page or start >= result.hit_count:
                break
        return result

    def fetch_opportunity(self, opportunity_id: str) -> GrantDetail:
        """Award ceiling and floor of one opportunity (search hits carry no money)."""
        data = self._post("fetchOpportunity", {"opportunityId": _int(opportunity_id, opportunity_id)})
        synopsis = data.get("synopsis") or {}
        if not isinstance(synopsis, dict):
            synopsis = {}
        return GrantDetail(
            id=str(data.get("id", opportunity_id)),
            award_ceiling=whole_dollars(synopsis.get("awardCeiling")),
            award_floor=whole_dollars(synopsis.get("awardFloor")),
            agency=str(synopsis.get("agencyName") or data.get("agencyName") or ""),
        )


def _int(value: object, default: Any) -> Any:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _hit(raw: dict[str, Any]) -> GrantHit:
    text = {k: " ".join(str(raw.get(k) or "").split()) for k in ("number", "title", "agencyCode", "oppStatus")}
    # The live API names the agency `agency`; older documentation says `agencyName`: accept either.
    agency = " ".join(str(raw.get("agency") or raw.get("agencyName") or "").split())
    return GrantHit(
        id=str(raw["id"]),
        number=text["number"],
        title=text["title"],
        agency=agency or text["agencyCode"],
        agency_code=text["agencyCode"],
        open_date=us_date(raw.get("openDate")),
        close_date=us_date(raw.get("closeDate")),
        status=text["oppStatus"],
    )
