"""The composition root: every connector is built here from the workspace's config, and nowhere else.

`open_runtime` gives a flow what it needs at the start of a run (config, tables, state, mail on first use);
the `build_*` functions choose the backend named in `weaver.toml` for each role, so flows and tasks only
see the role's Protocol. `build_audience` gives the Mailchimp audience when `[mailchimp]` is configured,
else None; the other optional roles likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.mail import MailTransport
from connectors.tables import TableBackend
from weaver.state import StateDB
from weaver.workspace import Workspace

if TYPE_CHECKING:
    from connectors.audience import Audience
    from connectors.calendar import GoogleCalendar
    from connectors.chat import ChatChannel
    from connectors.feeds import FeedSource
    from connectors.forms import FormsSource
    from connectors.grants import GrantsSearch
    from connectors.imap import BounceMailbox
    from connectors.mail import ReturnPath, Sender
    from connectors.pdf import ChromiumPrinter
    from connectors.run_history import RunHistory
    from connectors.site import SiteTarget
    from connectors.social import PostChannel


@dataclass
class Runtime:
    ws: Workspace
    tables: TableBackend
    db: StateDB
    dry_run: bool
    _mail: MailTransport | None = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        return self.ws.config.network.default_language

    @property
    def mail(self) -> MailTransport:
        """The configured mail transport, built on first use (flows that send nothing never build it)."""
        if self._mail is None:
            self._mail = build_mail(self.ws, build_return_path(self.ws, self.db, self.dry_run))
        return self._mail

    def previews_dir(self, flow: str) -> Path:
        return self.ws.reports / "previews" / flow

    def close(self) -> None:
        self.db.close()


def open_runtime(workspace: str, dry_run: bool = False) -> Runtime:
    ws = Workspace.open(workspace)
    db = StateDB.for_dry_run(ws.state_url) if dry_run else StateDB(ws.state_url)
    return Runtime(ws, build_tables(ws), db, dry_run)


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


def build_mail(ws: Workspace, return_path: ReturnPath | None = None) -> MailTransport:
    """The configured mail transport; an SMTP password is resolved here, at the entry point.

    `return_path` gives each message its envelope sender (VERP, see `build_return_path`)."""
    from connectors.mail import OutboxTransport, Sender

    cfg = ws.config.mail
    sender = Sender(cfg.from_address, cfg.from_name)
    if cfg.backend == "outbox":
        return OutboxTransport(ws.outbox, sender, return_path)
    return _build_smtp(ws, sender, return_path)


def build_return_path(ws: Workspace, db: StateDB, dry_run: bool) -> ReturnPath | None:
    """With `[mail.bounces]`: ledger key -> `bounces+<signed token>@domain`, so a bounce names its message."""
    bounces = ws.config.mail.bounces
    if bounces is None:
        return None
    from tasks.common.return_path import return_path_for
    from weaver.links import link_secret

    secret, _ = link_secret(db, ws.config, dry_run, str(ws.root / "weaver.toml"))
    return return_path_for(bounces.return_path, secret)


def build_bounce_mailbox(ws: Workspace) -> BounceMailbox | None:
    """The IMAP mailbox of `[mail.bounces]` (its password resolved here), or None when not configured."""
    from connectors.imap import BounceMailbox
    from weaver.secrets import resolve_secret

    cfg = ws.config.mail.bounces
    if cfg is None:
        return None
    password = resolve_secret(cfg.password, "[mail.bounces] password", str(ws.root / "weaver.toml"))
    return BounceMailbox(
        cfg.host, cfg.imap_port, cfg.user, password, folder=cfg.folder, security=cfg.security,
        timeout=cfg.timeout_seconds,
    )  # fmt: skip


def _build_smtp(ws: Workspace, sender: Sender, return_path: ReturnPath | None = None) -> MailTransport:
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
        return_path=return_path,
        connections=cfg.connections,
    )


def build_run_history(ws: Workspace) -> RunHistory:
    """The run-history role: the Prefect API the flows run against (the health digest reads it)."""
    from connectors.run_history import PrefectRunHistory

    return PrefectRunHistory()


def build_chat(ws: Workspace) -> ChatChannel:
    """The chat role: a log file in the workspace, or apprise when [chat] backend = "apprise"."""
    from connectors.chat import AppriseChat, LogChat

    cfg = ws.config.chat
    if cfg.backend == "log" or cfg.urls is None:
        return LogChat(ws.path(cfg.log_file))
    from weaver.errors import ConfigError
    from weaver.secrets import resolve_secret

    source = str(ws.root / "weaver.toml")
    try:
        return AppriseChat(resolve_secret(cfg.urls, "[chat] urls", source))
    except ValueError as exc:
        raise ConfigError(f"{source}: [chat] urls: {exc}") from None


def build_google_calendar(ws: Workspace) -> GoogleCalendar:
    """Google Calendar v3 with the OAuth user token named in [calendar.google] credentials."""
    from connectors.calendar import GoogleCalendar, user_credentials
    from connectors.endpoints import redirected
    from connectors.retry import RetryPolicy
    from weaver.errors import ConfigError
    from weaver.secrets import resolve_secret

    cfg, source = ws.config.calendar.google, str(ws.root / "weaver.toml")
    if cfg is None:
        raise ConfigError(f"{source}: [calendar.google] is missing")
    secret = resolve_secret(cfg.credentials, "[calendar.google] credentials", source)
    credentials = user_credentials(secret, f"{source}: [calendar.google] credentials")
    policy = RetryPolicy(attempts=cfg.max_attempts, budget_seconds=cfg.retry_budget_seconds)
    return GoogleCalendar(credentials, cfg.calendar_id, base_url=redirected("calendar"),
                          timeout_seconds=cfg.timeout_seconds, policy=policy)  # fmt: skip


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


def build_printer(ws: Workspace) -> ChromiumPrinter | None:
    """Headless Chromium printing pages to PDF when `[impact] pdf` is on and a browser is installed, else None
    (the report then says that no PDF was made and why)."""
    from connectors.pdf import ChromiumPrinter, find_chromium

    cfg = ws.config.impact
    binary = find_chromium(cfg.chromium) if cfg.pdf else None
    return ChromiumPrinter(binary, cfg.pdf_timeout_seconds) if binary else None


def build_site_targets(ws: Workspace) -> dict[str, SiteTarget]:
    """The public site's remote targets by name: git and/or WebDAV (none by default: only the folder)."""
    from connectors.site import GitSite, WebDavSite
    from weaver.secrets import resolve_secret

    targets: dict[str, SiteTarget] = {}
    dav = ws.config.site.webdav
    if dav is not None:
        password = ""
        if dav.password is not None:
            password = resolve_secret(dav.password, "[site.webdav] password", str(ws.root / "weaver.toml"))
        targets["webdav"] = WebDavSite(dav.url, dav.username, password, dav.timeout_seconds)
    cfg = ws.config.site.git
    if cfg is None:
        return targets
    remote = cfg.remote
    if cfg.remote_secret is not None:
        remote = resolve_secret(cfg.remote_secret, "[site.git] remote_secret", str(ws.root / "weaver.toml")).strip()
    elif "://" not in remote and not remote.startswith(("git@", "ssh:")) and ":" not in remote.split("/")[0]:
        remote = str(ws.path(remote))  # a local path (a bare repository), relative to the workspace
    targets["git"] = GitSite(remote, cfg.branch, ws.path(cfg.work_dir), cfg.author_name, cfg.author_email,
                             cfg.timeout_seconds)  # fmt: skip
    return targets


def build_post_channels(ws: Workspace) -> dict[str, PostChannel]:
    """Every social-posts channel by name: the workspace's posts/ folder, or apprise for a channel with a URL."""
    from connectors.social import ApprisePosts, FolderPosts
    from weaver.errors import ConfigError
    from weaver.secrets import resolve_secret

    cfg, source = ws.config.posts, str(ws.root / "weaver.toml")
    folder = ws.path(cfg.folder)
    if not cfg.channels:
        return {f"posts-{lang}": FolderPosts(folder, f"posts-{lang}") for lang in ws.config.network.languages}
    out: dict[str, PostChannel] = {}
    for channel in cfg.channels:
        if channel.kind == "folder" or channel.url is None:
            out[channel.name] = FolderPosts(folder, channel.name)
            continue
        url = resolve_secret(channel.url, f"[[posts.channels]] {channel.name} url", source).strip()
        try:
            out[channel.name] = ApprisePosts(
                url, channel.max_attempts, channel.backoff_seconds, channel.timeout_seconds
            )
        except ValueError as exc:
            raise ConfigError(f"{source}: [[posts.channels]] {channel.name}: {exc}") from None
    return out
