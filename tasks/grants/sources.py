"""Finding opportunities: Grants.gov searches and funders' feeds, turned into import candidates.

Each source is read in one task over all its queries or feeds. A source that fails (Grants.gov down, a
feed moved) is reported and skipped: the rest of the refresh (computed columns, reminders, report) still
runs. Messages come from the connectors, already redacted (no URLs, no bodies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.feeds import FeedEntry, FeedSource
from connectors.grants import GrantHit, GrantsQuery, GrantsSearch
from tasks.grants.pipeline import Candidate
from weaver.config import FeedConfig, GrantsConfig
from weaver.errors import WeaverError

GRANTS_GOV = "grants.gov"


@dataclass
class Found:
    candidates: list[Candidate] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # source -> candidates found
    errors: list[tuple[str, str]] = field(default_factory=list)  # (source, redacted problem)
    truncated: list[tuple[int, int]] = field(default_factory=list)  # (read, total) of searches cut short

    def __add__(self, other: Found) -> Found:
        return Found(
            self.candidates + other.candidates,
            {**self.counts, **other.counts},
            self.errors + other.errors,
            self.truncated + other.truncated,
        )


def hit_candidate(hit: GrantHit) -> Candidate:
    deadline = hit.close_date.isoformat() if hit.close_date else ""
    return Candidate(GRANTS_GOV, hit.id, hit.agency, hit.title, deadline=deadline, link=hit.link)


def entry_candidate(feed: FeedConfig, feed_title: str, entry: FeedEntry) -> Candidate:
    funder = feed.funder or feed_title or feed.name
    return Candidate(f"rss:{feed.name}", entry.id, funder, entry.title, link=entry.link, currency=feed.currency)


def search_grants_gov(client: GrantsSearch | None, cfg: GrantsConfig) -> Found:
    """Every keyword's hits, paged; hits found by several keywords count once."""
    found = Found()
    if client is None:
        return found
    gg = cfg.grants_gov
    seen: set[str] = set()
    try:
        for keyword in gg.keywords:
            query = GrantsQuery(keyword, gg.statuses, gg.agencies, gg.funding_categories, gg.eligibilities)
            result = client.search(query, page_size=gg.page_size, max_pages=gg.max_pages)
            if result.truncated:
                found.truncated.append((len(result.hits), result.hit_count))
            for hit in result.hits:
                if hit.id not in seen and hit.title:
                    seen.add(hit.id)
                    found.candidates.append(hit_candidate(hit))
    except WeaverError as exc:
        found.errors.append(("Grants.gov", str(exc)))
    found.counts[GRANTS_GOV] = len(found.candidates)
    return found


def read_feeds(reader: FeedSource | None, cfg: GrantsConfig) -> Found:
    """Every configured feed; one that fails is reported and the others are still read."""
    found = Found()
    if reader is None:
        return found
    for feed in cfg.feeds:
        try:
            parsed = reader.read(feed.name, feed.url)
        except WeaverError as exc:
            found.errors.append((f"rss:{feed.name}", str(exc)))
            continue
        items = [entry_candidate(feed, parsed.title, e) for e in parsed.entries if e.title]
        found.candidates += items
        found.counts[f"rss:{feed.name}"] = len(items)
    return found


@dataclass
class Amounts:
    by_key: dict[str, int | None] = field(default_factory=dict)  # source key -> award ceiling
    deferred: set[str] = field(default_factory=set)  # not fetched: these wait for the next run
    found: Found = field(default_factory=Found)  # errors to report


def fetch_amounts(client: GrantsSearch | None, new: Sequence[Candidate]) -> Amounts:
    """The award ceiling of each new Grants.gov candidate (one fetchOpportunity call each, new ones only).

    When a call fails, that candidate and the rest wait for the next run rather than being imported
    without their amount: we never refetch an opportunity once it is in the sheet.
    """
    out = Amounts()
    wanted = [c for c in new if c.source == GRANTS_GOV]
    if client is None:
        return out
    for i, cand in enumerate(wanted):
        try:
            out.by_key[cand.source_key] = client.fetch_opportunity(cand.source_id).award_ceiling
        except WeaverError as exc:
            out.deferred = {c.source_key for c in wanted[i:]}
            out.found.errors.append(("Grants.gov fetchOpportunity", str(exc)))
            break  # the service is failing: do not call it once more per opportunity
    return out


search_grants_gov_task = task(name="search-grants-gov", cache_policy=NO_CACHE)(search_grants_gov)
read_feeds_task = task(name="read-funder-feeds", cache_policy=NO_CACHE)(read_feeds)
fetch_amounts_task = task(name="fetch-grant-amounts", cache_policy=NO_CACHE)(fetch_amounts)
