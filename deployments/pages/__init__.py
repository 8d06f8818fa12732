"""Pages the receiver serves to members who follow a personal link: GET and POST `/l/{purpose}/{token}`.

A page is registered for one link purpose (`weaver.links`): `unsubscribe`, `checkin`, `vote`, ... Each page
module in this package defines a class with `purpose`, `get(ctx)` and `post(ctx)`, and calls `register()`
at import; `load_pages()` imports every module here, so adding a page is adding a file (no shared list).

The receiver verifies the token before a page runs: a page only ever sees a `PageContext` whose `link` is
valid for its purpose and not expired. A forged, foreign, expired or wrong-purpose token gets one plain
bilingual 403 page (nothing about why beyond "not valid", nothing about whom), an unknown purpose a 404.
Pages answer in the member's language (`ctx.language`), render through the shared layout
(`templates/pages/_layout.html`: lang attribute, readable without JavaScript or CSS), and never put an
address or a token in a log line.

Pages run in a worker thread (their state writes are short SQLite/PostgreSQL transactions).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route as HttpRoute

from weaver.clock import utcnow
from weaver.i18n import LANGUAGES, t
from weaver.links import BadLink, Link, LinkSigner, link_url
from weaver.state import StateDB
from weaver.state.links import member_by_id
from weaver.workspace import Workspace

log = logging.getLogger("weaver.pages")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "pages"
MAX_FORM_BYTES = 64 * 1024


@dataclass(frozen=True)
class PageReply:
    html: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PageContext:
    """One request to a page: the verified link, the workspace and its state, the form (POST) and the time."""

    ws: Workspace
    db: StateDB
    signer: LinkSigner
    link: Link
    now: datetime
    method: str = "GET"
    form: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)

    def member(self) -> dict[str, Any] | None:
        """The state database's row of the member the link is for (active or gone), or None."""
        return member_by_id(self.db, self.link.subject)

    @property
    def language(self) -> str:
        """`?lang=` when given, else the member's language, else the network's default."""
        network = self.ws.config.network
        chosen = self.query.get("lang", "")
        if chosen in LANGUAGES:
            return chosen
        member = self.member() or {}
        lang = str((member.get("fields") or {}).get("language") or member.get("language") or "")
        return lang if lang in LANGUAGES else network.default_language

    def url(self, purpose: str, token: str) -> str:
        return link_url(self.ws.config, purpose, token)

    def render(self, template: str, title: str, status: int = 200, **values: Any) -> PageReply:
        return render(template, self.language, title, self.ws.config.network.name, status, **values)


class Page(Protocol):
    purpose: str

    def get(self, ctx: PageContext) -> PageReply: ...

    def post(self, ctx: PageContext) -> PageReply: ...


PAGES: dict[str, Page] = {}


def register(page: Page) -> Page:
    """Add a page for its link purpose (one page per purpose)."""
    existing = PAGES.get(page.purpose)
    if existing is not None and type(existing) is not type(page):
        raise ValueError(f"two pages for the link purpose {page.purpose!r}")
    PAGES[page.purpose] = page
    return page


@cache
def load_pages() -> Mapping[str, Page]:
    """Import every page module of this package (each registers its page) and return the registry."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return PAGES


# rendering --------------------------------------------------------------------------------------------------
@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = t
    return env


def render(template: str, lang: str, title: str, network: str, status: int = 200, **values: Any) -> PageReply:
    """A page through the shared layout, in `lang` (the layout's lang attribute and its fixed texts)."""
    html = environment().get_template(template).render(lang=lang, title=title, network_name=network, **values)
    return PageReply(html, status, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def refusal(network: str, lang: str, status: int = 403) -> PageReply:
    """The one answer to a link that is not valid here: bilingual, saying nothing about whom or why."""
    key = "page.not_found" if status == 404 else "page.bad_link"
    return render("_message.html", lang, t(f"{key}.title", lang), network, status,
                  message=t(key, lang), other=t(key, "zh" if lang == "en" else "en"))  # fmt: skip


# the routes -------------------------------------------------------------------------------------------------
def page_routes(ws: Workspace, db: StateDB, signer: LinkSigner, clock: Callable[[], datetime] = utcnow) -> list:
    """GET and POST /l/{purpose}/{token}, dispatching to the registered page after the token verifies."""
    pages = load_pages()
    network = ws.config.network

    async def serve(request: Request) -> HTMLResponse:
        purpose, token = request.path_params["purpose"], request.path_params["token"]
        page = pages.get(purpose)
        lang = request.query_params.get("lang", "")
        lang = lang if lang in LANGUAGES else network.default_language
        if page is None:
            return _respond(refusal(network.name, lang, 404), purpose)
        now = clock()
        try:
            link = signer.verify(token, purpose, now)
        except BadLink as bad:
            log.info("page %s: link refused (%s)", purpose, bad.reason)
            return _respond(refusal(network.name, lang), purpose)
        form: dict[str, str] = {}
        if request.method == "POST":
            body = await request.body()
            if len(body) > MAX_FORM_BYTES:
                return _respond(PageReply("request too large", 413), purpose)
            form = _form_fields(body)
        query = {k: v for k, v in request.query_params.items()}
        ctx = PageContext(ws, db, signer, link, now, request.method, form, query)
        handler = page.post if request.method == "POST" else page.get
        reply = await run_in_threadpool(handler, ctx)
        return _respond(reply, purpose)

    return [HttpRoute("/l/{purpose}/{token}", serve, methods=["GET", "POST"])]


def _form_fields(body: bytes) -> dict[str, str]:
    """URL-encoded fields (our pages' forms and RFC 8058's one-click POST); a repeated field keeps every value,
    joined by newlines. Parsed here rather than by Starlette, which would need python-multipart for this."""
    fields: dict[str, list[str]] = {}
    for key, value in parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True):
        fields.setdefault(key, []).append(value)
    return {k: "\n".join(v) for k, v in fields.items()}


def _respond(reply: PageReply, purpose: str) -> HTMLResponse:
    log.info("page %s: %d", purpose, reply.status)
    return HTMLResponse(reply.html, reply.status, headers=dict(reply.headers))
