"""The approval gate: a large send waits for a coordinator's word in the Prefect UI before anything goes out.

Flows never call it themselves: `flows/_run.Operation.send` (the one delivery path) asks it before any
message is delivered, from the flow run (a pause belongs to the flow run). Up to `[mail]
approval_threshold` recipients, or when the deployment sets the flow parameter `auto_approve`, the gate
lets the send through at once. Above it, the gate writes previews, pauses the flow run and shows a typed
form (`SendApproval`): how many messages, which templates and languages as text, and a link to the previews
(the receiver's preview page of the pause). The
coordinator ticks *approve* and resumes the run; leaving it unticked sends nothing. A run that nobody can
resume (the CLI without a Prefect server) sends nothing and says how to proceed, instead of waiting for
an answer that cannot come.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from prefect.input import RunInput
from pydantic import Field

from connectors.mail import Message
from tasks.common.delivery import pending_messages, write_previews
from weaver.errors import FatalError
from weaver.i18n import t
from weaver.state import StateDB
from weaver.workspace import Workspace


class SendContext(Protocol):
    """What the gate needs of a run (flows' Runtime has it): state, settings, language, where previews go."""

    ws: Workspace
    db: StateDB
    dry_run: bool

    @property
    def lang(self) -> str: ...

    def previews_dir(self, flow: str) -> Path: ...


class SendApproval(RunInput):
    """The form a coordinator sees on the paused run: one switch (labelled in the network's language by
    `approval_form`). The facts (recipients, messages, templates, languages, the previews' link) are the
    description's list above it, as text, not inputs to edit."""

    approve: bool = Field(default=False, title="Approve and send", description="On: send these messages now")


@dataclass(frozen=True)
class SendPlan:
    """What a send would do now: the numbers a coordinator approves. No personal data."""

    flow: str
    recipients: int  # distinct addresses: what the threshold counts
    messages: int = 0
    templates: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    previews: str = ""  # the folder of the preview files, on the machine that runs the flow
    preview_url: str = ""  # the receiver's preview page of this pause (signed link), when the run pauses

    def counts(self, which: dict[str, int]) -> str:
        return ", ".join(f"{name} {n}" for name, n in sorted(which.items(), key=lambda kv: (-kv[1], kv[0])))


# every `how` an Approval can have: each picks the text approval.<how> (tests/weaver/test_i18n.py checks them)
APPROVAL_STATES = ("under-threshold", "auto-approved", "dry-run", "approved", "declined", "needs-approval")


@dataclass(frozen=True)
class Approval:
    approved: bool
    how: str  # one of APPROVAL_STATES
    plan: SendPlan

    def describe(self, lang: str) -> str:
        return t(f"approval.{self.how}", lang, n=self.plan.recipients, previews=self.plan.previews)


def summarise_send(flow: str, messages: Sequence[Message]) -> SendPlan:
    """The plan in numbers: how many recipients and messages, by template and by language."""
    templates = Counter(m.purpose or "email" for m in messages)
    languages = Counter(m.language for m in messages)
    recipients = len({m.to_email.lower() for m in messages})
    return SendPlan(flow, recipients, len(messages), dict(templates), dict(languages))


def needs_approval(recipients: int, threshold: int, auto_approve: bool) -> bool:
    return not auto_approve and recipients > threshold


def approval_form(plan: SendPlan, lang: str) -> type[SendApproval]:
    """The typed form, pre-filled with the plan, and a description the Prefect UI shows above it."""
    description = "\n".join(
        [
            f"## {t('approval.title', lang, flow=plan.flow)}",
            "",
            t("approval.explain", lang, n=plan.recipients),
            "",
            f"- **{t('approval.recipients', lang)}**: {plan.recipients}",
            f"- **{t('approval.messages', lang)}**: {plan.messages}",
            f"- **{t('approval.templates', lang)}**: {plan.counts(plan.templates)}",
            f"- **{t('approval.languages', lang)}**: {plan.counts(plan.languages)}",
            _previews_line(plan, lang),
        ]
    )
    return _localised(lang).with_initial_data(description=description)


def _localised(lang: str) -> type[SendApproval]:
    """The form in the network's language: the one switch keeps its name (`approve`), its label is translated."""
    from pydantic import create_model

    label = Field(default=False, title=t("approval.approve", lang), description=t("approval.approve.about", lang))
    return create_model("SendApproval", __base__=SendApproval, approve=(bool, label))


def _previews_line(plan: SendPlan, lang: str) -> str:
    """The previews as a link a browser opens (the receiver's page), the folder named as text beside it; without
    a page (an audience service's campaign) the folder as a file link."""
    if plan.preview_url:
        files = t("approval.preview_files", lang, folder=plan.previews)
        link = f"[{t('approval.open_previews', lang)}]({plan.preview_url})"
        return f"- **{t('approval.previews', lang)}**: {link} ({files})"
    return f"- **{t('approval.previews', lang)}**: [{plan.previews}](file://{plan.previews})"


def approve_send(
    messages: Sequence[Message],
    rt: SendContext,
    flow: str,
    *,
    auto_approve: bool = False,
    poll_seconds: int = 10,
    notify: Callable[[SendPlan, Sequence[Message]], object] | None = None,
    link: Callable[[SendPlan, Sequence[Message]], str] | None = None,
) -> Approval:
    """The gate every send passes before `deliver`; returns whether to send, and why. `notify` tells the
    approvers (tasks/common/approval_notice.py) just before the run pauses, with the messages waiting; `link`
    keeps the preview page of the pause and returns its address (the form links it)."""
    pending, _suppressed = pending_messages(rt.db, messages)
    tell = (lambda plan: notify(plan, pending)) if notify is not None else None
    page = (lambda plan: link(plan, pending)) if link is not None else None
    return decide(summarise_send(flow, pending), rt, lambda: write_previews(pending, rt.previews_dir(flow)),
                  auto_approve=auto_approve, poll_seconds=poll_seconds, notify=tell, link=page)  # fmt: skip


def decide(
    plan: SendPlan,
    rt: SendContext,
    previews: Callable[[], Path],
    *,
    auto_approve: bool,
    poll_seconds: int,
    notify: Callable[[SendPlan], object] | None = None,
    link: Callable[[SendPlan], str] | None = None,
) -> Approval:
    """The gate's one rule for any send, counted in recipients: by our email, or a campaign an audience
    service sends for us. `previews` writes what the coordinator will look at, only when they must decide."""
    threshold = rt.ws.config.mail.approval_threshold
    if rt.dry_run:  # nothing is sent: say whether the real run would wait
        waits = needs_approval(plan.recipients, threshold, auto_approve)
        return Approval(True, "dry-run" if waits else "under-threshold", plan)
    if not needs_approval(plan.recipients, threshold, False):
        return Approval(True, "under-threshold", plan)
    if auto_approve:
        return Approval(True, "auto-approved", plan)
    plan = replace(plan, previews=str(previews()))
    if not _can_pause():
        return Approval(False, "needs-approval", plan)
    if link is not None:  # the preview page of this pause, linked from the form (and the approvers' notice)
        plan = replace(plan, preview_url=link(plan))
    if notify is not None:  # the approvers hear of it (once per pause) before the run waits for them
        notify(plan)
    return _ask(plan, rt.lang, rt.ws.config.mail.approval_timeout_minutes * 60, poll_seconds)


def _can_pause() -> bool:
    """A coordinator can only resume a run that a Prefect server (not the ephemeral API) knows about."""
    from prefect.context import FlowRunContext
    from prefect.settings import get_current_settings

    return FlowRunContext.get() is not None and bool(get_current_settings().api.url)


def _ask(plan: SendPlan, lang: str, timeout: int, poll_seconds: int) -> Approval:
    from prefect import get_run_logger
    from prefect.exceptions import FlowPauseTimeout
    from prefect.flow_runs import pause_flow_run

    get_run_logger().warning(t("approval.waiting", lang, n=plan.recipients, flow=plan.flow))
    try:
        answer = pause_flow_run(wait_for_input=approval_form(plan, lang), timeout=timeout, poll_interval=poll_seconds)
    except FlowPauseTimeout:
        minutes = timeout // 60
        raise FatalError(f"{plan.flow}: nobody approved the send to {plan.recipients} recipients within {minutes} "
                         "minutes ([mail] approval_timeout_minutes); nothing was sent") from None  # fmt: skip
    return Approval(bool(answer.approve), "approved" if answer.approve else "declined", plan)
