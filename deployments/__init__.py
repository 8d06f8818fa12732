"""Deployments: every operation in `flows.FLOWS`, scheduled in the network's time zone.

`plan_deployments` is pure (it reads only the config and the registry), so schedules, names and tags are
tested without Prefect; `runner_deployments` turns the plan into Prefect deployments for
`python -m deployments.serve`, and `deployments.project` renders the same plan as a `prefect.yaml`.

One set of deployments per network: each is named `<flow>/<network>` (e.g. `member-sync/demo-weaving-network`),
tagged `network:<network>`, and allows one run at a time (further runs wait their turn), so two runs of one
operation never write the same sheet at once. Flows added to the registry later are deployed automatically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from deployments.forms import config_defaults, relabel_served
from weaver.config import WeaverConfig
from weaver.errors import ConfigError
from weaver.workspace import Workspace

# When each operation runs unless `[schedules]` in weaver.toml says otherwise (cron, network time zone).
# "" means manual or webhook-triggered only.
DEFAULT_SCHEDULES: dict[str, str] = {
    "member-sync": "0 * * * *",  # hourly
    "member-intake": "",  # started by the join-form webhook (or Run in the UI)
    "onboarding": "30 9 * * *",  # daily: welcomes and due follow-ups
    "event-invites": "5 * * * *",  # hourly: reminders are due 7 days, 1 day and 2 hours before, quiet hours aside
    "newsletter": "0 9 1 * *",  # monthly draft, on the 1st
    "grant-pipeline": "0 7 * * 1",  # every Monday
    "survey-distribution": "0 10 * * *",  # daily: due reminders to non-responders
    "engagement-review": "0 8 * * 1",  # weekly
    "asks-offers": "0 9 * * 2",  # weekly, Tuesdays: one digest per member and week
    "details-check": "30 9 * * 3",  # weekly, Wednesdays: this week's joining anniversaries, once a year each
    "group-mixer": "",  # per event, by hand
    "stories": "30 11 * * *",  # daily: a round opens when stories wait, closes on its day; consented ones go out
    "event-harvest": "0 11 * * *",  # daily: thanks the day after an event, the reminder and the close on their day
    "impact-report": "0 8 28 3,6,9,12 *",  # quarterly, near the quarter's end (rerun as of its last day to close it)
    "social-posts": "*/15 * * * *",  # every quarter hour: a post goes out close to its time
    "chat-prompts": "0 * * * *",  # hourly: questions on their day, Monday's digest, reminders a day ahead
    "site": "20 6 * * *",  # daily: upcoming events move on, new editions and stories appear
    "membership-fees": "15 9 * * *",  # daily: reminders fall due at 30, 7 and 1 days; receipts for new payments
    "finance": "0 8 * * *",  # daily: bank exports imported, alerts when a line reaches 80% or 100%; the month's report
    "funder-stewardship": "45 8 * * *",  # daily: contacts and reports due, prep sheets before meetings
    "decision-rounds": "0 9 * * *",  # daily: rounds open and close by the day; reminders before the close
    "event-ideas": "10 9 * * *",  # daily: invitations when the dot vote opens, the draft events after it closes
    "bounces": "50 * * * *",  # hourly: a dead address is suppressed before the next sends
    "health-digest": "0 8 * * *",  # daily: what needs a person (failed runs, approvals, unknown outcomes ...)
}
FALLBACK_SCHEDULE = "0 9 * * 1"  # an operation nobody scheduled yet: weekly, Monday 09:00
# Webhook-triggered flows by form kind; rsvp and survey entries wait in the inbox for their flows.
FLOW_FOR_KIND: dict[str, str] = {"join": "member-intake"}


@dataclass(frozen=True)
class DeploymentSpec:
    flow: str  # the flow's name, e.g. member-sync
    name: str  # the deployment's name (the network's), so Prefect shows "member-sync/<name>"
    entrypoint: str  # module:function, as in flows.FLOWS
    description: str
    cron: str  # "" = no schedule
    timezone: str
    tags: tuple[str, ...]
    parameters: dict[str, Any] = field(default_factory=dict)
    language: str = "en"  # the run form's titles and descriptions (deployments/forms.py)
    form_defaults: dict[str, Any] = field(default_factory=dict)  # what the form starts at: the network's settings

    @property
    def full_name(self) -> str:
        return f"{self.flow}/{self.name}"

    @property
    def file_entrypoint(self) -> str:
        """`flows/member_sync.py:member_sync`, the form `prefect deploy` expects."""
        module, _, attr = self.entrypoint.partition(":")
        return f"{module.replace('.', '/')}.py:{attr}"


def network_slug(config: WeaverConfig) -> str:
    """The deployment name: `[deployments] name`, else the ASCII words of the network's name."""
    if config.deployments.name:
        return config.deployments.name
    words = re.findall(r"[a-z0-9]+", config.network.name.casefold())
    return "-".join(words)[:48].strip("-") or "network"


def schedule_for(flow: str, config: WeaverConfig) -> str:
    if flow in config.schedules:
        return config.schedules[flow]
    return DEFAULT_SCHEDULES.get(flow, FALLBACK_SCHEDULE)


def deployment_for(flow_or_deployment: str, config: WeaverConfig) -> str:
    """`member-intake` -> `member-intake/<network>`; a full `flow/name` is kept."""
    if "/" in flow_or_deployment:
        return flow_or_deployment
    return f"{flow_or_deployment}/{network_slug(config)}"


def plan_deployments(ws: Workspace, flows: dict[str, tuple[str, str]] | None = None,
                     weekly: list[str] | None = None) -> list[DeploymentSpec]:  # fmt: skip
    """One deployment per registered flow, for this workspace's network."""
    from flows import FLOWS, WEEKLY_CYCLE

    flows = FLOWS if flows is None else flows
    weekly = WEEKLY_CYCLE if weekly is None else weekly
    config = ws.config
    source = ws.root / "weaver.toml"
    for name in config.schedules:
        if name not in flows:
            raise ConfigError(f"{source}: [schedules] key {name!r}: no such operation (known: {', '.join(flows)})")
    slug = network_slug(config)
    # the network first: the UI's deployment list shows the first tag (the rest as "+N")
    base_tags = (f"network:{slug}", "weaver", *config.deployments.tags)
    return [
        DeploymentSpec(
            flow=name,
            name=slug,
            entrypoint=target,
            description=about,
            cron=schedule_for(name, config),
            timezone=config.network.timezone,
            tags=(*base_tags, *(("weekly-cycle",) if name in weekly else ())),
            parameters={"workspace": str(ws.root)},
            language=config.network.default_language,
            form_defaults=config_defaults(config),
        )
        for name, (target, about) in flows.items()
    ]


def runner_deployments(specs: list[DeploymentSpec]) -> list[Any]:
    """Prefect deployments for `serve`: active schedules, one run at a time per flow and network."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows import load_flow

    limit = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE)
    deployments = [
        load_flow(spec.flow).to_deployment(
            name=spec.name,
            schedules=[Cron(spec.cron, timezone=spec.timezone)] if spec.cron else [],
            paused=False,  # re-serving resumes schedules a previous shutdown may have paused
            concurrency_limit=limit,
            parameters=spec.parameters,
            description=spec.description,
            tags=list(spec.tags),
            entrypoint_type=EntrypointType.MODULE_PATH,  # importable from any working directory
        )
        for spec in specs
    ]
    # the run forms: titles and descriptions in the network's language, one widget per parameter
    relabel_served(deployments, [s.language for s in specs], [s.form_defaults for s in specs])
    return deployments


def require_api_url(what: str) -> str:
    """The Prefect API this process talks to; an ephemeral in-process API would serve nobody, so refuse it."""
    from prefect.settings import get_current_settings

    url = get_current_settings().api.url
    if not url:
        raise ConfigError(
            f"{what} needs a Prefect server: start one ('make ui' or 'prefect server start') and set "
            "PREFECT_API_URL, e.g. PREFECT_API_URL=http://127.0.0.1:4200/api"
        )
    return url
