"""Newsletter, delivery: who gets which edition by email, or the editions as Mailchimp campaigns.

* Email (the embedded default): one message per member in their language, keyed
  `newsletter:<period>:<lang>:<member>`, through `op.send` (the approval gate, then the central consent check,
  suppression list, exactly once). A member who already got the period's issue in another language is
  not sent a second one.
* Mailchimp: `newsletter-campaign:<period>:<lang>` finds the campaign by its title (so a crash between
  "created" and "recorded" never makes a second one) or creates it, segmented to contacts of that language,
  and sets its content while it is a draft. Drafts by default; `newsletter-send:<period>:<lang>` schedules
  or sends it, after checking it is still a draft, so it goes out once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.audience import Audience, CampaignDraft
from connectors.mail import Message
from tasks.common.messages import pick_language
from tasks.common.prefect_task import task
from tasks.common.unsubscribe import topic_off_tag
from tasks.newsletter.compile import Edition, Period
from weaver.config import WeaverConfig
from weaver.errors import WeaverError
from weaver.ledger import DONE, Action, ApplyResult, Ledger, Outcome
from weaver.models import parse_consent
from weaver.state import StateDB

FLOW = "newsletter"
ARCHIVE_KIND = "newsletter-issue"
CAMPAIGN_ACTIONS = ("draft", "schedule", "send")
# what flows/newsletter.py may put in the report's outcome (the Delivery summary without "planned"), each shown
# with the label newsletter.<key>
OUTCOME_KEYS = ("period", "delivery", "new_editions", "earlier_editions", "campaigns_created", "campaigns_sent",
                "approval", "sent", "already_sent", "failed", "outcome_unknown", "suppressed", "would_send",
                "other_language")  # fmt: skip


def unsubscribe_link(config: WeaverConfig, channel: str) -> str:
    """Mailchimp fills in *|UNSUB|* per contact; by email every member message gets its personal unsubscribe
    link and headers in `Operation.send` (tasks.common.unsubscribe), so the edition carries none."""
    return "*|UNSUB|*" if channel == "mailchimp" else ""


# email --------------------------------------------------------------------------------------------------------
def newsletter_messages(editions: Sequence[Edition], db: StateDB, config: WeaverConfig) -> tuple[list[Message], int]:
    """One message per active member in their language (consent is checked centrally by `deliver`).

    Returns the messages and how many members were skipped for having had another language's edition.
    """
    by_lang = {e.lang: e for e in editions}
    members = db.member_rows("active")
    keys = [f"newsletter:{e.period}:{e.lang}:{m['member_id']}" for m in members for e in editions]
    done = {k for k, status in Ledger(db, FLOW).statuses(keys).items() if status == DONE}
    headers: dict[str, str] = {}  # List-Unsubscribe and List-Id: added to every member message by Operation.send
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


def campaign_reach(db: StateDB, action: str) -> int:
    """The people a campaign send reaches (active members with a yes to email): what the approval gate
    counts. A draft reaches no one: a coordinator sends it from Mailchimp."""
    if action == "draft":
        return 0
    return sum(1 for row in db.member_rows() if parse_consent((row["fields"] or {}).get("consent", "")) is True)


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
            title,
            edition.subject,
            preview,
            config.mail.from_name,
            config.mail.from_address,
            edition.lang,
            exclude_tags=(topic_off_tag("newsletter"),),
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


def parse_schedule(text: str | datetime | None, zone: str) -> datetime | None:
    """`2026-12-01 09:00` (or that moment) in the network's time zone (Mailchimp moves it to the next quarter hour)."""
    if isinstance(text, datetime):
        when = text
    elif text is None or not text.strip():
        return None
    else:
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            raise WeaverError(f"newsletter: schedule_at {text!r} is not a date and time (2026-12-01 09:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(zone))


newsletter_messages_task = task(name="newsletter-messages", cache_policy=NO_CACHE)(newsletter_messages)
