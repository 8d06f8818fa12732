"""Personal signed links for the messages a plan writes: a function (purpose, member, scope) -> the public URL.

The flow makes it once per run from the workspace's link key (`weaver.links`); plans stay pure by taking the
function. A dry run on a workspace without a key yet previews links under a throwaway key (nothing is stored).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from weaver.config import WeaverConfig
from weaver.links import LinkSigner, link_secret, link_url
from weaver.state import StateDB

LinkMaker = Callable[[str, str, str], str]  # (purpose, member id, scope) -> URL
CHECKIN = "weaver-checkin"  # the link purpose of a weaver's check-in outcome form (deployments/pages)


def personal_links(db: StateDB, config: WeaverConfig, dry_run: bool, where: str,
                   expires: datetime | None = None) -> LinkMaker:  # fmt: skip
    secret, _throwaway = link_secret(db, config, dry_run, where)
    signer = LinkSigner(secret)

    def make(purpose: str, subject: str, scope: str = "") -> str:
        return link_url(config, purpose, signer.token(purpose, subject, scope, expires))

    return make


personal_links_task = task(name="personal-links", cache_policy=NO_CACHE)(personal_links)


def link_signer(db: StateDB, config: WeaverConfig, dry_run: bool, where: str) -> LinkSigner:
    """The signer of the workspace's personal links, for a plan that signs tokens itself (details-check)."""
    secret, _throwaway = link_secret(db, config, dry_run, where)
    return LinkSigner(secret)


def checkin_url(links: LinkMaker, member_id: str, weaver_id: str, week: str, lang: str) -> str:
    """The weaver's form for one check-in: about `member_id`, by `weaver_id`, in ISO week `week`."""
    return f"{links(CHECKIN, member_id, f'{weaver_id}:{week}')}?lang={lang}"
