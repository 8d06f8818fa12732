"""Messaging core: render per-language templates, check consent centrally, deliver through the ledger.

Every operation that emails anyone uses `deliver`. It is the one place that decides whether a recipient
may be emailed (`consent_filter`): a member without an explicit yes, or any address on the suppression list
(unsubscribed, cleaned, bounced), never gets a message, whichever flow planned it. Each message is a ledger
action keyed by (purpose, member, occasion): claimed, sent, marked one at a time, inside one transport
session, so a rerun sends nothing twice and a crash leaves at most one message whose outcome is unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import select

from connectors.mail import MailTransport, Message
from weaver.errors import ConfigError
from weaver.ledger import Action, ApplyResult, Ledger, Outcome, ProgressFn
from weaver.models import parse_consent
from weaver.state import StateDB, chunked, members, suppressions

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


# rendering ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


@lru_cache(maxsize=4)
def environment(root: str = str(TEMPLATES)) -> Environment:
    return Environment(
        loader=FileSystemLoader(root),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,  # a missing variable is an error, never an empty hole in an email
        trim_blocks=True,
        lstrip_blocks=True,
    )


def pick_language(preferred: str, available: Iterable[str], default: str) -> str:
    options = list(available)
    for lang in (preferred, default, "en"):
        if lang in options:
            return lang
    return options[0]


@lru_cache(maxsize=256)
def _languages_of(name: str, root: str) -> tuple[str, ...]:
    return tuple(sorted(p.parent.name for p in Path(root).glob(f"*/{name}.subject")))


_INLINER = css_inline.CSSInliner(keep_style_tags=False)


def render(name: str, language: str, context: Mapping[str, Any], default_language: str = "en",
           root: Path = TEMPLATES) -> Rendered:  # fmt: skip
    """Render templates/<lang>/<name>.{subject,txt,html}; the member's language, else the network's, else en."""
    available = _languages_of(name, str(root))
    if not available:
        raise ConfigError(f"templates: no template named {name!r} (expected {root}/<lang>/{name}.subject)")
    lang = pick_language(language, available, default_language)
    env = environment(str(root))
    ctx = {**context, "lang": lang}
    try:
        subject = " ".join(env.get_template(f"{lang}/{name}.subject").render(ctx).split())
        text = env.get_template(f"{lang}/{name}.txt").render(ctx).strip() + "\n"
        html = _INLINER.inline(env.get_template(f"{lang}/{name}.html").render(ctx))
    except TemplateNotFound as exc:
        raise ConfigError(f"templates: {exc.name} is missing (every message needs .subject, .txt and .html)") from None
    return Rendered(subject, text, html, lang)


# consent ------------------------------------------------------------------------------------------------
@dataclass
class Suppressed:
    message: Message
    reason: str  # "no consent", "unsubscribed", "not an active member" ...


def consent_filter(db: StateDB, messages: Sequence[Message]) -> tuple[list[Message], list[Suppressed]]:
    """The one central check: who may be emailed. Two queries for the whole batch."""
    emails = {m.to_email.lower() for m in messages}
    ids = {m.member_id for m in messages if m.member_id}
    blocked = _suppressed_emails(db, emails)
    state = _member_consent(db, ids, emails)
    allowed: list[Message] = []
    dropped: list[Suppressed] = []
    for msg in messages:
        reason = blocked.get(msg.to_email.lower())
        if reason is None and msg.member_id:
            known = state["by_id"].get(msg.member_id)
            reason = "not an active member" if known is None else (None if known else "no consent")
        if reason is None and state["by_email"].get(msg.to_email.lower()) is False:
            reason = "no consent"  # a staff-addressed message can still not reach a non-consenting member
        if reason:
            dropped.append(Suppressed(msg, reason))
        else:
            allowed.append(msg)
    return allowed, dropped


def _suppressed_emails(db: StateDB, emails: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    with db.engine.connect() as conn:
        for part in chunked(sorted(emails), 500):
            rows = conn.execute(
                select(suppressions.c.email, suppressions.c.reason).where(suppressions.c.email.in_(part))
            )
            found.update({r.email: r.reason for r in rows})
    return found


def _member_consent(db: StateDB, ids: set[str], emails: set[str]) -> dict[str, dict[str, bool]]:
    by_id: dict[str, bool] = {}
    by_email: dict[str, bool] = {}
    cols = (members.c.member_id, members.c.email, members.c.fields, members.c.status)
    with db.engine.connect() as conn:
        for column, values in ((members.c.member_id, ids), (members.c.email, emails)):
            for part in chunked(sorted(values), 500):
                for r in conn.execute(select(*cols).where(column.in_(part))):
                    ok = r.status == "active" and parse_consent((r.fields or {}).get("consent", "")) is True
                    if r.status == "active":
                        by_id[r.member_id] = ok
                        by_email[r.email] = by_email.get(r.email, True) and ok
    return {"by_id": by_id, "by_email": by_email}


# delivery -----------------------------------------------------------------------------------------------
@dataclass
class Delivery:
    result: ApplyResult
    suppressed: list[Suppressed] = field(default_factory=list)
    previews: Path | None = None

    def summary(self) -> dict[str, int]:
        counts = self.result.counts()
        return {
            "planned": counts["planned"] + len(self.suppressed),
            "sent": counts["done"],
            "already_sent": counts["already_done"],
            "failed": counts["failed"],
            "outcome_unknown": counts["unknown"],
            "suppressed": len(self.suppressed),
            "would_send": counts["skipped"] if self.result.dry_run else 0,
        }


def message_action(message: Message) -> Action:
    summary = f"{message.purpose or 'email'} to {message.member_id or 'staff'} ({message.language})"
    return Action(message.key, "email", summary, message.to_payload(), idempotent=False)


def deliver(
    messages: Sequence[Message],
    transport: MailTransport,
    db: StateDB,
    flow: str,
    *,
    dry_run: bool = False,
    previews_dir: Path | None = None,
    on_progress: ProgressFn | None = None,
) -> Delivery:
    """Send each allowed message exactly once; a dry run writes previews instead of sending."""
    allowed, dropped = consent_filter(db, messages)
    actions = [message_action(m) for m in allowed]
    ledger = Ledger(db, flow)
    if dry_run:
        result = ledger.apply(actions, _never, dry_run=True)
        pending = {a.key for a in result.skipped}
        path = write_previews([m for m in allowed if m.key in pending], previews_dir) if previews_dir else None
        return Delivery(result, dropped, path)
    with transport.session() as session:

        def send(batch: Sequence[Action]) -> list[Outcome]:
            return [session.send(Message.from_payload(a.payload)) for a in batch]

        result = ledger.apply(actions, send, batch_size=1, on_progress=on_progress)
    return Delivery(result, dropped)


def _never(batch: Sequence[Action]) -> list[Outcome]:
    raise AssertionError("a dry run performs nothing")


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def write_previews(messages: Sequence[Message], directory: Path, limit: int = 200) -> Path:
    """One HTML file per planned message (up to `limit`) and an index, for a coordinator to review."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, msg in enumerate(messages):
        name = _SAFE.sub("_", msg.key)[:120] + ".html"
        if i < limit:
            (directory / name).write_text(msg.html, encoding="utf-8")
        rows.append(f"<tr><td>{msg.purpose}</td><td>{msg.member_id or 'staff'}</td><td>{msg.language}</td>"
                    f"<td><a href='{name}'>{_html_escape(msg.subject)}</a></td></tr>")  # fmt: skip
    more = f"<p>{len(messages) - limit} more not rendered</p>" if len(messages) > limit else ""
    index = (
        "<!doctype html><meta charset=utf-8><title>Previews</title><table border=1 cellpadding=4>"
        "<tr><th>purpose</th><th>member</th><th>lang</th><th>subject</th></tr>" + "".join(rows) + "</table>" + more
    )
    (directory / "index.html").write_text(index, encoding="utf-8")
    return directory / "index.html"


def _html_escape(text: str) -> str:
    import html

    return html.escape(text)


deliver_task = task(name="deliver-messages", cache_policy=NO_CACHE)(deliver)
