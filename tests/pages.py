"""Serving the receiver's pages on loopback for tests: uvicorn in a thread, as a member's browser reaches it.

    with serving(app) as base:            # base = "http://127.0.0.1:<port>"
        html = dump_dom(f"{base}/l/unsubscribe/{token}")

`link_rig(ws)` gives the pieces a page test needs: the workspace, its state database, its link signer and the
app with every registered page (and no forms or dispatcher: pages never need Prefect).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from deployments.pages import page_routes
from tests.processes import free_port
from weaver.links import LinkSigner, link_secret
from weaver.state import StateDB
from weaver.workspace import Workspace


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="pages", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the page server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class LinkRig:
    ws: Workspace
    db: StateDB
    signer: LinkSigner
    app: Starlette

    def token(self, purpose: str, member_id: str, scope: str = "", expires: datetime | None = None) -> str:
        return self.signer.token(purpose, member_id, scope, expires)


def link_rig(root: Path, clock=None) -> LinkRig:  # type: ignore[no-untyped-def]
    """Pages of the workspace at `root` (its own link key), optionally on a pinned clock."""
    ws = Workspace.open(root)
    db = StateDB(ws.state_url)
    secret, _ = link_secret(db, ws.config, False, str(root / "weaver.toml"))
    signer = LinkSigner(secret)
    routes = page_routes(ws, db, signer, clock) if clock is not None else page_routes(ws, db, signer)
    return LinkRig(ws, db, signer, Starlette(routes=routes))
