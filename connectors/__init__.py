"""Connectors: one module per external service, each behind a small Protocol, plus embedded defaults.

`build_tables` chooses the tables backend named in `weaver.toml`; flows only see the Protocol.
`build_audience` gives the Mailchimp audience when `[mailchimp]` is configured, else None.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connectors.audience import Audience
    from connectors.feeds import FeedSource
    from connectors.forms import FormsSource
    from connectors.grants import GrantsSearch
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
    if cfg.backend == "google_sheets":
        return _google_sheets(ws)
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
    from connectors.retry import RetryPolicy
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
        policy=RetryPolicy(attempts=cfg.max_attempts, budget_seconds=cfg.retry_budget_seconds),
    )


def build_forms(ws: Workspace) -> FormsSource | None:
    """The Google Forms API client named in [surveys.google_forms], or None when it is not configured."""
    cfg = ws.config.surveys.google_forms
    if cfg is None:
        return None
    from connectors.endpoints import redirected
    from connectors.forms import build_google_forms

    return build_google_forms(cfg, str(ws.root / "weaver.toml"), api_endpoint=redirected("forms"))


def _google_sheets(ws: Workspace) -> TableBackend:
    from connectors.endpoints import redirected
    from connectors.google_sheets import GoogleSheetsTables
    from connectors.retry import RetryPolicy

    cfg = ws.config.tables
    policy = RetryPolicy(attempts=cfg.max_attempts, budget_seconds=cfg.retry_budget_seconds)
    return GoogleSheetsTables(
        cfg.spreadsheet_id or "",
        _google_credentials(ws),
        timeout=cfg.timeout_seconds,
        policy=policy,
        base_url=redirected("sheets"),
    )


def _google_credentials(ws: Workspace) -> dict[str, object]:
    """The key or token JSON named by [tables] credentials (a Secret) or credentials_file."""
    import json

    from weaver.errors import ConfigError
    from weaver.secrets import resolve_secret

    cfg, source = ws.config.tables, str(ws.root / "weaver.toml")
    if cfg.credentials is not None:
        key, text = "[tables] credentials", resolve_secret(cfg.credentials, "[tables] credentials", source)
    else:
        path = ws.path(cfg.credentials_file or "")
        key = f"[tables] credentials_file {path}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            raise ConfigError(f"{source}: {key}: cannot read the file (missing or not readable)") from None
    try:
        info = json.loads(text)
    except ValueError:
        info = None  # never echo the text: it is a secret
    if not isinstance(info, dict):
        raise ConfigError(f"{source}: {key}: not a JSON key or token (download the JSON key of the service account)")
    from connectors.google_sheets import credentials_problem

    problem = credentials_problem(info)
    if problem:
        raise ConfigError(f"{source}: {key}: {problem}")
    return info


def build_grants_gov(ws: Workspace) -> GrantsSearch | None:
    """The Grants.gov client when `[grants.grants_gov] enabled = true`, else None (the demo default)."""
    cfg = ws.config.grants.grants_gov
    if not cfg.enabled:
        return None
    from connectors.grants import GrantsGovClient

    return GrantsGovClient(cfg.base_url, timeout=cfg.timeout_seconds)


def build_feed_reader(ws: Workspace) -> FeedSource | None:
    """A feed reader when `[[grants.feeds]]` lists any feed, else None."""
    if not ws.config.grants.feeds:
        return None
    from connectors.feeds import FeedReader

    return FeedReader(timeout=ws.config.grants.feed_timeout_seconds)


def build_audience(ws: Workspace) -> Audience | None:
    """The Mailchimp audience of `[mailchimp]`, or None when the network does not use Mailchimp."""
    cfg = ws.config.mailchimp
    if cfg is None:
        return None
    from connectors.audience import MailchimpAudience
    from connectors.endpoints import redirected
    from connectors.retry import RetryPolicy
    from weaver.secrets import resolve_secret

    key = resolve_secret(cfg.api_key, "[mailchimp] api_key", str(ws.root / "weaver.toml")).strip()
    return MailchimpAudience(
        key,
        cfg.list_id,
        server=cfg.server,
        base_url=redirected("mailchimp") or "",  # a test's stand-in; production talks to Mailchimp
        timeout=cfg.timeout_seconds,
        concurrency=cfg.concurrency,
        policy=RetryPolicy(attempts=cfg.max_retries + 1, budget_seconds=120.0),
    )


def build_news_feeds(ws: Workspace) -> FeedSource | None:
    """A feed reader when `[newsletter] feeds` lists any feed, else None."""
    if not ws.config.newsletter.feeds:
        return None
    from connectors.feeds import FeedReader

    return FeedReader(timeout=ws.config.newsletter.feed_timeout_seconds)
