"""The form webhook receiver: `POST /hooks/{form}` verifies, stores, answers, hands off, in that order.

Prefect's open-source server has no webhooks, so this small ASGI app (Starlette, run by uvicorn) takes
submissions from Typeform, Tally and our Google Forms Apps Script:

1. checks before reading: a known form (404), `application/json` (415), a declared size within the limit
   (413); the body is then read up to the limit (413 beyond);
2. verifies the provider's signature over the raw bytes in constant time (401 when bad or missing);
3. parses the submission into the normalised shape of `deployments.submissions` (400 when malformed);
4. stores it in the inbox table under "<provider>:<submission id>" and answers 202; a replay of a stored
   submission answers 200 and starts nothing (the primary key refuses a second row);
5. wakes the dispatcher (`deployments.dispatch`), which starts the flow run in the background: an answer
   never waits for Prefect or a flow.

Every form's secret is resolved when the app is built: a missing one stops start-up (fail closed), naming
the form and the variable. Logs name the form, the status and the inbox id, never a secret or an answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route as HttpRoute

from deployments.dispatch import Dispatcher, PrefectStarter, Route, Starter
from deployments.signatures import verify
from deployments.submissions import BadSubmission, Submission, parse_submission
from weaver.errors import ConfigError
from weaver.secrets import resolve_secret
from weaver.state import StateDB
from weaver.state.submissions import inbox_add
from weaver.workspace import Workspace

log = logging.getLogger("weaver.webhooks")


@dataclass(frozen=True)
class FormEndpoint:
    name: str
    provider: str
    kind: str
    secret: bytes = field(repr=False)
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, str]


class Inbox(Protocol):
    def add(self, submission: Submission, form: FormEndpoint) -> bool:
        """Store a submission; False when it was stored before (a replay)."""
        ...


class StateInbox:
    """The inbox table of the network's state database."""

    def __init__(self, db: StateDB) -> None:
        self.db = db

    def add(self, submission: Submission, form: FormEndpoint) -> bool:
        return inbox_add(self.db, submission.inbox_id, submission.provider, form.name, form.kind, submission.payload)


class Receiver:
    """The transport-free core: headers and raw bytes in, a status and a small JSON body out."""

    def __init__(self, forms: Mapping[str, FormEndpoint], inbox: Inbox, max_body_bytes: int) -> None:
        self.forms, self.inbox, self.max_body_bytes = dict(forms), inbox, max_body_bytes

    def precheck(self, form: str, headers: Mapping[str, str]) -> Reply | None:
        """What can be refused before reading the body: unknown form, content type, declared size."""
        if form not in self.forms:
            return Reply(404, {"error": "no such form"})
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            return Reply(415, {"error": "expected Content-Type: application/json"})
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return Reply(413, {"error": f"body larger than {self.max_body_bytes} bytes"})
        return None

    def receive(self, form: str, headers: Mapping[str, str], body: bytes) -> Reply:
        early = self.precheck(form, headers)
        if early is not None:
            return early
        endpoint = self.forms[form]
        if len(body) > self.max_body_bytes:
            return Reply(413, {"error": f"body larger than {self.max_body_bytes} bytes"})
        if not verify(endpoint.provider, endpoint.secret, body, headers):
            return Reply(401, {"error": "bad or missing signature"})
        try:
            submission = parse_submission(endpoint.provider, form, body, endpoint.fields)
        except BadSubmission as exc:
            return Reply(400, {"error": str(exc)})
        return self._store(submission, endpoint)

    def _store(self, submission: Submission, endpoint: FormEndpoint) -> Reply:
        try:
            stored = self.inbox.add(submission, endpoint)
        except SQLAlchemyError as exc:  # the provider retries a 5xx; the exception text may hold the payload
            log.error("form %s: inbox unavailable (%s)", endpoint.name, type(exc).__name__)
            return Reply(503, {"error": "the inbox is unavailable; try again"})
        if not stored:
            return Reply(200, {"status": "duplicate", "id": submission.inbox_id})
        return Reply(202, {"status": "accepted", "id": submission.inbox_id})


# ASGI adapter -----------------------------------------------------------------------------------------------
async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it grows past `limit` (a missing Content-Length cannot bypass it)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _respond(form: str, reply: Reply) -> JSONResponse:
    detail = reply.body.get("id") or reply.body.get("error", "")
    log.info("form %s: %d %s", form, reply.status, detail)
    headers = {"Retry-After": "5"} if reply.status == 503 else None
    return JSONResponse(reply.body, status_code=reply.status, headers=headers)


def create_app(receiver: Receiver, dispatcher: Dispatcher | None = None, pages: list | None = None) -> Starlette:
    """The ASGI app; the dispatcher (when given) runs in the app's lifespan, beside the requests.

    `pages` are the routes of the personal-link pages (`deployments.pages.page_routes`).
    """

    async def hook(request: Request) -> JSONResponse:
        form = request.path_params["form"]
        early = receiver.precheck(form, request.headers)
        if early is not None:
            return _respond(form, early)
        body = await _read_body(request, receiver.max_body_bytes)
        if body is None:
            return _respond(form, Reply(413, {"error": f"body larger than {receiver.max_body_bytes} bytes"}))
        # Inline, not in a thread pool: one short SQLite commit costs less than the hand-off to a thread
        # (benchmarks/webhooks.py), and under a writer's lock every request waits for the inbox either way.
        reply = receiver.receive(form, request.headers, body)
        if reply.status == 202 and dispatcher is not None:
            dispatcher.wake()
        return _respond(form, reply)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "forms": sorted(receiver.forms)})

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(dispatcher.run()) if dispatcher is not None else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    routes = [HttpRoute("/hooks/{form}", hook, methods=["POST"]), HttpRoute("/health", health, methods=["GET"])]
    return Starlette(routes=[*routes, *(pages or [])], lifespan=lifespan)


# building from a workspace ----------------------------------------------------------------------------------
def form_endpoints(ws: Workspace, environ: Mapping[str, str] | None = None) -> dict[str, FormEndpoint]:
    """Every configured form with its secret; ConfigError (naming form and variable) if any is missing."""
    forms = ws.config.webhooks.forms
    source = ws.root / "weaver.toml"
    if not forms:
        raise ConfigError(f"{source}: [webhooks.forms] names no form, so the receiver has nothing to receive")
    endpoints: dict[str, FormEndpoint] = {}
    for name, form in forms.items():
        secret = resolve_secret(form.secret, f"[webhooks.forms.{name}] secret", str(source), environ)
        endpoints[name] = FormEndpoint(name, form.provider, form.kind, secret.encode("utf-8"), dict(form.fields))
    return endpoints


def form_routes(ws: Workspace) -> dict[str, Route]:
    """Form -> the deployment its submissions start (forms that only store are left out)."""
    from deployments import FLOW_FOR_KIND, deployment_for
    from flows import FLOWS, load_flow

    routes: dict[str, Route] = {}
    for name, form in ws.config.webhooks.forms.items():
        target = FLOW_FOR_KIND.get(form.kind, "") if form.deployment is None else form.deployment
        if not target:
            continue
        flow = target.split("/")[0]
        if flow not in FLOWS:
            raise ConfigError(
                f"{ws.root / 'weaver.toml'}: [webhooks.forms.{name}] key 'deployment': no operation named {flow!r}"
            )
        takes = "submission" in load_flow(flow).parameters.properties
        routes[name] = Route(deployment_for(target, ws.config), dict(form.parameters), takes)
    return routes


def build_app(ws: Workspace, starter: Starter | None = None, environ: Mapping[str, str] | None = None) -> Starlette:
    """The receiver and its dispatcher for one network workspace (fails closed on a missing secret)."""
    endpoints = form_endpoints(ws, environ)
    db = StateDB(ws.state_url)
    receiver = Receiver(endpoints, StateInbox(db), ws.config.webhooks.max_body_bytes)
    dispatcher = Dispatcher(db, form_routes(ws), starter or PrefectStarter())
    return create_app(receiver, dispatcher, link_pages(ws, db))


def link_pages(ws: Workspace, db: StateDB) -> list:
    """The personal-link pages, signed with the workspace's link key (made now if it has none yet)."""
    from deployments.pages import page_routes
    from weaver.links import LinkSigner, link_secret

    secret, _ = link_secret(db, ws.config, False, str(ws.root / "weaver.toml"))
    return page_routes(ws, db, LinkSigner(secret))


def serve_webhooks(ws: Workspace, host: str | None = None, port: int | None = None, **options: Any) -> None:
    """Run the receiver with uvicorn until interrupted (`weaver webhooks`); fails closed before listening."""
    import uvicorn

    from deployments import require_api_url

    require_api_url("weaver webhooks")
    app = build_app(ws)
    cfg = ws.config.webhooks
    host, port = host or cfg.host, port or cfg.port
    _log_to_stderr()
    log.info("receiving %s on http://%s:%d/hooks/<form>", ", ".join(sorted(cfg.forms)), host, port)
    log.info("serving personal links on %s/l/<purpose>/<token>", ws.config.links.base_url)
    # no access log: our own line per request names form, status and inbox id, and nothing else
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="info", **options)


def _log_to_stderr() -> None:
    """Our lines at INFO on stderr, whatever level Prefect's logging setup gave the root logger."""
    ours = logging.getLogger("weaver")
    if not any(getattr(h, "_weaver", False) for h in ours.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._weaver = True  # type: ignore[attr-defined]
        ours.addHandler(handler)
        ours.setLevel(logging.INFO)
        ours.propagate = False
