"""details-check, read: the members the network holds (the state database, as member-sync last saw the
sheet) and the workspace's link key; no sheet read is needed."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from weaver.config import WeaverConfig
from weaver.links import LinkSigner, link_secret
from weaver.state import StateDB


def read_held(db: StateDB) -> list[dict[str, Any]]:
    """Every active member: id, email, the fields held, when first synced."""
    return db.member_rows()


def link_signer(db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> LinkSigner:
    """The signer of the workspace's personal links (a dry run on a workspace without a key uses a throwaway)."""
    secret, _throwaway = link_secret(db, config, dry_run, where)
    return LinkSigner(secret)


read_held_task = task(name="read-held-members", cache_policy=NO_CACHE)(read_held)
