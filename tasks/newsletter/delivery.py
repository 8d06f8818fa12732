"""Newsletter, apply: archive each edition once, then deliver it by email or as a Mailchimp campaign.

* Archive: `newsletter-issue:<period>:<lang>` (idempotent) writes `reports/newsletters/<period>-<lang>.html`
  (and `.txt`) and keeps the edition in the ledger. The first issue of a period and language is the one:
  a rerun, even after the tabs changed, delivers the archived edition and makes no second issue.
* Email (the embedded default): one message per member in their language, keyed
  `newsletter:<period>:<lang>:<member>`, through the messaging core's `deliver` (central consent check,
  suppression list, exactly once). A member who already got the period's issue in another language is
  not sent a second one.
* Mailchimp: `newsletter-campaign:<period>:<lang>` finds the campaign by its title (so a crash between
  "created" and "recorded" never makes a second one) or creates it, segmented to contacts of that language,
  and sets its content while it is a draft. Drafts by default; `newsletter-send:<period>:<lang>` schedules
  or sends it, after checking it is still a draft, so it goes out once.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.audience import Audience, CampaignDraft
from connectors.mail import Message
from tasks.common.messages import pick_language
from tasks.newsletter.compile import Edition, Issue, Period
from weaver.config import WeaverConfig
from weaver.errors import WeaverError
from weaver.i18n import t
from weaver.ledger import DONE, Action, ApplyResult, Ledger, Outcome
from weaver.report import Report, Table
from weaver.state import StateDB

FLOW = "newsletter"
ARCHIVE_KIND = "newsletter-issue"
CAMPAIGN_ACTIONS = ("draft", "schedule", "send")
# what flows/newsletter.py may put in the report's outcome (the Delivery summary without "planned"), each shown
# with the label newsletter.<key>
OUTCOME_KEYS = ("period", "delivery", "new_editions", "earlier_editions", "campaigns_created", "campaigns_sent",
                "approval", "sent", "already_sent", "failed", "outcome_unknown", "suppressed", "would_send",
                "other_language")  # fmt: skip


def archive_key(period: str, lang: str) -> str:
    return f"{ARCHIVE_KIND}:{period}:{lang}"


def archive_path(reports: Path, period: str, lang: str) -> Path:
    return reports / "newsletters" / f"{period}-{lang}.html"


def unsubscribe_link(config: WeaverConfig, channel: str) -> str:
    """Mailchimp fills in *|UNSUB|* per contact; by email, a reply asking to leave reaches the weavers."""
    return "*|UNSUB|*" if channel == "mailchimp" else f"mailto:{config.mail.from_address}?subject=unsubscribe"


# archive ----------------------------------------------------------------------------------------------------
@dataclass
class Archived:
    editions: list[Edition]  # what goes out: as archived by the first run for the period
    paths: dict[str, Path]  # language -> the HTML file (a preview on a dry run)
    new: list[str] = field(default_factory=list)  # languages issued by this run
    earlier: list[str] = field(default_factory=list)  # languages issued by an earlier run


def archive_editions(editions: Sequence[Edition], reports: Path, db: StateDB, dry_run: bool) -> Archived:
    ledger = Ledger(db, FLOW)
    actions = [
        Action(
            archive_key(e.period, e.lang),
            ARCHIVE_KIND,
            f"newsletter {e.period} {e.lang}",
            e.to_payload(),
            idempotent=True,
        )
        for e in editions
    ]

    def write(batch: Sequence[Action]) -> list[Outcome]:
        for action in batch:
            write_archive(Edition.from_payload(action.payload), reports)
        return [Outcome.success("archived")] * len(batch)

    result = ledger.apply(actions, write, dry_run=dry_run)
    earlier = _earlier_editions(ledger, [a.key for a in result.already_done])
    out = Archived([earlier.get(archive_key(e.period, e.lang), e) for e in editions], {})
    out.earlier = [e.lang for e in editions if archive_key(e.period, e.lang) in earlier]
    out.new = [e.lang for e in editions if e.lang not in out.earlier]
    for edition in out.editions:
        if dry_run and edition.lang in out.new:
            out.paths[edition.lang] = write_archive(edition, reports / "previews" / FLOW, flat=True)
        else:
            out.paths[edition.lang] = archive_path(reports, edition.period, edition.lang)
    return out


def _earlier_editions(ledger: Ledger, keys: Sequence[str]) -> dict[str, Edition]:
    if not keys:
        return {}
    wanted = set(keys)
    entries = ledger.entries(status=DONE, kind=ARCHIVE_KIND)
    return {e["key"]: Edition.from_payload(e["payload"]) for e in entries if e["key"] in wanted and e["payload"]}


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


# email --------------------------------------------------------------------------------------------------------
def newsletter_messages(editions: Sequence[Edition], db: StateDB, config: WeaverConfig) -> tuple[list[Message], int]:
    """One message per active member in their language (consent is checked centrally by `deliver`).

    Returns the messages and how many members were skipped for having had another language's edition.
    """
    by_lang = {e.lang: e for e in editions}
    members = db.member_rows("active")
    keys = [f"newsletter:{e.period}:{e.lang}:{m['member_id']}" for m in members for e in editions]
    done = {k for k, status in Ledger(db, FLOW).statuses(keys).items() if status == DONE}
    headers = {"List-Unsubscribe": f"<{unsubscribe_link(config, 'email')}>"}
    messages: list[Message] = []
    skipped = 0
    for member in members:
        fields = member["fields"] or {}
        lang = pick_language(fields.get("language", ""), by_lang, config.network.default_language)
        edition = by_lang[lang]
        key = f"newsletter:{edition.period}:{lang}:{member['member_id']}"
        others = [f"newsletter:{edition.period}:{o}:{member['member_id']}" for o in by_lang if o != lang]
        if key not in done and any(k in done for k in others):
            skipped += 1  # the member changed language after getting the issue: one issue is enough
            continue
        messages.append(
            Message(
                key,
                member["email"],
                fields.get("name", ""),
                edition.subject,
                edition.text,
                edition.html,
                lang,
                member["member_id"],
                "newsletter",
                dict(headers),
            )
        )
    return messages, skipped


# Mailchimp ----------------------------------------------------------------------------------------------------
def campaign_title(period: str, lang: str) -> str:
    """Our key, in a field coordinators rarely edit: a rerun finds the campaign by it."""
    return f"Newsletter {period} {lang} [network-weaver]"


@dataclass
class Campaigns:
    created: ApplyResult
    sent: ApplyResult | None


def publish_campaigns(
    editions: Sequence[Edition],
    audience: Audience,
    db: StateDB,
    config: WeaverConfig,
    action: str,
    schedule_at: datetime | None,
    period: Period,
    dry_run: bool,
) -> Campaigns:
    if action not in CAMPAIGN_ACTIONS:
        raise WeaverError(f"newsletter: campaign {action!r} is not one of {', '.join(CAMPAIGN_ACTIONS)}")
    if action == "schedule" and schedule_at is None:
        raise WeaverError("newsletter: campaign 'schedule' needs schedule_at (e.g. 2026-12-01 09:00)")
    by_lang = {e.lang: e for e in editions}
    since = datetime.combine(period.start - timedelta(days=31), time(), ZoneInfo(config.network.timezone))
    ledger = Ledger(db, FLOW)
    drafts = [_campaign_action("newsletter-campaign", e) for e in editions]
    created = ledger.apply(
        drafts, lambda b: [_draft(audience, by_lang[a.payload["lang"]], config, since) for a in b], dry_run=dry_run
    )
    if action == "draft":
        return Campaigns(created, None)
    sends = [_campaign_action("newsletter-send", e) for e in editions]
    sent = ledger.apply(sends, lambda b: [_go(audience, a.payload, since, schedule_at) for a in b], dry_run=dry_run)
    return Campaigns(created, sent)


def _campaign_action(kind: str, edition: Edition) -> Action:
    payload = {"lang": edition.lang, "period": edition.period, "title": campaign_title(edition.period, edition.lang)}
    return Action(
        f"{kind}:{edition.period}:{edition.lang}",
        kind,
        f"{kind} {edition.period} {edition.lang}",
        payload,
        idempotent=True,
    )  # both look the campaign up before acting


def _draft(audience: Audience, edition: Edition, config: WeaverConfig, since: datetime) -> Outcome:
    title = campaign_title(edition.period, edition.lang)
    campaign = audience.find_campaign(title, since)
    if campaign is None:
        preview = edition.text.strip().splitlines()[0][:140] if edition.text.strip() else ""
        draft = CampaignDraft(
            title, edition.subject, preview, config.mail.from_name, config.mail.from_address, edition.lang
        )
        campaign = audience.create_campaign(draft)
    if campaign.status in ("save", "paused"):
        audience.set_campaign_content(campaign.id, edition.html, edition.text)
    return Outcome.success(f"campaign {campaign.id} ({campaign.status})")


def _go(audience: Audience, payload: Mapping[str, Any], since: datetime, schedule_at: datetime | None) -> Outcome:
    campaign = audience.find_campaign(payload["title"], since)
    if campaign is None:
        return Outcome.failure("no campaign found to send", retry=True)
    if campaign.status not in ("save", "paused"):
        return Outcome.success(f"campaign {campaign.id} already {campaign.status}")
    if schedule_at is not None:
        audience.schedule_campaign(campaign.id, schedule_at)
        return Outcome.success(f"campaign {campaign.id} scheduled")
    audience.send_campaign(campaign.id)
    return Outcome.success(f"campaign {campaign.id} sent")


def parse_schedule(text: str, zone: str) -> datetime | None:
    """`2026-12-01 09:00` in the network's time zone (Mailchimp moves it to the next quarter hour)."""
    if not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise WeaverError(f"newsletter: schedule_at {text!r} is not a date and time (2026-12-01 09:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(zone))


# report -------------------------------------------------------------------------------------------------------
def build_newsletter_report(
    issue: Issue, archived: Archived, outcome: Mapping[str, Any], lang: str, dry_run: bool
) -> Report:
    title = t("newsletter.title", lang, period=issue.period.label(lang))
    report = Report(f"newsletter-{issue.period.key.lower()}", title, lang)  # artifact keys are lowercase
    counts = issue.counts()
    report.summary = [(t("newsletter.as_of", lang), issue.as_of.isoformat())]
    report.summary += [(t(f"newsletter.section.{k}", lang), str(v)) for k, v in counts.items()]
    report.summary += [(t(f"newsletter.{k}", lang), str(v)) for k, v in outcome.items() if not isinstance(v, dict)]
    if dry_run:
        report.notes.append(t("newsletter.dry_run", lang))
    if archived.earlier:
        report.notes.append(t("newsletter.earlier", lang, langs=", ".join(archived.earlier)))
    report.notes += [_missing_note(tab, column, lang) for tab, column in issue.missing]
    rows = [[e.lang, e.subject, str(archived.paths[e.lang])] for e in archived.editions]
    headers = [t("newsletter.col.lang", lang), t("newsletter.col.subject", lang), t("newsletter.col.file", lang)]
    report.tables.append(Table(t("newsletter.editions", lang), headers, rows))
    rejected = [[r.tab, str(r.row), t(f"newsletter.reason.{r.reason}", lang, column=r.column)] for r in issue.rejected]
    headers = [t("newsletter.col.tab", lang), t("col.row", lang), t("col.reason", lang)]
    report.tables.append(Table(t("newsletter.rejected", lang), headers, rejected))
    return report


def _missing_note(tab: str, column: str, lang: str) -> str:
    if column:
        return t("newsletter.missing_column", lang, tab=tab, column=column)
    return t("newsletter.missing_tab", lang, tab=tab)


def publish_preview(archived: Archived, period: Period, lang: str) -> None:
    """A Prefect artifact linking each edition's HTML, so a coordinator reviews it before it goes out."""
    from prefect.artifacts import create_markdown_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if FlowRunContext.get() is None and TaskRunContext.get() is None:
        return
    lines = [f"# {t('newsletter.preview', lang, period=period.label(lang))}", ""]
    lines += ["| | | |", "|---|---|---|"]
    for edition in archived.editions:
        path = archived.paths[edition.lang]
        subject = html.escape(edition.subject).replace("|", "\\|")
        lines.append(f"| {edition.lang} | {subject} | [{path.name}]({path.resolve().as_uri()}) |")
    create_markdown_artifact(
        "\n".join(lines), key="newsletter-preview", description=t("newsletter.preview", lang, period=period.key)
    )


archive_editions_task = task(name="archive-newsletter", cache_policy=NO_CACHE)(archive_editions)
newsletter_messages_task = task(name="newsletter-messages", cache_policy=NO_CACHE)(newsletter_messages)
publish_campaigns_task = task(name="publish-newsletter-campaigns", cache_policy=NO_CACHE)(publish_campaigns)
