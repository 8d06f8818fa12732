"""The Grants.gov client through real requests against the stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from connectors.grants import GrantsGovClient, GrantsQuery, whole_dollars
from connectors.retry import RetryPolicy, retry_after_seconds
from tests.standins.grants import Fault, GrantsGovStandin, Opportunity
from weaver.errors import FatalError, RetriableError


@pytest.fixture
def standin() -> Iterator[GrantsGovStandin]:
    opportunities = [
        Opportunity(str(1000 + i), f"Climate resilience grant {i}", close_date=f"0{1 + i % 9}/15/2027")
        for i in range(23)
    ]
    opportunities.append(Opportunity("2000", "Climate data forecast", status="forecasted", close_date=""))
    opportunities.append(Opportunity("3000", "Arts education", close_date="03/01/2027"))
    with GrantsGovStandin(opportunities) as server:
        yield server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(standin: GrantsGovStandin, sleeps: Sleeps | None = None, attempts: int = 4) -> GrantsGovClient:
    policy = RetryPolicy(attempts=attempts, sleep=sleeps if sleeps is not None else Sleeps(), rand=lambda: 0.5)
    return GrantsGovClient(standin.base_url, timeout=5, policy=policy)


def test_search_pages_through_every_hit(standin: GrantsGovStandin) -> None:
    with client(standin) as api:
        result = api.search(GrantsQuery("climate"), page_size=10)
    assert result.hit_count == 24 and len(result.hits) == 24 and not result.truncated
    assert standin.calls["search2"] == 3  # 10 + 10 + 4
    assert [b["startRecordNum"] for _, b in standin.bodies] == [0, 10, 20]
    assert standin.bodies[0][1]["oppStatuses"] == "forecasted|posted"
    assert len({h.id for h in result.hits}) == 24


def test_search_stops_at_the_page_limit_and_says_so(standin: GrantsGovStandin) -> None:
    with client(standin) as api:
        result = api.search(GrantsQuery("climate"), page_size=10, max_pages=2)
    assert len(result.hits) == 20 and result.truncated and standin.calls["search2"] == 2


def test_hits_are_typed_and_an_empty_close_date_is_none(standin: GrantsGovStandin) -> None:
    with client(standin) as api:
        hits = {h.id: h for h in api.search(GrantsQuery("climate")).hits}
    assert hits["1000"].close_date == date(2027, 1, 15)
    assert hits["1000"].agency == "Environmental Protection Agency" and hits["1000"].status == "posted"
    assert hits["2000"].close_date is None and hits["2000"].status == "forecasted"
    assert hits["1000"].link.endswith("/1000")


def test_filters_are_sent_pipe_joined(standin: GrantsGovStandin) -> None:
    query = GrantsQuery("climate", statuses=("posted",), agencies=("EPA", "DOS-CHN"), eligibilities=("12",))
    with client(standin) as api:
        api.search(query)
    body = standin.bodies[0][1]
    assert (body["oppStatuses"], body["agencies"], body["eligibilities"]) == ("posted", "EPA|DOS-CHN", "12")
    assert "fundingCategories" not in body


def test_fetch_opportunity_reads_award_amounts(standin: GrantsGovStandin) -> None:
    opp = standin.by_id("1003")
    assert opp is not None
    opp.award_ceiling, opp.award_floor = "250000", "none"
    with client(standin) as api:
        detail = api.fetch_opportunity("1003")
    assert (detail.award_ceiling, detail.award_floor) == (250000, None)
    assert standin.bodies[0] == ("fetchOpportunity", {"opportunityId": 1003})


def test_a_nonzero_errorcode_is_an_error_even_with_http_200(standin: GrantsGovStandin) -> None:
    standin.faults.append(Fault(200, body={"errorcode": 7, "msg": "Invalid search parameters", "data": {}}))
    with client(standin) as api, pytest.raises(FatalError, match=r"search2: errorcode 7 \(Invalid search"):
        api.search(GrantsQuery("climate"))
    assert standin.calls["search2"] == 1  # an answered error is not retried


def test_an_unknown_opportunity_is_an_errorcode_error(standin: GrantsGovStandin) -> None:
    with client(standin) as api, pytest.raises(FatalError, match="fetchOpportunity: errorcode 1"):
        api.fetch_opportunity("999999")


def test_429_waits_for_retry_after_then_succeeds(standin: GrantsGovStandin) -> None:
    standin.faults.append(Fault(429, headers={"Retry-After": "3"}))
    standin.faults.append(Fault(503))
    sleeps = Sleeps()
    with client(standin, sleeps) as api:
        result = api.search(GrantsQuery("arts"))
    assert len(result.hits) == 1
    assert sleeps == [3.15, 1.0]  # Retry-After honoured (+ up to 10% jitter); then back-off 0.5 x min(32, 1 s x 2)
    assert standin.calls["search2"] == 3


def test_retries_are_bounded(standin: GrantsGovStandin) -> None:
    standin.faults.extend(Fault(503) for _ in range(5))
    sleeps = Sleeps()
    with client(standin, sleeps, attempts=3) as api, pytest.raises(RetriableError, match="HTTP 503 .after 3"):
        api.search(GrantsQuery("arts"))
    assert standin.calls["search2"] == 3 and len(sleeps) == 2


def test_a_retry_after_beyond_the_limit_is_not_slept(standin: GrantsGovStandin) -> None:
    standin.faults.append(Fault(429, headers={"Retry-After": "3600"}))
    sleeps = Sleeps()
    with client(standin, sleeps) as api, pytest.raises(RetriableError) as caught:
        api.search(GrantsQuery("arts"))
    assert caught.value.retry_after == 3600 and sleeps == []


def test_a_client_error_is_fatal_and_not_retried(standin: GrantsGovStandin) -> None:
    standin.faults.append(Fault(400))
    with client(standin) as api, pytest.raises(FatalError, match="HTTP 400"):
        api.search(GrantsQuery("arts"))
    assert standin.calls["search2"] == 1


def test_a_dead_server_is_retriable_and_names_no_url() -> None:
    with GrantsGovStandin() as server:
        url = server.base_url
    api = GrantsGovClient(url, timeout=1, policy=RetryPolicy(attempts=2, sleep=Sleeps()))
    with pytest.raises(RetriableError) as caught:
        api.search(GrantsQuery("arts"))
    assert "127.0.0.1" not in str(caught.value) and "ConnectionError" in str(caught.value)


def test_money_and_retry_after_parsing() -> None:
    assert [whole_dollars(v) for v in ("500000", "$1,250,000", "none", "", None, 0, 75000)] == [
        500000, 1250000, None, None, None, None, 75000,
    ]  # fmt: skip
    from datetime import UTC, datetime

    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Tue, 24 Nov 2026 12:01:00 GMT", now) == 60
    assert retry_after_seconds("soon") is None
