"""The state database (SQLAlchemy Core): members as last synced, sync runs and the action ledger.

SQLite in the workspace by default; any SQLAlchemy URL works (PostgreSQL for several workers). Claims use
INSERT ... ON CONFLICT DO NOTHING so two workers never take the same action.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    event,
    select,
)

metadata = MetaData()

members = Table(
    "members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, index=True),
    Column("fields_hash", String(64), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # active | gone
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flow", String(64), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("summary", JSON),
)

ledger = Table(
    "ledger",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("kind", String(64), nullable=False, index=True),
    Column("flow", String(64), nullable=False),
    # claimed -> done | failed; a claim left by a dead process becomes 'unknown' for non-idempotent kinds
    Column("status", String(16), nullable=False, index=True),
    Column("payload", JSON),
    Column("detail", Text),
    Column("attempts", Integer, nullable=False, default=1),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True)),
)

# Form submissions from webhooks (Typeform, Tally, Google Forms via Apps Script) and pollers, stored
# before the receiver answers, so nothing is lost when Prefect is down. Flows consume them by kind.
inbox = Table(
    "inbox",
    metadata,
    Column("id", String(256), primary_key=True),  # "<provider>:<submission id>": replays collide here
    Column("provider", String(32), nullable=False),  # typeform | tally | google_forms | csv
    Column("form", String(64), nullable=False),  # the form's name in weaver.toml
    Column("kind", String(16), nullable=False, index=True),  # join | rsvp | survey
    Column("payload", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # received -> dispatched (a flow run started) -> processed (its flow consumed it) | failed
    Column("status", String(16), nullable=False, index=True),
    Column("flow_run_id", String(64)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text),
)

# Addresses no channel of ours may email: unsubscribed or cleaned in Mailchimp, hard bounces, requests.
suppressions = Table(
    "suppressions",
    metadata,
    Column("email", String(320), primary_key=True),
    Column("reason", String(64), nullable=False),  # unsubscribed | cleaned | bounced | requested
    Column("source", String(32), nullable=False),  # mailchimp | smtp | coordinator
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# grant-pipeline: what we last wrote into each imported opportunity's cells. A sheet cell that no longer
# equals it was edited by a coordinator and is never overwritten; a source key recorded here but gone from
# the sheet was removed by a coordinator and is never imported again.
grant_cells = Table(
    "grant_cells",
    metadata,
    Column("source_key", String(256), primary_key=True),  # "grants.gov:356789", "rss:<feed>:<entry id>"
    Column("field", String(32), primary_key=True),
    Column("value", Text, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
)

# grant-pipeline: each opportunity's stage as last seen and since when (stale = unchanged for N days).
grant_stages = Table(
    "grant_stages",
    metadata,
    Column("opp_id", String(64), primary_key=True),
    Column("stage", String(16), nullable=False),
    Column("since", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


# The audience (Mailchimp) as we last synced it, one row per contact: what we pushed (a hash of the synced
# fields, so only new or changed members are pushed again) and the contact's status as last seen there.
audience_members = Table(
    "audience_members",
    metadata,
    Column("list_id", String(64), primary_key=True),
    Column("email", String(320), primary_key=True),  # lowercased: the audience's identity of a contact
    Column("member_id", String(64)),  # None for a contact we only saw in the audience
    Column("synced_hash", String(64), nullable=False),  # "" until we pushed this contact
    Column("tags", JSON),  # the tags we manage on this contact, as last pushed
    Column("status", String(16), nullable=False),  # subscribed | unsubscribed | cleaned | pending | ...
    Column("pushes", Integer, nullable=False),  # how many pushes succeeded: part of the next push's ledger key
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Survey responses from every channel (Google Forms API, webhook inbox, CSV import), one row per submission.
# `member_id` is set only when the response carried a valid per-member token; anything else is anonymous.
survey_responses = Table(
    "survey_responses",
    metadata,
    Column("id", String(256), primary_key=True),  # "<provider>:<response id>": a re-import collides here
    Column("survey_id", String(64), nullable=False, index=True),
    Column("member_id", String(64), index=True),  # None: anonymous (no token, or an unknown/forged one)
    Column("attribution", String(16), nullable=False),  # member | unknown_token | no_token
    Column("channel", String(16), nullable=False),  # google_forms | inbox | csv
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("answers", JSON, nullable=False),  # question title -> text or list of texts
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# What members did that counts as engagement (a survey answered, an event attended ...), one row per deed.
# Written by the flow that observes it; read by the engagement score. `id` makes recording idempotent.
engagement_events = Table(
    "engagement_events",
    metadata,
    Column("id", String(256), primary_key=True),  # e.g. "survey_response:<survey id>:<member id>"
    Column("member_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False, index=True),  # survey_response | ...
    Column("at", DateTime(timezone=True), nullable=False),  # when the member did it
    Column("source", String(128), nullable=False),  # e.g. "survey:checkin-2026"
)

# Where a poller got to (e.g. the newest response timestamp seen on a Google Form): a high-water mark.
cursors = Table(
    "cursors",
    metadata,
    Column("key", String(256), primary_key=True),  # e.g. "google_forms:<form id>"
    Column("value", String(256), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Secrets the embedded default generates for itself on first use (never in the repo or weaver.toml), e.g.
# the key of per-member survey tokens when no SecretRef is configured.
local_secrets = Table(
    "local_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


# Who has met whom: one row per pair and occasion, so a pair that met at three events has three rows.
# `a` < `b` are member ids (a check-in pairs a weaver's staff id with a member). Written by group-mixer
# (groups formed, co-attendance), engagement-review (introductions) and any flow that pairs people
# (buddies), through `record_ties`; read for mixing history, engagement and the tie-graph export.
TIE_SOURCES = ("event", "group", "buddy", "introduction", "checkin")
ties = Table(
    "ties",
    metadata,
    Column("a", String(64), primary_key=True),
    Column("b", String(64), primary_key=True),
    Column("source", String(16), primary_key=True),  # one of TIE_SOURCES
    Column("ref", String(200), primary_key=True),  # the occasion: event id, "evt-42/r1/g3", "intro:m-1:m-2"
    Column("met_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


from weaver.clock import utcnow  # noqa: E402  (re-exported: records' timestamps)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at each commit under WAL, much faster
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class StateDB:
    """A thin owner of the engine; tables are created on open."""

    def __init__(self, url: str) -> None:
        self.url = url
        # hide_parameters: a database error never prints row values (member data) into a log or traceback
        self.engine: Engine = create_engine(url, future=True, hide_parameters=True)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)

    @classmethod
    def for_dry_run(cls, url: str) -> StateDB:
        """A dry run must not create a database that is not there yet: use an empty in-memory one."""
        if url.startswith("sqlite:///"):
            if not Path(url.removeprefix("sqlite:///")).exists():
                return cls("sqlite://")
        return cls(url)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()

    # members -----------------------------------------------------------------------------------------
    def member_snapshot(self) -> dict[str, tuple[str, str]]:
        """member_id -> (fields_hash, status) for every member ever synced."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(members.c.member_id, members.c.fields_hash, members.c.status))
            return {r.member_id: (r.fields_hash, r.status) for r in rows}

    def member_rows(self, status: str = "active") -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(members).where(members.c.status == status))
            return [dict(r._mapping) for r in rows]

    def record_sync_run(self, flow: str, started_at: datetime, summary: dict[str, Any]) -> None:
        with self.begin() as conn:
            conn.execute(
                sync_runs.insert().values(flow=flow, started_at=started_at, finished_at=utcnow(), summary=summary)
            )

    def last_sync_run(self, flow: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sync_runs).where(sync_runs.c.flow == flow).order_by(sync_runs.c.id.desc()).limit(1)
            ).first()
            return dict(row._mapping) if row else None


def chunked(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], key: str | Sequence[str]) -> None:
    """INSERT ... ON CONFLICT (key) DO UPDATE, for SQLite and PostgreSQL."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    keys = [key] if isinstance(key, str) else list(key)
    stmt = insert(table)
    columns = [c for c in rows[0] if c not in (*keys, "first_seen")]
    stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in columns})
    for part in chunked(rows, 1000):
        conn.execute(stmt, list(part))


def save_members(db: StateDB, upserts: Sequence[dict[str, Any]], gone_ids: Sequence[str]) -> None:
    """Record added/changed members (member_id, email, fields_hash, fields) and mark gone ones, at once."""
    now = utcnow()
    rows = [{**row, "status": "active", "first_seen": now, "updated_at": now} for row in upserts]
    with db.begin() as conn:
        _upsert(conn, members, rows, "member_id")
        for part in chunked(list(gone_ids), 500):
            conn.execute(members.update().where(members.c.member_id.in_(part)).values(status="gone", updated_at=now))


# events (event-invites) ----------------------------------------------------------------------------------
# Each event's last-sent version: a changed start, end or place bumps `sequence` (the .ics SEQUENCE).
event_versions = Table(
    "event_versions",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # hash of start, end and place
    Column("status", String(16), nullable=False),  # scheduled | cancelled
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# RSVPs as answered, one row per source so a later answer from either source wins (never the re-read tab).
event_rsvps = Table(
    "event_rsvps",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("source", String(16), primary_key=True),  # tab | inbox
    Column("response", String(8), nullable=False),  # yes | no | maybe
    Column("submitted_at", DateTime(timezone=True), nullable=False),
)

# Seats given: a confirmed seat is kept until its holder declines; the waitlist moves up into freed seats.
event_seats = Table(
    "event_seats",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("member_id", String(64), primary_key=True),
    Column("seat", String(16), nullable=False),  # confirmed | waitlisted | declined
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A Google calendar read as an events source: its events as last listed and the sync token to go on from.
calendar_sync = Table(
    "calendar_sync",
    metadata,
    Column("calendar_id", String(256), primary_key=True),
    Column("sync_token", Text),
    Column("events", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def _as_utc(value: datetime) -> datetime:
    """SQLite returns naive datetimes: they were stored as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def load_event_versions(db: StateDB) -> dict[str, dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(event_versions))
        return {r.event_id: {**r._mapping, "changed_at": _as_utc(r.changed_at)} for r in rows}


def save_event_versions(db: StateDB, rows: Sequence[dict[str, Any]]) -> None:
    with db.begin() as conn:
        _upsert(conn, event_versions, list(rows), "event_id")


def load_rsvps(db: StateDB) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(event_rsvps))
        return [{**r._mapping, "submitted_at": _as_utc(r.submitted_at)} for r in rows]


def load_seats(db: StateDB) -> dict[tuple[str, str], str]:
    with db.engine.connect() as conn:
        return {(r.event_id, r.member_id): r.seat for r in conn.execute(select(event_seats))}


def save_rsvps(
    db: StateDB,
    rsvps: Sequence[dict[str, Any]],
    seats: Sequence[dict[str, Any]],
    processed: Sequence[str],
    failed: Sequence[tuple[str, str]],
) -> None:
    """Record answers and seats and mark the inbox rows they came from, in one transaction."""
    now = utcnow()
    with db.begin() as conn:
        _upsert(conn, event_rsvps, list(rsvps), ["event_id", "member_id", "source"])
        _upsert(conn, event_seats, [{**s, "updated_at": now} for s in seats], ["event_id", "member_id"])
        for part in chunked(list(processed), 500):
            conn.execute(inbox.update().where(inbox.c.id.in_(part)).values(status=PROCESSED, detail=None))
        for row_id, reason in failed:
            conn.execute(inbox.update().where(inbox.c.id == row_id).values(status=INBOX_FAILED, detail=reason))


def ledger_keys_like(db: StateDB, prefixes: Sequence[str], status: str = "done") -> list[tuple[str, datetime]]:
    """(key, updated_at) of ledger entries whose key starts with one of `prefixes` (e.g. 'invite:')."""
    from sqlalchemy import or_

    with db.engine.connect() as conn:
        rows = conn.execute(
            select(ledger.c.key, ledger.c.updated_at).where(
                ledger.c.status == status, or_(*[ledger.c.key.startswith(p) for p in prefixes])
            )
        )
        return [(r.key, _as_utc(r.updated_at)) for r in rows]


def load_calendar_sync(db: StateDB, calendar_id: str) -> tuple[str | None, dict[str, Any]]:
    with db.engine.connect() as conn:
        row = conn.execute(select(calendar_sync).where(calendar_sync.c.calendar_id == calendar_id)).first()
        return (row.sync_token, dict(row.events)) if row else (None, {})


def save_calendar_sync(db: StateDB, calendar_id: str, sync_token: str | None, events: dict[str, Any]) -> None:
    row = {"calendar_id": calendar_id, "sync_token": sync_token, "events": events, "updated_at": utcnow()}
    with db.begin() as conn:
        _upsert(conn, calendar_sync, [row], "calendar_id")


# inbox ---------------------------------------------------------------------------------------------------
RECEIVED, DISPATCHED, PROCESSED, INBOX_FAILED = "received", "dispatched", "processed", "failed"


def _insert_ignore(conn: Connection, table: Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


# ties ---------------------------------------------------------------------------------------------------


def record_ties(db: StateDB, rows: Sequence[dict[str, Any]], replace: tuple[str, str] | None = None) -> int:
    """Add ties (a, b, source, ref, met_on); a tie already recorded is kept as it is.

    `replace=(source, ref_prefix)` first removes that occasion's ties of that source (a re-mix of an
    event replaces the groups formed before), in the same transaction. Returns the rows given.
    """
    now = utcnow()
    with db.begin() as conn:
        if replace is not None:
            source, prefix = replace
            same = and_(ties.c.source == source, ties.c.ref.startswith(prefix, autoescape=True))
            conn.execute(ties.delete().where(same))
        stmt = _insert_ignore(conn, ties)
        for part in chunked([{**row, "created_at": now} for row in rows], 1000):
            conn.execute(stmt, list(part))
    return len(rows)


def tie_rows(db: StateDB) -> list[dict[str, Any]]:
    """Every recorded tie (a, b, source, ref, met_on)."""
    cols = (ties.c.a, ties.c.b, ties.c.source, ties.c.ref, ties.c.met_on)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(ties.c.met_on, ties.c.a, ties.c.b))]


def engagement_rows(db: StateDB) -> list[dict[str, Any]]:
    """Every recorded engagement event (member_id, kind, at), oldest first."""
    cols = (engagement_events.c.member_id, engagement_events.c.kind, engagement_events.c.at)
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(engagement_events.c.at))]


def inbox_rows(db: StateDB, kinds: Sequence[str]) -> list[dict[str, Any]]:
    """Form submissions of the given kinds (id, kind, payload, received_at), oldest first."""
    cols = (inbox.c.id, inbox.c.kind, inbox.c.payload, inbox.c.received_at)
    with db.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(inbox.c.kind.in_(list(kinds))).order_by(inbox.c.received_at))
        return [dict(r._mapping) for r in rows]


# inbox ---------------------------------------------------------------------------------------------------
RECEIVED, DISPATCHED, PROCESSED, INBOX_FAILED = "received", "dispatched", "processed", "failed"


def inbox_add(db: StateDB, entry_id: str, provider: str, form: str, kind: str, payload: dict[str, Any]) -> bool:
    """Store a submission as `received`; False when its id is already there (a replay), which changes nothing."""
    row = {"id": entry_id, "provider": provider, "form": form, "kind": kind, "payload": payload,
           "received_at": utcnow(), "status": RECEIVED, "attempts": 0}  # fmt: skip
    with db.begin() as conn:
        return conn.execute(_insert_ignore(conn, inbox), row).rowcount == 1


def inbox_waiting(db: StateDB, forms: Sequence[str], limit: int = 100) -> list[dict[str, Any]]:
    """Submissions of these forms that no flow run was started for yet, oldest first."""
    query = (
        select(inbox.c.id, inbox.c.form, inbox.c.kind, inbox.c.attempts)
        .where(inbox.c.status == RECEIVED, inbox.c.form.in_(list(forms)))
        .order_by(inbox.c.received_at, inbox.c.id)
        .limit(limit)
    )
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def inbox_entries(
    db: StateDB, kind: str, statuses: Sequence[str] = (RECEIVED, DISPATCHED), ids: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Whole entries of one kind (payload included) for the flow that consumes them, oldest first."""
    query = select(inbox).where(inbox.c.kind == kind, inbox.c.status.in_(list(statuses)))
    if ids:
        query = query.where(inbox.c.id.in_(list(ids)))
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(inbox.c.received_at, inbox.c.id))]


def inbox_get(db: StateDB, entry_id: str) -> dict[str, Any] | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(inbox).where(inbox.c.id == entry_id)).first()
        return dict(row._mapping) if row else None


def inbox_mark(db: StateDB, ids: Sequence[str], status: str, detail: str = "", flow_run_id: str | None = None) -> None:
    """Move entries on (dispatched, processed, failed); `detail` must carry no personal data."""
    values: dict[str, Any] = {"status": status, "detail": detail or None}
    if flow_run_id is not None:
        values["flow_run_id"] = flow_run_id
    if status == DISPATCHED:
        values["attempts"] = inbox.c.attempts + 1
    with db.begin() as conn:
        for part in chunked(list(ids), 500):
            conn.execute(inbox.update().where(inbox.c.id.in_(part)).values(**values))


def inbox_note_attempt(db: StateDB, entry_id: str, detail: str) -> None:
    """A dispatch that did not happen (Prefect unreachable): the entry stays `received` for the next try."""
    with db.begin() as conn:
        conn.execute(inbox.update().where(inbox.c.id == entry_id).values(attempts=inbox.c.attempts + 1, detail=detail))


# grant-pipeline ----------------------------------------------------------------------------------------
def grant_written(db: StateDB) -> dict[str, dict[str, str]]:
    """source key -> {field: the value we last wrote}."""
    out: dict[str, dict[str, str]] = {}
    with db.engine.connect() as conn:
        for r in conn.execute(select(grant_cells.c.source_key, grant_cells.c.field, grant_cells.c.value)):
            out.setdefault(r.source_key, {})[r.field] = r.value
    return out


def grant_stage_history(db: StateDB) -> dict[str, tuple[str, date]]:
    """opp id -> (stage, since)."""
    with db.engine.connect() as conn:
        rows = conn.execute(select(grant_stages.c.opp_id, grant_stages.c.stage, grant_stages.c.since))
        return {r.opp_id: (r.stage, r.since) for r in rows}


def save_grant_state(
    db: StateDB, written: Sequence[tuple[str, str, str]], stages: Sequence[tuple[str, str, date]]
) -> None:
    """Record cells we wrote (source key, field, value) and stages seen (opp id, stage, since), at once."""
    now = utcnow()
    cells = [{"source_key": k, "field": f, "value": v, "written_at": now} for k, f, v in written]
    seen = [{"opp_id": o, "stage": s, "since": d, "updated_at": now} for o, s, d in stages]
    with db.begin() as conn:
        _upsert(conn, grant_cells, cells, ("source_key", "field"))
        _upsert(conn, grant_stages, seen, "opp_id")


def insert_ignore(conn: Connection, table: Table) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING for SQLite and PostgreSQL (a replayed row is simply skipped)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).on_conflict_do_nothing()


def record_engagement(conn: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Record engagement events (id, member_id, kind, at, source); an event already recorded is kept as is."""
    for part in chunked(list(events), 500):
        conn.execute(insert_ignore(conn, engagement_events), list(part))


def read_cursor(db: StateDB, key: str) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(select(cursors.c.value).where(cursors.c.key == key)).scalar()


def save_cursor(conn: Connection, key: str, value: str) -> None:
    _upsert(conn, cursors, [{"key": key, "value": value, "updated_at": utcnow()}], "key")


def local_secret(db: StateDB, name: str, create: bool = True) -> str | None:
    """The workspace's own secret `name`, generated once (256 random bits) and kept in the state database.

    Two processes creating it at once agree: the first insert wins and both read it back.
    """
    import secrets

    with db.begin() as conn:
        found = conn.execute(select(local_secrets.c.value).where(local_secrets.c.name == name)).scalar()
        if found is not None or not create:
            return found
        row = {"name": name, "value": secrets.token_hex(32), "created_at": utcnow()}
        conn.execute(insert_ignore(conn, local_secrets), [row])
        return conn.execute(select(local_secrets.c.value).where(local_secrets.c.name == name)).scalar_one()
