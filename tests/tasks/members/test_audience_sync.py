"""Audience sync against the Mailchimp stand-in, through the real client (no Prefect needed).

Each test runs the same phases as member-sync: plan the members, read the audience, plan the audience,
write the sheet, apply the audience.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pytest

from connectors.audience import MailchimpAudience
from connectors.retry import RetryPolicy
from connectors.tables import Cell, Grid
from tasks.members.apply import apply_member_sync
from tasks.members.audience import (
    AudienceResult,
    apply_audience_sync,
    plan_audience_sync,
    read_audience,
)
from tasks.members.plan import plan_member_sync
from tests.standins.mailchimp import MailchimpStandIn
from weaver.config import WeaverConfig, parse_config
from weaver.state import StateDB, suppressions

HEADERS = ["Name", "Email", "Interests", "Region", "Language", "Consent"]


class GridTables:
    """The tables Protocol over an in-memory grid (a fake of our own interface, counting calls)."""

    def __init__(self, grid: Grid) -> None:
        self.grid = [list(r) for r in grid]
        self.calls: Counter[str] = Counter()

    def describe(self) -> str:
        return "grid"

    def read_tab(self, tab: str) -> Grid:
        self.calls["read"] += 1
        return [list(r) for r in self.grid]

    def write_cells(self, tab: str, cells: Sequence[Cell]) -> None:
        if not cells:
            return
        self.calls["write"] += 1
        for c in cells:
            while len(self.grid) < c.row:
                self.grid.append([])
            row = self.grid[c.row - 1]
            row.extend([""] * (c.col - len(row)))
            row[c.col - 1] = c.value

    def tab_names(self) -> list[str]:
        return ["Members"]


def config(standin: MailchimpStandIn, **mailchimp: object) -> WeaverConfig:
    cols = {"name": "Name", "email": "Email", "interests": "Interests", "region": "Region", "language": "Language",
            "consent": "Consent"}  # fmt: skip
    return parse_config({
        "network": {"default_language": "en"},
        "tables": {"backend": "workbook", "path": "x.xlsx"},
        "members": {"columns": cols},
        "mailchimp": {"api_key": {"env": "UNUSED"}, "list_id": standin.list_id,
                      "merge_fields": {"FNAME": "name"}, **mailchimp},
    })  # fmt: skip


def people(n: int, name: str = "Member", region: str = "Europe", consent: str = "yes") -> Grid:
    rows = [[f"{name} {i}", f"person.{i}@example.org", "climate, 教育", region, "en" if i % 2 else "zh", consent]
            for i in range(n)]  # fmt: skip
    return [list(HEADERS), *rows]


@pytest.fixture
def standin() -> Iterator[MailchimpStandIn]:
    with MailchimpStandIn() as server:
        yield server


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    return state_db  # on SQLite and on PostgreSQL: ids [sqlite], [postgresql]


def gateway(standin: MailchimpStandIn) -> MailchimpAudience:
    policy = RetryPolicy(sleep=lambda s: None)
    return MailchimpAudience(standin.api_key, standin.list_id, base_url=standin.url, policy=policy)


def sync(tables: GridTables, cfg: WeaverConfig, db: StateDB, audience: MailchimpAudience,
         dry_run: bool = False) -> AudienceResult:  # fmt: skip
    """member-sync's phases, in the flow's order."""
    grid = tables.read_tab("Members")
    read = read_audience(audience, db, cfg.mailchimp.list_id)  # type: ignore[union-attr]
    plan = plan_member_sync(grid, cfg, db.member_snapshot(), "grid")
    audience_plan = plan_audience_sync(plan, grid, cfg, read)
    apply_member_sync(plan, tables, db, dry_run)
    return apply_audience_sync(audience_plan, audience, db, dry_run)


def writes(standin: MailchimpStandIn) -> Counter[str]:
    counts = standin.counts()
    return Counter({k: v for k, v in counts.items() if k != "read"})


def test_1234_changed_members_make_exactly_3_batch_calls(standin: MailchimpStandIn, db: StateDB) -> None:
    cfg = config(standin)
    tables = GridTables(people(1234))
    first = sync(tables, cfg, db, gateway(standin))
    assert first.summary()["pushed"] == 1234
    assert writes(standin) == Counter({"batch": 3})  # 500 + 500 + 234, new contacts
    assert len(standin.members) == 1234

    standin.reset_counts()
    tables.grid = people(1234, name="Renamed")
    second = sync(tables, cfg, db, gateway(standin))
    assert second.summary()["pushed"] == 1234
    assert writes(standin) == Counter({"batch": 3})  # changed contacts: still one call per 500
    assert standin.contact("person.7@example.org")["merge_fields"]["FNAME"] == "Renamed 7"


def test_an_unchanged_rerun_makes_no_calls_but_the_pull(standin: MailchimpStandIn, db: StateDB) -> None:
    cfg = config(standin)
    tables = GridTables(people(40))
    sync(tables, cfg, db, gateway(standin))
    standin.reset_counts()
    again = sync(tables, cfg, db, gateway(standin))
    assert again.summary()["to_push"] == 0
    assert writes(standin) == Counter()  # no batch, no PUT, no tags
    assert standin.counts()["read"] == 2  # who unsubscribed, who was cleaned: since the last pull


def test_an_unsubscribe_in_mailchimp_reaches_the_sheet_and_the_suppression_list(
    standin: MailchimpStandIn, db: StateDB
) -> None:
    cfg = config(standin)
    tables = GridTables(people(5))
    sync(tables, cfg, db, gateway(standin))
    standin.set_status("person.3@example.org", "unsubscribed")
    standin.set_status("person.4@example.org", "cleaned")
    result = sync(tables, cfg, db, gateway(standin))
    assert result.summary()["consent_marked"] == 2
    assert [r[5] for r in tables.grid[1:]] == ["yes", "yes", "yes", "unsubscribed", "cleaned"]
    with db.engine.connect() as conn:
        rows = {r.email: (r.reason, r.source) for r in conn.execute(suppressions.select())}
    assert rows == {"person.3@example.org": ("unsubscribed", "mailchimp"),
                    "person.4@example.org": ("cleaned", "mailchimp")}  # fmt: skip
    consent = {r["email"]: r["fields"]["consent"] for r in db.member_rows()}
    assert consent["person.3@example.org"] == "unsubscribed"  # every flow's consent check now says no

    standin.reset_counts()
    third = sync(tables, cfg, db, gateway(standin))
    assert third.summary()["consent_marked"] == 0 and writes(standin) == Counter()
    assert tables.calls["write"] == 2  # the second run's one batch (owned columns were written in the first)


def test_a_member_who_left_is_never_pushed_back(standin: MailchimpStandIn, db: StateDB) -> None:
    cfg = config(standin)
    standin.add_contact("person.1@example.org", "unsubscribed")  # left before we ever synced
    tables = GridTables(people(3))
    result = sync(tables, cfg, db, gateway(standin))
    assert result.summary()["to_push"] == 2 and result.summary()["failed"] == 0  # not even tried
    assert standin.contact("person.1@example.org")["status"] == "unsubscribed"
    assert tables.grid[2][5] == "unsubscribed"
    tables.grid[2][5] = "yes"  # a coordinator types yes again: Mailchimp's no still stands
    standin.reset_counts()
    sync(tables, cfg, db, gateway(standin))
    assert writes(standin) == Counter() and tables.grid[2][5] == "unsubscribed"


def test_a_no_in_the_sheet_unsubscribes_in_mailchimp(standin: MailchimpStandIn, db: StateDB) -> None:
    cfg = config(standin)
    tables = GridTables(people(3))
    sync(tables, cfg, db, gateway(standin))
    tables.grid[1][5] = "否"
    result = sync(tables, cfg, db, gateway(standin))
    assert result.summary()["pushed"] == 1
    assert standin.contact("person.0@example.org")["status"] == "unsubscribed"


def test_members_without_consent_are_never_added(standin: MailchimpStandIn, db: StateDB) -> None:
    grid = people(4)
    grid[1][5], grid[2][5] = "", "maybe"
    result = sync(GridTables(grid), config(standin), db, gateway(standin))
    assert result.summary()["pushed"] == 2 and len(standin.members) == 2


def test_pending_contacts_keep_their_status(standin: MailchimpStandIn, db: StateDB) -> None:
    standin.add_contact("person.0@example.org", "pending")  # waiting for Mailchimp's double opt-in
    sync(GridTables(people(2)), config(standin), db, gateway(standin))
    assert standin.contact("person.0@example.org")["status"] == "pending"
    assert standin.contact("person.0@example.org")["merge_fields"]["FNAME"] == "Member 0"
    assert standin.counts()["member"] == 1 and standin.counts()["batch"] == 1


def test_a_compliance_error_is_recorded_once_and_not_retried(standin: MailchimpStandIn, db: StateDB) -> None:
    cfg = config(standin)
    tables = GridTables(people(3))
    sync(tables, cfg, db, gateway(standin))
    # unsubscribed between our pull and our push (a race): the pull cannot see it, Mailchimp refuses the push
    record = standin.contact("person.0@example.org")
    record["status"], record["last_changed"] = "unsubscribed", "2000-01-01T00:00:00+00:00"
    tables.grid[1][0] = "Changed"
    result = sync(tables, cfg, db, gateway(standin))
    assert result.summary()["failed"] == 1
    [(action, reason)] = result.ledger.failed
    assert "compliance" in reason and "@" not in reason
    standin.reset_counts()
    again = sync(tables, cfg, db, gateway(standin))
    assert writes(standin) == Counter() and again.summary()["failed"] == 1  # reported, not retried


def test_stale_tags_go_and_a_coordinators_tags_stay(standin: MailchimpStandIn, db: StateDB) -> None:
    cfg = config(standin)
    tables = GridTables(people(600))
    sync(tables, cfg, db, gateway(standin))
    standin.contact("person.1@example.org")["tags"].add("VIP")  # added by hand in Mailchimp
    standin.reset_counts()
    tables.grid = people(600, region="Africa")
    sync(tables, cfg, db, gateway(standin))
    tags = standin.contact("person.1@example.org")["tags"]
    assert "region:Africa" in tags and "region:Europe" not in tags and "VIP" in tags
    # two batch calls; one tag listing; removing one tag from 600 contacts is two calls, not 600
    assert standin.counts() == Counter({"batch": 2, "read": 3, "tags": 2})


def test_dry_run_pushes_and_writes_nothing(standin: MailchimpStandIn, db: StateDB) -> None:
    tables = GridTables(people(10))
    result = sync(tables, config(standin), db, gateway(standin), dry_run=True)
    assert result.summary()["would_push"] == 10
    assert writes(standin) == Counter() and tables.calls["write"] == 0 and standin.members == {}


def test_topics_turned_off_on_the_preference_page_reach_mailchimp_as_tags(
    standin: MailchimpStandIn, db: StateDB
) -> None:
    from datetime import UTC, datetime

    from tasks.members.plan import member_id_for
    from weaver.state.preferences import save_preferences

    cfg = config(standin)
    tables = GridTables(people(4))
    sync(tables, cfg, db, gateway(standin))
    at = datetime(2026, 11, 24, tzinfo=UTC)
    save_preferences(db, member_id_for("person.1@example.org"), ["newsletter", "surveys"], "", at)
    dry = sync(tables, cfg, db, gateway(standin), dry_run=True)
    assert (
        dry.summary()["would_push"] == 1
        and "topic-off:newsletter" not in standin.contact("person.1@example.org")["tags"]
    )
    sync(tables, cfg, db, gateway(standin))
    tags = standin.contact("person.1@example.org")["tags"]
    assert {"topic-off:newsletter", "topic-off:surveys"} <= tags and "climate" in tags
    assert not any(t.startswith("topic-off:") for t in standin.contact("person.2@example.org")["tags"])
    save_preferences(db, member_id_for("person.1@example.org"), ["surveys"], "", at)  # newsletter ticked again
    sync(tables, cfg, db, gateway(standin))
    tags = standin.contact("person.1@example.org")["tags"]
    assert "topic-off:surveys" in tags and "topic-off:newsletter" not in tags
