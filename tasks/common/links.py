"""The workspace's personal-link signer for a run, and the check-in link a weaver's digest carries."""

from __future__ import annotations

from weaver.config import WeaverConfig
from weaver.links import LinkSigner, link_secret, link_url
from weaver.state import StateDB

CHECKIN = "weaver-checkin"  # the link purpose of a weaver's check-in outcome form (deployments/pages)


def link_signer(db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> LinkSigner:
    """The signer of the workspace's personal links (a dry run on a workspace without a key uses a throwaway)."""
    secret, _throwaway = link_secret(db, config, dry_run, where)
    return LinkSigner(secret)


def checkin_url(config: WeaverConfig, signer: LinkSigner, member_id: str, weaver_id: str, week: str,
                lang: str) -> str:  # fmt: skip
    """The weaver's form for one check-in: about `member_id`, by `weaver_id`, in ISO week `week`."""
    token = signer.token(CHECKIN, member_id, f"{weaver_id}:{week}")
    return f"{link_url(config, CHECKIN, token)}?lang={lang}"
