"""Connectors: one module per external service, each behind a small Protocol, plus embedded defaults.

`build_tables` chooses the tables backend named in `weaver.toml`; flows only see the Protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.forms import FormsSource
    from connectors.mail import MailTransport
    from connectors.tables import TableBackend
    from weaver.workspace import Workspace


def build_tables(ws: Workspace) -> TableBackend:
    cfg = ws.config.tables
    if cfg.backend == "workbook":
        from connectors.workbook import WorkbookTables

        return WorkbookTables(ws.path(cfg.path or ""))
    if cfg.backend == "csv":
        from connectors.csvfiles import CsvTables

        return CsvTables(ws.path(cfg.path or ""))
    from weaver.errors import ConfigError

    raise ConfigError(f"{ws.root / 'weaver.toml'}: [tables] backend {cfg.backend!r} is not available yet")


def build_mail(ws: Workspace) -> MailTransport:
    from connectors.mail import OutboxTransport, Sender

    cfg = ws.config.mail
    sender = Sender(cfg.from_address, cfg.from_name)
    if cfg.backend == "outbox":
        return OutboxTransport(ws.outbox, sender)
    from weaver.errors import ConfigError

    raise ConfigError(f"{ws.root / 'weaver.toml'}: [mail] backend {cfg.backend!r} is not available yet")


def build_forms(ws: Workspace) -> FormsSource | None:
    """The Google Forms API client named in [surveys.google_forms], or None when it is not configured."""
    cfg = ws.config.surveys.google_forms
    if cfg is None:
        return None
    from connectors.forms import build_google_forms

    return build_google_forms(cfg, str(ws.root / "weaver.toml"))
