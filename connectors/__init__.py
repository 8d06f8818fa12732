"""Connectors: one module per external service, each behind a small Protocol, plus embedded defaults.

`build_tables` chooses the tables backend named in `weaver.toml`; flows only see the Protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.mail import MailTransport, Sender
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
    """The configured mail transport; an SMTP password is resolved here, at the entry point."""
    from connectors.mail import OutboxTransport, Sender

    cfg = ws.config.mail
    sender = Sender(cfg.from_address, cfg.from_name)
    if cfg.backend == "outbox":
        return OutboxTransport(ws.outbox, sender)
    return _build_smtp(ws, sender)


def _build_smtp(ws: Workspace, sender: Sender) -> MailTransport:
    from connectors.mail import SmtpTransport
    from weaver.secrets import resolve_secret

    cfg = ws.config.mail
    source = str(ws.root / "weaver.toml")
    password, hint = None, "the password"
    if cfg.password is not None:
        password = resolve_secret(cfg.password, "[mail] password", source)
        hint = f"the password in env {cfg.password.env}" if cfg.password.env else f"Secret block {cfg.password.block}"
    return SmtpTransport(
        cfg.host or "",
        cfg.smtp_port,
        sender,
        security=cfg.security,
        username=cfg.username,
        password=password,
        password_hint=hint,
        timeout=cfg.timeout_seconds,
        retries=cfg.retries,
    )
