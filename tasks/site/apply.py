"""site, apply: write the site into its folder, then publish it to each remote target through the ledger.

The folder in the workspace is a local copy, written like calendar.ics: only the files whose bytes changed,
on every run (so a deleted folder comes back on the next run). A remote target (a git branch) is an external
side effect: one ledger action per target and site version (`site-publish:<target>:<digest>`), idempotent
(publishing the same site again changes nothing), so a rerun with nothing changed does not even fetch; and
the git target itself commits and pushes only when the tree changed. A dry run writes the site to
`reports/previews/site/` and publishes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.site import FolderSite, SiteTarget
from tasks.common.prefect_task import task
from tasks.site.plan import SitePlan
from weaver.errors import WeaverError
from weaver.ledger import Action, Ledger, Outcome
from weaver.state import StateDB

FLOW = "site"


@dataclass
class Published:
    folder: Path
    folder_outcome: str
    targets: list[tuple[str, str, str]] = field(default_factory=list)  # (target, status, detail)
    dry_run: bool = False

    @property
    def failed(self) -> int:
        return sum(1 for _, status, _ in self.targets if status == "failed")


def publish_site(
    plan: SitePlan, folder: Path, remotes: Mapping[str, SiteTarget], db: StateDB, message: str, dry_run: bool
) -> Published:
    """The folder (or a preview on a dry run), then each remote once per site version."""
    outcome = FolderSite(folder).publish(plan.files)
    out = Published(folder, outcome.detail, dry_run=dry_run)
    actions = plan.actions(sorted(remotes))

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        results: list[Outcome] = []
        for action in batch:
            try:
                results.append(remotes[action.payload["target"]].publish(plan.files, message))
            except WeaverError as exc:  # one target failing leaves the others and the next run to try
                results.append(Outcome.failure(str(exc), retry=True))
        return results

    result = Ledger(db, FLOW).apply(actions, perform, batch_size=1, dry_run=dry_run)
    for action in result.already_done:
        out.targets.append((remotes[action.payload["target"]].describe(), "already_done", ""))
    for action in result.done:
        entry = Ledger(db, FLOW).entries(keys=[action.key])
        out.targets.append((remotes[action.payload["target"]].describe(), "done", entry[0]["detail"] if entry else ""))
    for action, detail in result.failed:
        out.targets.append((remotes[action.payload["target"]].describe(), "failed", detail))
    for action in (*result.skipped, *result.unknown):
        out.targets.append((remotes[action.payload["target"]].describe(), "skipped", ""))
    return out


publish_site_task = task(name="publish-site", cache_policy=NO_CACHE)(publish_site)
