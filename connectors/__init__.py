"""Connectors: one module per external service, each behind a small Protocol, plus embedded defaults.

`build_tables` chooses the tables backend named in `weaver.toml`; flows only see the Protocol.
`build_audience` gives the Mailchimp audience when `[mailchimp]` is configured, else None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.audience import Audience
    from connectors.mail import MailTransport
    from connectors.news_feeds import NewsFeeds
    from connectors.tables import TableBackend
    from weaver.config import SecretRef
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


def build_audience(ws: Workspace) -> Audience | None:
    """The Mailchimp audience of `[mailchimp]`, or None when the network does not use Mailchimp."""
    cfg = ws.config.mailchimp
    if cfg is None:
        return None
    from connectors.audience import MailchimpAudience

    key = _reveal(cfg.api_key, f"{ws.root / 'weaver.toml'}: [mailchimp] api_key")
    return MailchimpAudience(key, cfg.list_id, server=cfg.server, base_url=cfg.base_url, timeout=cfg.timeout_seconds,
                             concurrency=cfg.concurrency, max_retries=cfg.max_retries)  # fmt: skip


def build_news_feeds(ws: Workspace) -> NewsFeeds | None:
    """A feed reader when `[newsletter] feeds` lists any feed, else None."""
    if not ws.config.newsletter.feeds:
        return None
    from connectors.news_feeds import FeedReader

    return FeedReader(timeout=ws.config.newsletter.feed_timeout_seconds)


def _reveal(ref: SecretRef, where: str) -> str:
    """A secret's value from its environment variable or Prefect Secret block; errors name it, never the value."""
    import os

    from weaver.errors import ConfigError

    if ref.env:
        value = os.environ.get(ref.env, "")
        if not value.strip():
            raise ConfigError(f"{where}: environment variable {ref.env} is not set")
        return value.strip()
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(ref.block).get()
    except ValueError:
        raise ConfigError(f"{where}: no Prefect Secret block named {ref.block!r}") from None
    if not str(value).strip():
        raise ConfigError(f"{where}: Prefect Secret block {ref.block!r} is empty")
    return str(value).strip()
