"""newsletter, apply: archive the editions that go out (only once the send is approved), publish campaigns.

Archive: the period's first issue in a language is `newsletter-issue:<period>:<lang>` (idempotent); it writes
`reports/newsletters/<period>-<lang>.html` (and `.txt`) and keeps the edition in the ledger. A rerun, even
after the tabs changed, delivers the archived edition and makes no second issue. A coordinator's
recompile replaces it: `newsletter-issue:<period>:<lang>:<content hash>`, the newest of which is the
period's edition from then on (the same content archived again is a no-op). Nothing is archived while the
send waits for approval or was declined: the next run compiles afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.newsletter.compile import Edition
from tasks.newsletter.delivery import FLOW, publish_campaigns
from tasks.newsletter.plan import EditionPlan
from weaver.ledger import DONE, Action, Ledger, Outcome
from weaver.state import StateDB

ARCHIVE_KIND = "newsletter-issue"


def archive_key(period: str, lang: str) -> str:
    return f"{ARCHIVE_KIND}:{period}:{lang}"


def revision_key(edition: Edition) -> str:
    """A recompiled edition's key: the content decides, so the same recompile twice archives once."""
    digest = hashlib.blake2b(f"{edition.subject}\n{edition.html}\n{edition.text}".encode(), digest_size=8)
    return f"{archive_key(edition.period, edition.lang)}:{digest.hexdigest()}"


def archive_path(reports: Path, period: str, lang: str) -> Path:
    return reports / "newsletters" / f"{period}-{lang}.html"


def archived_editions(db: StateDB, period: str) -> dict[str, Edition]:
    """language -> the period's edition as last archived (the first issue, or the newest recompile)."""
    prefix = f"{ARCHIVE_KIND}:{period}:"
    found: dict[str, Edition] = {}
    for entry in Ledger(db, FLOW).entries(status=DONE, kind=ARCHIVE_KIND):  # oldest first: the newest wins
        if entry["key"].startswith(prefix) and entry["payload"]:
            edition = Edition.from_payload(entry["payload"])
            found[edition.lang] = edition
    return found


@dataclass
class Archived:
    editions: list[Edition]  # what goes out: as archived for the period
    paths: dict[str, Path]  # language -> the HTML file (a preview on a dry run or a held send)
    new: list[str] = field(default_factory=list)  # languages issued (or recompiled) by this run
    earlier: list[str] = field(default_factory=list)  # languages issued by an earlier run
    issued: bool = True  # False: nothing archived (a dry run, or the send was not approved)


def archive_editions(plan: EditionPlan, reports: Path, db: StateDB, issue: bool) -> Archived:
    """Archive the editions this run issues; with `issue` False, write previews of them and record nothing."""
    actions = [
        Action(revision_key(e) if e.lang in plan.replaced else archive_key(e.period, e.lang), ARCHIVE_KIND,
               f"newsletter {e.period} {e.lang}", e.to_payload(), idempotent=True)
        for e in plan.editions
        if e.lang in plan.new
    ]  # fmt: skip

    def write(batch: Sequence[Action]) -> list[Outcome]:
        for action in batch:
            write_archive(Edition.from_payload(action.payload), reports)
        return [Outcome.success("archived")] * len(batch)

    Ledger(db, FLOW).apply(actions, write, dry_run=not issue)
    out = Archived(list(plan.editions), {}, list(plan.new), list(plan.earlier), issue)
    for edition in plan.editions:
        if not issue and edition.lang in plan.new:
            out.paths[edition.lang] = write_archive(edition, reports / "previews" / FLOW, flat=True)
        else:
            out.paths[edition.lang] = archive_path(reports, edition.period, edition.lang)
    return out


def write_archive(edition: Edition, directory: Path, flat: bool = False) -> Path:
    path = (
        directory / f"{edition.period}-{edition.lang}.html"
        if flat
        else archive_path(directory, edition.period, edition.lang)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(edition.html, encoding="utf-8")
    path.with_suffix(".txt").write_text(f"{edition.subject}\n\n{edition.text}", encoding="utf-8")
    return path


def write_campaign_previews(editions: Sequence[Edition], directory: Path) -> Path:
    """Each language's edition as the campaign will carry it, for the coordinator who approves the send."""
    paths = [write_archive(edition, directory, flat=True) for edition in editions]
    return paths[0] if paths else directory


archive_editions_task = task(name="archive-newsletter", cache_policy=NO_CACHE)(archive_editions)
publish_campaigns_task = task(name="publish-newsletter-campaigns", cache_policy=NO_CACHE)(publish_campaigns)
