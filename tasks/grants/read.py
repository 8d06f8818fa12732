"""grant-pipeline, read: Grants.gov searches and funders' feeds turned into import candidates, award amounts of
new ones only, what the state remembers (cells we wrote, stage dates, members' fees) and reminders recorded.

Each source is read in one task over all its queries or feeds. A source that fails (Grants.gov down, a
feed moved) is reported and skipped: the rest of the refresh (computed columns, reminders, report) still
runs. Messages come from the connectors, already redacted (no URLs, no bodies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from prefect.cache_policies import NO_CACHE

from connectors.feeds import FeedEntry, FeedSource
from connectors.grants import GrantHit, GrantsQuery, GrantsSearch
from connectors.tables import Grid
from tasks.common.prefect_task import task
from tasks.grants.digests import recorded_reminders
from tasks.grants.pipeline import Candidate
from tasks.grants.plan import enrich, new_candidates
from weaver.config import FeedConfig, GrantsConfig, WeaverConfig
from weaver.errors import WeaverError
from weaver.state import StateDB
from weaver.state.grants import grant_stage_history, grant_written

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


# what the run reads -----------------------------------------------------------------------------------------
@dataclass
class GrantSources:
    """The search and feed clients of this run (None when not configured); `contextlib.closing` closes them."""

    grants_gov: GrantsSearch | None
    feeds: FeedSource | None

    def close(self) -> None:
        for client in (self.grants_gov, self.feeds):
            if client is not None:
                client.close()


@dataclass
class Known:
    """What the state remembers for the plan: cells we wrote, each stage's date, members' fee fields."""

    written: dict[str, dict[str, str]]
    history: dict[str, tuple[str, date]]
    members: list[dict[str, str]]


def read_known(db: StateDB) -> Known:
    members = [row["fields"] for row in db.member_rows()]
    return Known(grant_written(db), grant_stage_history(db), members)


def read_opportunity_sources(
    sources: GrantSources, grid: Grid, config: WeaverConfig, written: Mapping[str, Mapping[str, str]], source: str
) -> Found:
    """Every source's candidates, the new Grants.gov ones with their award amount.

    A candidate whose amount could not be fetched waits for the next run (it is left out here).
    """
    cfg = config.grants
    found = search_grants_gov(sources.grants_gov, cfg) + read_feeds(sources.feeds, cfg)
    amounts = fetch_amounts(sources.grants_gov, new_candidates(grid, config, found.candidates, written, source))
    found += amounts.found
    candidates = [c for c in enrich(found.candidates, amounts.by_key) if c.source_key not in amounts.deferred]
    return replace(found, candidates=candidates)


read_known_task = task(name="read-grant-state", cache_policy=NO_CACHE)(read_known)
read_opportunity_sources_task = task(name="read-grant-sources", cache_policy=NO_CACHE)(read_opportunity_sources)
read_recorded_reminders_task = task(name="read-grant-reminders", cache_policy=NO_CACHE)(recorded_reminders)
