"""The operations, by name. Each entry is a Prefect flow; `weaver run NAME` and the deployments use this.

Modules are imported lazily so `weaver flows` and `--help` stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

FLOWS: dict[str, tuple[str, str]] = {
    # name: (module:function, one-line description)
    "member-sync": ("flows.member_sync:member_sync", "Sync the member spreadsheet into the network's state"),
    "event-invites": (
        "flows.event_invites:event_invites",
        "Invite members to events (.ics), send updates, cancellations and due reminders, write calendar.ics",
    ),
    "event-harvest": (
        "flows.event_harvest:event_harvest",
        "After an event: thank attendees with a personal harvest link, remind once, Insights tab and harvest page",
    ),
    "stories": (
        "flows.stories:stories",
        "Stories from insights and survey answers: members vote by personal link, published only with the author's yes",
    ),
    "group-mixer": ("flows.group_mixer:group_mixer", "Mix an event's attendees into groups so people meet someone new"),
    "engagement-review": (
        "flows.engagement_review:engagement_review",
        "Score engagement, find drifting members and newcomers, assign check-ins to weavers",
    ),
    "asks-offers": (
        "flows.asks_offers:asks_offers",
        "Weekly asks and offers: introduce a member's need to another's matching offer, digest to those who opted in",
    ),
    "details-check": (
        "flows.details_check:details_check",
        "Once a year, ask each member (in their joining week) whether their details are still right, with their link",
    ),
    "member-intake": ("flows.member_intake:member_intake", "Add join-form submissions to the members tab"),
    "onboarding": ("flows.onboarding:onboarding", "Welcome new members, pair them with buddies, follow up"),
    "grant-pipeline": (
        "flows.grant_pipeline:grant_pipeline",
        "Refresh the grant pipeline: import opportunities, computed columns, owner reminders, money report",
    ),
    "survey-distribution": (
        "flows.survey_distribution:survey_distribution",
        "Send personal survey links, remind non-responders, ingest and summarise responses",
    ),
    "newsletter": ("flows.newsletter:newsletter", "Compile, archive and deliver the period's newsletter"),
    "impact-report": (
        "flows.impact_report:impact_report",
        "The quarter's impact report and network map (HTML, PDF, zh and en) and a one-page fact sheet for funders",
    ),
    "membership-fees": (
        "flows.membership_fees:membership_fees",
        "Remind members before their fee falls due, send receipts for payments, list the overdue",
    ),
    "finance": (
        "flows.finance:finance",
        "Budget against spending, bank imports, owners alerted at 80% and 100%, the monthly finance report",
    ),
    "funder-stewardship": (
        "flows.funder_stewardship:funder_stewardship",
        "Remind owners to keep in touch with funders and before reports; prep sheets before meetings",
    ),
    "decision-rounds": (
        "flows.decision_rounds:decision_rounds",
        "Put proposals to members by personal link, remind non-responders, tally and announce at close",
    ),
    "event-ideas": (
        "flows.event_ideas:event_ideas",
        "Members spread dots over co-created event ideas by personal link; the top ideas become draft events",
    ),
    "social-posts": (
        "flows.social_posts:social_posts",
        "Post approved posts once per channel at their time (posts/ folder or apprise); draft posts for new items",
    ),
    "chat-prompts": (
        "flows.chat_prompts:chat_prompts",
        "Post the question of the week, the weekly what's-on digest and event reminders to chat, each once",
    ),
    "bounces": (
        "flows.bounces:bounces",
        "Read bounces from the bounce mailbox (IMAP): suppress hard bounces and repeated soft ones, report them",
    ),
    "health-digest": (
        "flows.health_digest:health_digest",
        "Tell the coordinators what needs a person: failed, crashed or paused runs, unknown outcomes, bounces ...",
    ),
    "site": (
        "flows.site:site",
        "Build and publish the public site: events, calendar, opportunities, newsletters, stories, members",
    ),
}

# The weekly cycle `weaver demo` runs, in order.
WEEKLY_CYCLE: list[str] = [
    "member-sync",
    "onboarding",
    "grant-pipeline",
    "funder-stewardship",  # before event-invites, so calendar.ics has fresh deadlines
    "event-invites",
    "survey-distribution",
    "event-harvest",  # after event-invites (check-ins written), before the newsletter (its offers)
    "stories",  # after survey-distribution and event-harvest (its candidates), before the newsletter
    "engagement-review",
    "asks-offers",
    "details-check",
    "group-mixer",
    "newsletter",
    "membership-fees",
    "finance",
    "decision-rounds",
    "event-ideas",
    "social-posts",
    "chat-prompts",
    "site",  # last: it publishes what the others wrote (calendar.ics, the newsletter archive)
]

# Shown by `weaver demo` after the weekly cycle, though they run on their own schedules.
DEMO_EXTRAS: list[str] = ["impact-report", "health-digest"]


def load_flow(name: str) -> Any:
    module, _, attr = FLOWS[name][0].partition(":")
    return getattr(importlib.import_module(module), attr)
