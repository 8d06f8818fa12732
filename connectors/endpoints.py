"""Where connectors send their requests: the real service, unless a test redirects it to a stand-in.

Production never sets anything here and it is not a config key. Connector tests pass a base URL to the
connector's constructor; whole-flow tests, which cannot reach the constructor (flows build their
connectors from `weaver.toml`), wrap the run in `with redirect(sheets="http://127.0.0.1:PORT"):`, which
`connectors.build_*` reads. `RebaseAdapter` is how a connector over `requests` honours a base URL without
touching its client library: it is mounted on the library's own session, so auth headers still flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

_REDIRECTS: ContextVar[MappingProxyType[str, str]] = ContextVar(
    "weaver_endpoint_redirects", default=MappingProxyType({})
)


@contextmanager
def redirect(**bases: str) -> Iterator[None]:
    """Send the named services (`sheets=...`) to these base URLs inside the block."""
    token = _REDIRECTS.set(MappingProxyType({**_REDIRECTS.get(), **bases}))
    try:
        yield
    finally:
        _REDIRECTS.reset(token)


def redirected(service: str) -> str | None:
    """The base URL a test gave for `service`, or None for the real one."""
    return _REDIRECTS.get().get(service)


class RebaseAdapter(HTTPAdapter):
    """Rewrites `https://real.host/...` to `base/...` before sending; mount it for the real prefix."""

    def __init__(self, real_prefix: str, base: str) -> None:
        super().__init__()
        self.real_prefix = real_prefix
        self.base = base.rstrip("/") + "/"

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        url = request.url or ""
        if url.startswith(self.real_prefix):
            request.url = self.base + url[len(self.real_prefix) :]
        return super().send(request, *args, **kwargs)
