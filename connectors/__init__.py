"""Connectors: one module per external service, each behind a small Protocol, plus embedded defaults.

`build_tables` chooses the tables backend named in `weaver.toml`; flows only see the Protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.calendar import GoogleCalendar
    from connectors.chat import ChatChannel
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


def build_chat(ws: Workspace) -> ChatChannel:
    """The chat role: a log file in the workspace, or apprise when [chat] backend = "apprise"."""
    from connectors.chat import AppriseChat, LogChat

    cfg = ws.config.chat
    if cfg.backend == "log" or cfg.urls is None:
        return LogChat(ws.path(cfg.log_file))
    from connectors.secrets import reveal
    from weaver.errors import ConfigError

    where = f"{ws.root / 'weaver.toml'}: [chat] urls"
    try:
        return AppriseChat(reveal(cfg.urls, where))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def build_google_calendar(ws: Workspace) -> GoogleCalendar:
    """Google Calendar v3 with the OAuth user token named in [calendar.google] credentials."""
    from connectors.calendar import GoogleCalendar, user_credentials
    from connectors.secrets import reveal
    from weaver.errors import ConfigError

    cfg = ws.config.calendar.google
    where = f"{ws.root / 'weaver.toml'}: [calendar.google] credentials"
    if cfg is None:
        raise ConfigError(f"{ws.root / 'weaver.toml'}: [calendar.google] is missing")
    credentials = user_credentials(reveal(cfg.credentials, where), where, cfg.token_uri)
    return GoogleCalendar(credentials, cfg.calendar_id, api_endpoint=cfg.api_endpoint, batch_uri=cfg.batch_uri,
                          timeout_seconds=cfg.timeout_seconds)  # fmt: skip
