"""membership-fees, read: the members with their fee fields (state database), the Payments tab in one read,
and the overdue emails earlier runs sent (the ledger)."""

from __future__ import annotations

from prefect.cache_policies import NO_CACHE

from connectors.tables import TableBackend
from tasks.common.prefect_task import task
from tasks.fees.fees import FeeMember, Payments, fee_member, parse_payments
from weaver.config import WeaverConfig
from weaver.state import StateDB, ledger_keys_like


def read_fee_members(db: StateDB) -> list[FeeMember]:
    """Every active member, as member-sync last saw the members tab."""
    return [fee_member(r) for r in db.member_rows("active")]


def read_payments(tables: TableBackend, config: WeaverConfig, currency: str) -> Payments:
    """The Payments tab in one read; a workspace without one has no payments (reported, not an error)."""
    tab = config.fees.payments_tab
    if tab not in tables.tab_names():
        return Payments(missing_tab=True)
    return parse_payments(tables.read_tab(tab), config.fees, currency, tables.describe())


def read_overdue_sent(db: StateDB) -> set[str]:
    """The keys of overdue emails already sent: so a member is never emailed past the configured count."""
    return {key for key, _ in ledger_keys_like(db, ["fee-overdue:"])}


read_fee_members_task = task(name="read-fee-members", cache_policy=NO_CACHE)(read_fee_members)
read_payments_task = task(name="read-payments", cache_policy=NO_CACHE)(read_payments)
read_overdue_sent_task = task(name="read-overdue-sent", cache_policy=NO_CACHE)(read_overdue_sent)
