"""Finding opportunities through the real clients against the stand-in: keywords, feeds, amounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.feeds import FeedReader
from connectors.grants import GrantsGovClient
from connectors.retry import RetryPolicy
from tasks.grants.read import fetch_amounts, read_feeds, search_grants_gov
from tests.standins.grants import Fault, GrantsGovStandin, Opportunity, rss
from weaver.config import GrantsConfig

NO_SLEEP = RetryPolicy(attempts=2, sleep=lambda s: None)


@pytest.fixture
def standin() -> Iterator[GrantsGovStandin]:
    opps = [
        Opportunity("101", "Climate resilience for civil society", close_date="01/15/2027", award_ceiling="250000"),
        Opportunity("102", "Climate data", close_date="", status="forecasted", award_ceiling="none"),
        Opportunity("103", "Civil society strengthening", close_date="03/01/2027", award_ceiling="$80,000"),
    ]
    with GrantsGovStandin(opps) as server:
        yield server


def cfg(standin: GrantsGovStandin, **extra: object) -> GrantsConfig:
    feeds = [{"name": "open-futures", "url": standin.feed_url("open-futures"), "funder": "Open Futures Fund",
              "currency": "USD"}, {"name": "gone", "url": standin.feed_url("gone")}]  # fmt: skip
    return GrantsConfig.model_validate({
        "grants_gov": {"enabled": True, "base_url": standin.base_url, "keywords": ["climate", "civil society"]},
        "feeds": feeds, **extra,
    })  # fmt: skip


def test_hits_found_by_several_keywords_count_once(standin: GrantsGovStandin) -> None:
    found = search_grants_gov(GrantsGovClient(standin.base_url, policy=NO_SLEEP), cfg(standin))
    assert sorted(c.source_id for c in found.candidates) == ["101", "102", "103"]
    by_id = {c.source_id: c for c in found.candidates}
    assert by_id["101"].deadline == "2027-01-15" and by_id["102"].deadline == ""  # empty closeDate: no deadline
    assert by_id["101"].funder == "Environmental Protection Agency" and found.errors == []


def test_grants_gov_failing_is_reported_not_raised(standin: GrantsGovStandin) -> None:
    standin.faults.append(Fault(200, body={"errorcode": 3, "msg": "Service unavailable", "data": {}}))
    found = search_grants_gov(GrantsGovClient(standin.base_url, policy=NO_SLEEP), cfg(standin))
    assert found.candidates == [] and found.errors == [
        ("Grants.gov", "Grants.gov search2: errorcode 3 (Service unavailable)")
    ]


def test_a_broken_feed_does_not_stop_the_others(standin: GrantsGovStandin) -> None:
    standin.feeds["open-futures"] = (
        "application/rss+xml",
        rss("Open Futures", [("c-1", "Data commons", "https://x/1")]),
    )
    found = read_feeds(FeedReader(policy=NO_SLEEP), cfg(standin))
    [cand] = found.candidates
    assert (cand.source, cand.source_id, cand.funder, cand.currency) == (
        "rss:open-futures",
        "c-1",
        "Open Futures Fund",
        "USD",
    )
    assert found.errors == [("rss:gone", "feed 'gone': HTTP 404")]


def test_amounts_are_fetched_for_new_ones_and_the_rest_wait_when_it_fails(standin: GrantsGovStandin) -> None:
    client = GrantsGovClient(standin.base_url, policy=NO_SLEEP)
    candidates = search_grants_gov(client, cfg(standin)).candidates
    amounts = fetch_amounts(client, candidates)
    assert amounts.by_key == {"grants.gov:101": 250000, "grants.gov:102": None, "grants.gov:103": 80000}
    assert standin.calls["fetchOpportunity"] == 3
    standin.faults.append(Fault(200, body={"errorcode": 9, "msg": "down", "data": {}}, endpoint="fetchOpportunity"))
    failing = fetch_amounts(client, candidates)
    assert failing.by_key == {} and failing.deferred == {"grants.gov:101", "grants.gov:102", "grants.gov:103"}
    assert standin.calls["fetchOpportunity"] == 4  # stopped at the first failure
