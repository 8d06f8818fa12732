"""The approvers are told: when a run pauses for approval, `[mail] approvers` get a staff email (and the staff
chat a post, with `[mail] approval_chat`) with the count, a link to the preview page the receiver serves and a
link to the paused run in the Prefect UI. Once per pause: each email and the post is a ledger action keyed by
the pause (`<flow run id>:<digest of the send>`), so a run that pauses again for the same send, or is retried,
tells nobody twice.

The preview page (`/l/approval-preview/<token>`, deployments/pages/approval_preview.py) shows the names,
subjects, languages and templates of the messages waiting; they are kept in the state (`approval_previews`)
when the run pauses. Its link is signed (purpose `approval-preview`, the pause as subject) and expires when the
pause would time out, plus a day. The Prefect UI link is `PREFECT_UI_URL` (or the one the API's address gives,
as Prefect itself works it out) + `/runs/flow-run/<id>`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectors.chat import ChatChannel
from connectors.mail import MailTransport, Message
from tasks.common.approval import SendPlan
from tasks.common.delivery import Delivery, deliver
from tasks.common.messages import render
from weaver.config import Approver, WeaverConfig
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.links import LinkSigner, link_url
from weaver.state import StateDB
from weaver.state.approvals import save_approval_preview

LINK_PURPOSE = "approval-preview"
TEMPLATE = "approval_notice"


@dataclass
class Notice:
    """What telling the approvers of one pause does: staff emails and the chat post (ledger actions)."""

    pause_id: str
    messages: list[Message] = field(default_factory=list)
    posts: list[Action] = field(default_factory=list)


def pause_id(run_id: str, plan: SendPlan) -> str:
    """One pause of one run for one send: the same send asked again in the same run is the same pause."""
    shape = f"{plan.flow}|{plan.recipients}|{plan.messages}|{sorted(plan.templates.items())}"
    return f"{run_id}:{hashlib.sha256(shape.encode()).hexdigest()[:12]}"


def preview_rows(pending: Sequence[Message]) -> list[dict[str, str]]:
    """What the preview page shows of each message: name, subject, language, template (no address, no body)."""
    return [{"name": m.to_name, "subject": m.subject, "language": m.language, "purpose": m.purpose} for m in pending]


def plan_notice(plan: SendPlan, pause: str, config: WeaverConfig, preview_url: str, run_url: str, chat: bool) -> Notice:
    """The emails to each approver (in their language) and the chat post, keyed by the pause. Pure."""
    network = config.network
    notice = Notice(pause)
    for approver in config.mail.approvers:
        lang = approver.language or network.default_language
        context = _context(plan, approver, network.name, preview_url, run_url, lang)
        rendered = render(TEMPLATE, lang, context, network.default_language)
        key = f"email:approval-notice:{pause}:{approver.email.lower()}"
        notice.messages.append(Message(key, approver.email, approver.name, rendered.subject, rendered.text,
                                       rendered.html, rendered.language, None, TEMPLATE))  # fmt: skip
    if chat:
        lang = network.default_language
        title = t("approval.notice.chat_title", lang, flow=plan.flow, n=plan.recipients)
        body = t("approval.notice.chat_body", lang, n=plan.recipients, messages=plan.messages,
                 languages=plan.counts(plan.languages), preview=preview_url,
                 run=run_url or t("approval.notice.no_ui", lang))  # fmt: skip
        payload = {"title": title, "body": body}
        notice.posts.append(Action(f"chat:approval-notice:{pause}", "chat", f"approval notice: {plan.flow}", payload))
    return notice


def _context(
    plan: SendPlan, approver: Approver, network: str, preview_url: str, run_url: str, lang: str
) -> dict[str, object]:
    return {"name": approver.name, "network_name": network, "flow": plan.flow, "recipients": plan.recipients,
            "messages": plan.messages, "templates": plan.counts(plan.templates),
            "languages": plan.counts(plan.languages), "preview_url": preview_url,
            "run_url": run_url or t("approval.notice.no_ui", lang)}  # fmt: skip


@dataclass
class Told:
    emails: Delivery | None
    posts: ApplyResult | None


def tell_approvers(
    plan: SendPlan,
    pending: Sequence[Message],
    config: WeaverConfig,
    db: StateDB,
    mail: MailTransport,
    chat: ChatChannel | None,
    signer: LinkSigner,
    run_id: str,
    now: datetime,
) -> Told:
    """Keep the preview for the page (unless the gate did: `plan.preview_url`), then email the approvers and
    post to chat, each once per pause."""
    pause = pause_id(run_id, plan)
    preview_url = plan.preview_url or preview_link(plan, pending, config, db, signer, run_id, now)
    notice = plan_notice(plan, pause, config, preview_url, flow_run_url(run_id), chat is not None)
    emails = deliver(notice.messages, mail, db, plan.flow) if notice.messages else None
    posts = None
    if notice.posts and chat is not None:
        channel = chat

        def perform(batch: Sequence[Action]) -> list[Outcome]:
            return [channel.post(a.payload["title"], a.payload["body"]) for a in batch]

        posts = Ledger(db, plan.flow).apply(notice.posts, perform, batch_size=1)
    return Told(emails, posts)


def preview_link(
    plan: SendPlan,
    pending: Sequence[Message],
    config: WeaverConfig,
    db: StateDB,
    signer: LinkSigner,
    run_id: str,
    now: datetime,
) -> str:
    """Keep what the preview page shows of this pause and return the page's signed link (the paused run's form
    links it too). It expires a day after the pause would time out."""
    pause = pause_id(run_id, plan)
    save_approval_preview(db, pause, plan.flow, plan.recipients, preview_rows(pending), now)
    timeout = timedelta(minutes=config.mail.approval_timeout_minutes) + timedelta(days=1)
    return link_url(config, LINK_PURPOSE, signer.token(LINK_PURPOSE, pause, expires=now + timeout))


def flow_run_url(run_id: str) -> str:
    """The paused run in the Prefect UI (PREFECT_UI_URL, else worked out from the API's address), or ""."""
    from prefect.utilities.urls import url_for

    try:
        return url_for("flow-run", obj_id=run_id) or ""
    except Exception:  # no UI address can be worked out (an ephemeral API): the email says where to look
        return ""
