"""Messaging core: render per-language templates, check consent centrally, deliver through the ledger.

Every operation that emails anyone uses `deliver`. It is the one place that decides whether a recipient
may be emailed (`consent_filter`): a member without an explicit yes, or any address on the suppression list
(unsubscribed, cleaned, bounced), never gets a message, whichever flow planned it. Each message is a ledger
action keyed by (purpose, member, occasion), marked `handed` durably just before its DATA, so a rerun sends
nothing twice and a crash leaves at most the message in DATA with an unknown outcome (see tasks.common.delivery).

Rendering lives here; delivery and the consent check live in `tasks.common.delivery` (no Prefect import, so the
CLI and the crash test start fast) and are re-exported here. A send larger than `[mail]
approval_threshold` first passes `tasks.common.approval.approve_send`, called from the flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape
from prefect.cache_policies import NO_CACHE

from tasks.common import overrides
from tasks.common.delivery import (  # noqa: F401  (the messaging core's public API, used by every sending flow)
    Delivery,
    Resend,
    Suppressed,
    consent_filter,
    deliver,
    message_action,
    pending_messages,
    resend,
    suppress,
    write_previews,
)
from tasks.common.prefect_task import task
from weaver.errors import ConfigError

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


# rendering ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    language: str


@lru_cache(maxsize=4)
def environment(root: str = str(TEMPLATES), override: str = "") -> Environment:
    """The templates of `root`; with `override` (a workspace's templates/ folder), its files come first."""
    package = FileSystemLoader(root)
    loader = ChoiceLoader([FileSystemLoader(override), package]) if override else package
    return Environment(
        loader=loader,
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
    override = overrides.active() if root == TEMPLATES else None  # the workspace's templates/ (coordinators')
    available = _languages_of(name, str(root))
    if override is not None:
        available = tuple(sorted({*available, *(p.parent.name for p in override.glob(f"*/{name}.subject"))}))
    if not available:
        raise ConfigError(f"templates: no template named {name!r} (expected {root}/<lang>/{name}.subject)")
    lang = pick_language(language, available, default_language)
    env = environment(str(root), str(override or ""))
    ctx = {**context, "lang": lang}
    try:
        subject = " ".join(env.get_template(f"{lang}/{name}.subject").render(ctx).split())
        text = env.get_template(f"{lang}/{name}.txt").render(ctx).strip() + "\n"
        if override is not None and overrides.overridden(override, lang, name) & {".txt", ".html"} == {".txt"}:
            # the coordinator rewrote the text only: the HTML part is made from it, so both parts say the same
            html_part = env.get_template("_text_as_html.html").render({**ctx, "paragraphs": _paragraphs(text)})
        else:
            html_part = env.get_template(f"{lang}/{name}.html").render(ctx)
        html = _INLINER.inline(html_part)
    except TemplateNotFound as exc:
        raise ConfigError(f"templates: {exc.name} is missing (every message needs .subject, .txt and .html)") from None
    return Rendered(subject, text, html, lang)


def _paragraphs(text: str) -> list[list[str]]:
    """Text -> paragraphs (blank-line separated) of lines, for an HTML part made from a text part."""
    blocks = [block.strip("\n") for block in text.strip().split("\n\n")]
    return [block.split("\n") for block in blocks if block.strip()]


deliver_task = task(name="deliver-messages", cache_policy=NO_CACHE)(deliver)
