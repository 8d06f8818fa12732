"""The state database: the core (engine, shared tables, helpers) and one module per operation's tables.

`from weaver.state import StateDB, utcnow, ...` gives the core; an operation's tables and accessors are
imported from their module (`weaver.state.events`, `.grants`, `.audience`, `.surveys`, `.engagement`,
`.onboarding`, `.delivery`, `.submissions` for the inbox, `.links` for uses of personal links). Every module
is imported here so that all tables are in the one `metadata` whenever `StateDB` creates them, whichever
module a caller imported.
"""

from weaver.state import (
    audience,
    delivery,
    engagement,
    events,
    grants,
    links,
    migrations,
    onboarding,
    preferences,
    self_service,
    submissions,
    surveys,
)
from weaver.state.core import (
    StateDB,
    as_utc,
    chunked,
    cursors,
    inbox,
    insert_ignore,
    ledger,
    ledger_keys_like,
    local_secret,
    local_secrets,
    members,
    metadata,
    read_cursor,
    save_cursor,
    save_members,
    suppressions,
    sync_runs,
    upsert,
    utcnow,
)

__all__ = [
    "StateDB",
    "as_utc",
    "audience",
    "chunked",
    "cursors",
    "delivery",
    "engagement",
    "events",
    "self_service",
    "grants",
    "inbox",
    "insert_ignore",
    "ledger",
    "ledger_keys_like",
    "links",
    "local_secret",
    "local_secrets",
    "members",
    "metadata",
    "migrations",
    "onboarding",
    "preferences",
    "read_cursor",
    "save_cursor",
    "save_members",
    "submissions",
    "suppressions",
    "surveys",
    "sync_runs",
    "upsert",
    "utcnow",
]
