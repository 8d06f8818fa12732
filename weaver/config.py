"""`weaver.toml`: one file per network workspace, validated with pydantic.

Every error names the file, the key and what is wrong, e.g.
``weaver.toml: [members.columns] unknown key 'emial' (known: email, interests, ...)``.
Nothing here reads the environment or opens files at import; `load_config` is called at the entry point.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from weaver.errors import ConfigError

CONFIG_NAME = "weaver.toml"

# Member fields a sheet column can map to. `member_id` and `sync_status` are ours (owned columns).
MEMBER_FIELDS = (
    "name",
    "email",
    "interests",
    "region",
    "language",
    "organisation",
    "org_type",
    "joined",
    "consent",
    "phone",
    "needs",
    "offers",
    "timezone",
    "fee",
    "paid_until",
    "asks_offers",  # yes: share my needs and offers in the weekly digest, and introduce me (asks-offers)
    "directory",  # the public site's member directory: yes, no, or the fields a member allows (issue 19)
)
OWNED_FIELDS = ("member_id", "sync_status", "engagement", "last_active")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Strict):
    """Where a secret lives: an environment variable or a Prefect Secret block, never its value."""

    env: str | None = None
    block: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if bool(self.env) == bool(self.block):
            raise ValueError("give exactly one of 'env' (an environment variable) or 'block' (a Prefect Secret)")
        return self


class NetworkConfig(_Strict):
    name: str = "My network"
    timezone: str = "UTC"
    default_language: Literal["zh", "en"] = "en"
    languages: tuple[Literal["zh", "en"], ...] = ("zh", "en")
    # The network's postal address, printed in the footer of every email to members (anti-spam laws and the
    # large mailbox providers ask bulk senders for one). One line; empty leaves it out.
    postal_address: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except Exception as exc:  # ZoneInfo raises several types for a bad key
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class StateConfig(_Strict):
    # Empty means a SQLite file `weaver.db` in the workspace; any SQLAlchemy URL is accepted.
    url: str = ""
    # retention: a settled ledger entry's payload (a message's body, names, addresses) is dropped this many
    # days after its last change; its key, status and times stay, so a rerun still never repeats it
    ledger_payload_days: int = Field(default=90, ge=1)


class TablesConfig(_Strict):
    """The tables role: where members, events, opportunities and surveys live."""

    backend: Literal["workbook", "csv", "google_sheets"] = "workbook"
    # workbook: an .xlsx file; csv: a folder with one <Tab>.csv per tab (or one .csv file for one tab).
    path: str | None = None
    # google_sheets: the spreadsheet id (from its URL) and where the credentials are: a service-account key
    # or an authorized-user token (JSON), in a Secret (env var or Prefect block) or in a file.
    spreadsheet_id: str | None = None
    credentials: SecretRef | None = None
    credentials_file: str | None = None
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # the one retry loop for each idempotent call: tries in all, and the most time they may take together
    max_attempts: int = Field(default=5, ge=1, le=10)
    retry_budget_seconds: float = Field(default=90.0, ge=0, le=900)

    @model_validator(mode="after")
    def _backend_needs(self) -> TablesConfig:
        if self.backend in ("workbook", "csv") and not self.path:
            raise ValueError(f"backend {self.backend!r} needs 'path' (the file in the workspace)")
        if self.backend == "google_sheets":
            if not self.spreadsheet_id:
                raise ValueError("backend 'google_sheets' needs 'spreadsheet_id' (the id in the sheet's URL)")
            if bool(self.credentials) == bool(self.credentials_file):
                raise ValueError(
                    "backend 'google_sheets' needs exactly one of 'credentials' (a Secret: env or block) or "
                    "'credentials_file' (a JSON key file)"
                )
        return self


class MembersConfig(_Strict):
    tab: str = "Members"
    header_row: int = Field(default=1, ge=1)
    required: tuple[str, ...] = ("name", "email")
    # our field -> the sheet's own header (often Chinese: 姓名, 邮箱, 兴趣, 地区, 语言)
    columns: dict[str, str] = Field(default_factory=lambda: {"name": "Name", "email": "Email"})
    # columns we own and write back; created at the right of the sheet if missing
    owned_columns: dict[str, str] = Field(
        default_factory=lambda: {"member_id": "Member ID", "sync_status": "Sync status"}
    )
    # fields members may change themselves on their "my details" page (member-sync writes them, mapped only)
    self_service: tuple[str, ...] = ("interests", "needs", "offers", "region", "language")
    # double opt-in: a join from the public form is added only once its person confirms by the emailed link;
    # an unconfirmed join expires (reported, its answers erased) after this many days
    confirm_joins: bool = True
    confirm_within_days: int = Field(default=7, ge=1, le=90)

    @field_validator("self_service")
    @classmethod
    def _editable_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _check_keys(dict.fromkeys(value), MEMBER_FIELDS)
        if "email" in value:
            raise ValueError("'email' cannot be changed by members (members are matched by email)")
        return value

    @field_validator("columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, MEMBER_FIELDS)
        if "email" not in value:
            raise ValueError("must map 'email' (members are matched by email)")
        return {k: v.strip() for k, v in value.items()}

    @field_validator("owned_columns")
    @classmethod
    def _known_owned(cls, value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, OWNED_FIELDS)
        return {k: v.strip() for k, v in value.items()}

    @model_validator(mode="after")
    def _required_are_mapped(self) -> MembersConfig:
        for name in self.required:
            if name not in self.columns:
                raise ValueError(f"'required' names {name!r}, which [members.columns] does not map")
        return self


class BouncesConfig(_Strict):
    """`[mail.bounces]`: the IMAP mailbox where delivery-status notifications (bounces) arrive.

    Every email then leaves with a VERP return path, `<local>+<token>@<domain>` of `return_path` (the token is
    signed with the link key and names the message's ledger key), so each bounce maps to its member and
    message. The `bounces` operation reads new notifications: a hard one (5.x.x) suppresses the address at
    once, soft ones (4.x.x) are counted and suppress it at `soft_limit`.
    """

    return_path: str  # e.g. "bounces@example.org": its mailbox must receive bounces+anything@example.org
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"  # "none" only for a server on the same machine
    user: str
    password: SecretRef
    folder: str = "INBOX"
    soft_limit: int = Field(default=3, ge=1, le=100)  # soft bounces of one address (distinct messages)
    match_days: int = Field(default=30, ge=1, le=3650)  # how old a message a bounce may still name
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("return_path")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        local, at, domain = value.strip().rpartition("@")
        if not at or not local or not domain or "+" in local or not value.isascii() or " " in value.strip():
            raise ValueError(f"{value!r}: an ASCII address without '+' (the token is added after a '+')")
        return value.strip()

    @property
    def imap_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)


class Approver(_Strict):
    """Someone told when a run pauses for approval (staff mail, never member mail)."""

    email: str
    name: str = ""
    language: Literal["", "zh", "en"] = ""  # empty: the network's default language


class MailConfig(_Strict):
    """The email role: the outbox folder (default) or an SMTP server, and the approval gate."""

    backend: Literal["outbox", "smtp"] = "outbox"
    from_address: str = "weaver@example.org"
    from_name: str = "Network Weaver"
    outbox: str = "outbox"
    # smtp: host and port; "starttls" upgrades a plain connection (port 587), "ssl" is TLS from the
    # start (port 465), "none" only for a relay on the same machine.
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretRef | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)
    # a message refused for now (4xx) is tried this many times in all, then left for the next run
    max_attempts: int = Field(default=4, ge=1, le=10)
    # smtp: connections sending at once (each hands over one message at a time); a server that takes fewer
    # from one client is respected (the extra ones are given up)
    connections: int = Field(default=3, ge=1, le=8)
    retry_budget_seconds: float = Field(default=60.0, ge=0, le=900)
    # a send to more recipients than this waits for a coordinator's approval in the Prefect UI
    approval_threshold: int = Field(default=50, ge=0)
    approval_timeout_minutes: int = Field(default=24 * 60, ge=1)
    # how often a paused run looks for the coordinator's answer
    approval_poll_seconds: int = Field(default=10, ge=1, le=300)
    # who is told (staff email; and/or the staff chat with approval_chat) when a run pauses for approval, with
    # the count, a link to a preview page the receiver serves and a link to the paused run in the Prefect UI
    approvers: tuple[Approver, ...] = ()
    approval_chat: bool = False
    # where bounces arrive (None: bounces are not read, and mail leaves with the plain from_address)
    bounces: BouncesConfig | None = None

    @model_validator(mode="after")
    def _smtp_needs(self) -> MailConfig:
        if self.backend == "smtp" and not self.host:
            raise ValueError("backend 'smtp' needs 'host' (the SMTP server's name)")
        if self.username and self.password is None:
            raise ValueError("'username' needs 'password' (an env var or Prefect Secret block, never the value)")
        return self

    @property
    def smtp_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class OnboardingConfig(_Strict):
    """Welcoming new members: who counts as new, buddies, follow-ups and the weaver's digest."""

    # The very first run in a workspace welcomes only members whose join date is this recent (never the
    # whole existing membership); later runs welcome members first synced since the previous run.
    new_member_days: int = Field(default=30, ge=0)
    max_newcomers_per_buddy: int = Field(default=2, ge=1)
    followup_days: tuple[int, ...] = (7, 30)
    # The network weaver who gets the digest of each run's newcomers (empty: no digest).
    weaver_email: str = ""
    weaver_name: str = ""
    # Where newcomers read the principles and how to take part (shown in the welcome email).
    handbook_url: str = ""

    @field_validator("followup_days")
    @classmethod
    def _positive_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(d < 1 for d in value):
            raise ValueError("follow-up days must be 1 or more")
        return tuple(sorted(set(value)))


class TabsConfig(_Strict):
    """Tab names of the other tables later operations read."""

    events: str = "Events"
    opportunities: str = "Opportunities"
    surveys: str = "Surveys"
    news: str = "News"
    rsvps: str = "RSVPs"


# events, calendar and chat (event-invites) ------------------------------------------------------------
EVENT_FIELDS = ("event_id", "title", "start", "end", "timezone", "place", "audience", "capacity", "language",
                "status", "description")  # fmt: skip
RSVP_FIELDS = ("event_id", "email", "member_id", "response", "submitted_at")
_OFFSET = re.compile(r"^\s*(\d+)\s*(d|h|m|天|日|小时|時|分钟|分)\s*$", re.IGNORECASE)
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–~至到]\s*(\d{1,2}):(\d{2})\s*$")


class EventsConfig(_Strict):
    """The event-invites operation: where events and RSVPs come from, and when reminders go out."""

    source: Literal["table", "google_calendar"] = "table"
    # our field = the events tab's own header; unmapped fields are optional (title and start are not)
    columns: dict[str, str] = Field(default_factory=lambda: {f: f for f in EVENT_FIELDS})
    rsvp_columns: dict[str, str] = Field(
        default_factory=lambda: {
            "event_id": "event_id",
            "email": "email",
            "response": "response",
            "submitted_at": "submitted_at",
        }  # fmt: skip
    )
    # before the start: d = days (same wall-clock time in the event's zone), h / m = hours / minutes
    reminders: tuple[str, ...] = ("7d", "1d", "2h")
    # no reminder reaches a member inside these hours of their own local time ("" turns it off)
    quiet_hours: str = "21:00-08:00"
    default_duration_minutes: int = Field(default=120, ge=5)
    # an RSVP form link shown in invitations; {event_id} is replaced (e.g. a Tally form's hidden field)
    rsvp_url: str = ""
    # where the event and the answer sit in a webhook RSVP (answers{...} or hidden{...} of the inbox payload)
    rsvp_event_keys: tuple[str, ...] = ("event_id", "event", "活动编号", "活动")
    rsvp_answer_keys: tuple[str, ...] = ("response", "rsvp", "attending", "回复", "是否参加", "参加")

    @field_validator("columns")
    @classmethod
    def _event_fields(cls, value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, EVENT_FIELDS)
        for needed in ("event_id", "title", "start"):
            if needed not in value:
                raise ValueError(f"must map {needed!r}")
        return {k: v.strip() for k, v in value.items()}

    @field_validator("rsvp_columns")
    @classmethod
    def _rsvp_fields(cls, value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, RSVP_FIELDS)
        if "event_id" not in value or "response" not in value:
            raise ValueError("must map 'event_id' and 'response'")
        if "email" not in value and "member_id" not in value:
            raise ValueError("must map 'email' or 'member_id' (to know who answered)")
        return {k: v.strip() for k, v in value.items()}

    @field_validator("reminders")
    @classmethod
    def _offsets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if not _OFFSET.match(item):
                raise ValueError(f"reminder {item!r} is not an offset like '7d', '1d', '2h' or '30m'")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        if value.strip() and not _QUIET.match(value):
            raise ValueError(f"{value!r} is not a range like '21:00-08:00' (or \"\" for none)")
        return value.strip()


class GoogleCalendarConfig(_Strict):
    """Google Calendar v3 as a source of events and a target for them."""

    calendar_id: str = "primary"
    # An OAuth user token (JSON of type 'authorized_user': client_id, client_secret, refresh_token).
    auth: Literal["oauth_user", "service_account"] = "oauth_user"
    credentials: SecretRef
    send_updates: Literal["all", "externalOnly", "none"] = "all"
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=10)  # idempotent calls (all of ours): 429 and 5xx retried
    retry_budget_seconds: float = Field(default=90.0, ge=0, le=900)

    @field_validator("auth")
    @classmethod
    def _user_token(cls, value: str) -> str:
        if value == "service_account":
            raise ValueError(SERVICE_ACCOUNT_PROBLEM)
        return value


SERVICE_ACCOUNT_PROBLEM = (
    "a service account cannot invite attendees to Google Calendar events without Google Workspace "
    "domain-wide delegation (Google answers 403 forbiddenForServiceAccounts): use an OAuth user token "
    "(type 'authorized_user') of the account that organises the events"
)


class CalendarConfig(_Strict):
    """Where events are published: always the workspace's calendar.ics, optionally a Google calendar."""

    target: Literal["file", "google_calendar"] = "file"
    name: str = ""  # the subscribed calendar's name; the network's name if empty
    google: GoogleCalendarConfig | None = None

    @model_validator(mode="after")
    def _google_needs(self) -> CalendarConfig:
        if self.target == "google_calendar" and self.google is None:
            raise ValueError("target 'google_calendar' needs a [calendar.google] table (calendar_id, credentials)")
        return self


class ChatConfig(_Strict):
    """Event announcements in chat: a log file in the workspace by default, any apprise service if set."""

    backend: Literal["log", "apprise"] = "log"
    log_file: str = "chat.log"
    # apprise URLs (slack://, tgram://, discord://, dingtalk://, wecombot:// ...) carry tokens: a secret
    urls: SecretRef | None = None

    @model_validator(mode="after")
    def _apprise_needs(self) -> ChatConfig:
        if self.backend == "apprise" and self.urls is None:
            raise ValueError("backend 'apprise' needs 'urls' (a secret holding one or more apprise URLs)")
        return self


# audience and newsletter (issue 6) -----------------------------------------------------------------------
class MailchimpConfig(_Strict):
    """The audience-and-campaigns role on Mailchimp (Marketing API 3.0). Absent means: not used."""

    api_key: SecretRef  # Mailchimp: Profile > Extras > API keys; ends in the data centre, e.g. "...-us21"
    list_id: str = Field(min_length=1)  # Audience > Settings > "Audience name and defaults": Audience ID
    # the data centre ("us21"); empty means the suffix of the API key
    server: str = ""
    timeout_seconds: float = Field(default=30.0, gt=0)
    # Mailchimp allows 10 simultaneous connections per key: stay below, whatever is configured
    concurrency: int = Field(default=4, ge=1, le=9)
    max_retries: int = Field(default=3, ge=0, le=8)
    # merge tag -> member field (the audience's merge fields must exist in Mailchimp)
    merge_fields: dict[str, str] = Field(default_factory=lambda: {"FNAME": "name"})
    # member fields that become tags: interests as they are, the others as "field:value"
    tags_from: tuple[str, ...] = ("interests", "region", "language")

    @field_validator("merge_fields")
    @classmethod
    def _merge_fields(cls, value: dict[str, str]) -> dict[str, str]:
        for tag, name in value.items():
            if not tag.isupper() or not tag.replace("_", "").isalnum() or len(tag) > 10:
                raise ValueError(f"merge tag {tag!r} must be up to 10 capital letters or digits, like FNAME")
            if name not in MEMBER_FIELDS:
                raise ValueError(f"merge tag {tag!r} names unknown field {name!r} (known: {', '.join(MEMBER_FIELDS)})")
        return value

    @field_validator("tags_from")
    @classmethod
    def _tag_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in MEMBER_FIELDS:
                raise ValueError(f"unknown field {name!r} (known: {', '.join(MEMBER_FIELDS)})")
        return value


class NewsletterConfig(_Strict):
    """The newsletter operation: cadence, sources and how it goes out."""

    cadence: Literal["monthly", "quarterly"] = "monthly"
    # auto: a Mailchimp campaign when [mailchimp] is configured, else an email to each consenting member
    delivery: Literal["auto", "email", "mailchimp"] = "auto"
    # RSS or Atom feeds whose items of the period join the news section
    feeds: tuple[str, ...] = ()
    feed_timeout_seconds: float = Field(default=20.0, gt=0)
    # events starting up to this many days after the period's end are still announced
    events_horizon_days: int = Field(default=45, ge=0)
    max_items: int = Field(default=8, ge=1, le=50)  # per section

    @field_validator("feeds")
    @classmethod
    def _feed_urls(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for url in value:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"feed {url!r} must be an http(s) URL")
        return value


# --- the public site (issue 19) -----------------------------------------------------------------------
# member fields the public directory may ever show; email, phone, fees and the rest never appear
DIRECTORY_FIELDS = ("name", "organisation", "org_type", "region", "interests", "offers", "needs")


class SiteGitConfig(_Strict):
    """Publish the built site to a git remote (GitHub or Gitea Pages style): commit and push only on a change."""

    remote: str = ""  # a URL or path without a secret in it, e.g. git@github.com:org/site.git or ../site.git
    remote_secret: SecretRef | None = None  # or a URL that carries a token (https://x:TOKEN@host/org/site.git)
    branch: str = Field(default="gh-pages", pattern=r"^[A-Za-z0-9._/-]{1,100}$")
    work_dir: str = ".site-git"  # our clone, in the workspace
    author_name: str = "Network Weaver"
    author_email: str = "weaver@localhost"
    timeout_seconds: float = Field(default=120.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _one_remote(self) -> SiteGitConfig:
        if bool(self.remote) == bool(self.remote_secret):
            raise ValueError("give exactly one of 'remote' (a URL or path) or 'remote_secret' (a URL with a token)")
        return self


class SiteWebDavConfig(_Strict):
    """Publish the built site to a WebDAV folder (Nextcloud, ownCloud, a web host's DAV): only changed files."""

    url: str = Field(pattern=r"^https?://")  # the folder, e.g. https://cloud.example.org/remote.php/dav/files/me/site
    username: str = ""
    password: SecretRef | None = None
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)


class SiteConfig(_Strict):
    """The network's public site: built from the workspace into `folder`, optionally pushed to a git remote."""

    folder: str = "site"  # the built site, in the workspace
    base_url: str = Field(default="", pattern=r"^(https?://.*)?$")  # where the site is served: posts link to it
    title: str = ""  # the site's title; the network's name if empty
    # what a plain "yes" in the directory column shows; a member may list other fields of DIRECTORY_FIELDS
    directory_fields: tuple[str, ...] = ("name", "organisation", "region")
    home_items: int = Field(default=3, ge=1, le=20)  # items per section on the home page
    git: SiteGitConfig | None = None
    webdav: SiteWebDavConfig | None = None

    @field_validator("directory_fields")
    @classmethod
    def _public_fields(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in DIRECTORY_FIELDS:
                raise ValueError(f"{name!r} cannot be shown publicly (allowed: {', '.join(DIRECTORY_FIELDS)})")
        if "name" not in value:
            raise ValueError("must include 'name' (a directory entry is a named member)")
        return value


# --- social posts (issue 19) ------------------------------------------------------------------------------
POST_CHANNEL_KINDS = ("folder", "mastodon", "bluesky", "x", "telegram", "dingtalk", "wecom", "slack", "discord",
                      "matrix")  # fmt: skip
POST_DRAFT_SOURCES = ("events", "opportunities", "newsletter")


class PostChannelConfig(_Strict):
    """One channel posts go out on: the `posts/` folder, or one apprise service named by its URL."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")  # what the Posts tab's channels cell names
    kind: Literal["folder", "mastodon", "bluesky", "x", "telegram", "dingtalk", "wecom", "slack", "discord",
                  "matrix"] = "folder"  # fmt: skip
    language: Literal["zh", "en"]  # the text the channel gets: text_zh or text_en
    url: SecretRef | None = None  # the apprise URL (it carries a token: a secret), e.g. mastodons://TOKEN@host
    max_attempts: int = Field(default=3, ge=1, le=6)  # tries when the service says 429 (rate limited)
    backoff_seconds: float = Field(default=2.0, ge=0, le=120)  # the first wait; it doubles
    timeout_seconds: float = Field(default=15.0, gt=0, le=300)

    @model_validator(mode="after")
    def _url_needed(self) -> PostChannelConfig:
        if self.kind != "folder" and self.url is None:
            raise ValueError(f"channel {self.name!r} of kind {self.kind!r} needs 'url' (a secret: env or block)")
        return self


class PostsConfig(_Strict):
    tab: str = "Posts"
    folder: str = "posts"  # where folder channels write, in the workspace
    drafts_from: tuple[Literal["events", "opportunities", "newsletter"], ...] = POST_DRAFT_SOURCES
    channels: tuple[PostChannelConfig, ...] = ()  # none: one folder channel per network language (posts-zh ...)

    @field_validator("channels")
    @classmethod
    def _unique_names(cls, value: tuple[PostChannelConfig, ...]) -> tuple[PostChannelConfig, ...]:
        names = [c.name for c in value]
        if len(names) != len(set(names)):
            raise ValueError("two channels share a name")
        return value


# --- chat prompts (issue 19) -------------------------------------------------------------------------------
class PromptsConfig(_Strict):
    """The question of the week (the Prompts tab), the weekly "what's on" digest and event reminders in chat."""

    tab: str = "Prompts"
    stale_days: int = Field(default=3, ge=0, le=60)  # a question later than this is not posted any more
    digest_weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    event_reminder_hours: int = Field(default=24, ge=1, le=24 * 14)
    introduce_new_members: bool = True  # the digest names members who joined this week and chose the directory


# --- deployments, schedules and form webhooks (issue 9) ------------------------------------------------
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-]+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def _check_cron(value: str) -> str:
    """Five fields (minute hour day month weekday); "" means manual runs only. Prefect checks the rest."""
    value = " ".join(value.split())
    if value and (len(value.split()) != 5 or not all(_CRON_FIELD.match(p) for p in value.split())):
        raise ValueError(f"{value!r} is not a cron schedule (five fields: minute hour day month weekday)")
    return value


Cron = Annotated[str, AfterValidator(_check_cron)]


def _days_before(value: tuple[int, ...]) -> tuple[int, ...]:
    """Reminder thresholds in days before a date: each once, the farthest first."""
    if any(d < 0 for d in value):
        raise ValueError("days must be 0 or more")
    return tuple(sorted(set(value), reverse=True))


DaysBefore = Annotated[tuple[int, ...], AfterValidator(_days_before)]


def _headers(known: tuple[str, ...]) -> Any:
    """`our field -> the tab's own header`: every key one of `known`, every header stripped."""

    def check(value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, known)
        return {k: v.strip() for k, v in value.items()}

    return Annotated[dict[str, str], AfterValidator(check)]


class _MappedTab(_Strict):
    """A tab whose headers a coordinator may rename: `column(field)` is the header to look for."""

    columns: dict[str, str] = Field(default_factory=dict)  # our field -> the tab's own header

    def column(self, name: str) -> str:
        return self.columns.get(name) or name


class DeploymentsConfig(_Strict):
    """How this network's flows appear in Prefect: `<flow>/<name>`, with tags and a process limit."""

    # The deployment name shared by every flow of this network; empty: a slug of [network] name.
    name: str = ""
    tags: tuple[str, ...] = ()
    # Flow runs `python -m deployments.serve` runs at once (each flow also runs at most once at a time).
    limit: int = Field(default=4, ge=1, le=64)

    @field_validator("name")
    @classmethod
    def _no_slash(cls, value: str) -> str:
        if "/" in value:
            raise ValueError("must not contain '/' (Prefect names a deployment '<flow>/<name>')")
        return value.strip()


class FormConfig(_Strict):
    """One form that posts to `POST /hooks/<form name>`."""

    provider: Literal["typeform", "tally", "google_forms"]
    kind: Literal["join", "rsvp", "survey", "checkin"]  # checkin: hidden field `event`; event-invites records it
    secret: SecretRef  # required: the receiver does not start without it
    # The flow started for each submission; None: by kind (join: member-intake); "": store only, the
    # flow that consumes this kind reads the inbox on its own schedule.
    deployment: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    # member field -> the form's question (its label, Typeform ref or Tally key); used by join forms.
    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, MEMBER_FIELDS)
        return value


class WebhooksConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=1, le=65535)
    max_body_bytes: int = Field(default=256 * 1024, ge=1024, le=16 * 1024 * 1024)
    forms: dict[str, FormConfig] = Field(default_factory=dict)

    @field_validator("forms")
    @classmethod
    def _url_safe_names(cls, value: dict[str, FormConfig]) -> dict[str, FormConfig]:
        for name in value:
            if not _SLUG.match(name):
                raise ValueError(f"form name {name!r} must be lowercase letters, digits, '-' or '_' (it is a URL)")
        return value


# grant-pipeline ---------------------------------------------------------------------------------------
# Opportunity fields a pipeline column maps to (coordinator-edited), and the computed columns we own.
OPPORTUNITY_FIELDS = (
    "funder",
    "title",
    "amount",
    "currency",
    "stage",
    "probability",
    "deadline",
    "owner",
    "next_action",
    "next_action_date",
    "link",
    "source",
    "source_id",
)
GRANT_OWNED_FIELDS = ("days_to_deadline", "stage_since", "stale", "overdue", "weighted_value")
STAGES = ("research", "qualifying", "writing", "submitted", "awarded", "declined")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _currency_code(value: str) -> str:
    code = value.strip().upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"{value!r} is not a three-letter currency code (CNY, USD, EUR ...)")
    return code


class GrantsGovConfig(_Strict):
    """The Grants.gov search API (no key needed). Off unless `enabled = true`: the demo has no internet."""

    enabled: bool = False
    base_url: str = "https://api.grants.gov/v1/api/"
    keywords: tuple[str, ...] = ()
    statuses: tuple[Literal["forecasted", "posted", "closed", "archived"], ...] = ("forecasted", "posted")
    agencies: tuple[str, ...] = ()  # agency codes, e.g. "EPA", "DOS-CHN"
    funding_categories: tuple[str, ...] = ()  # e.g. "ENV", "ED"
    eligibilities: tuple[str, ...] = ()  # e.g. "12" (nonprofits with 501(c)(3) status)
    page_size: int = Field(default=100, ge=1, le=1000)
    max_pages: int = Field(default=5, ge=1, le=100)
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _needs_keywords(self) -> GrantsGovConfig:
        if self.enabled and not self.keywords:
            raise ValueError("'enabled = true' needs 'keywords' (what to search Grants.gov for)")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"'base_url' {self.base_url!r} is not an http(s) URL")
        return self


class FeedConfig(_Strict):
    """One RSS or Atom feed of a funder's calls for proposals."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")  # short, used in source ids: rss:<name>
    url: str
    funder: str = ""  # the funder column for its items; empty means the feed's own title
    currency: str = ""

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        return _currency_code(value) if value else ""


_Opportunity = _headers(OPPORTUNITY_FIELDS)
_GrantOwned = _headers(GRANT_OWNED_FIELDS)


class GrantsConfig(_Strict):
    """The grant pipeline: the opportunities tab (named in [tabs]), imports, money and reminders."""

    header_row: int = Field(default=1, ge=1)
    # our field -> the sheet's own header; unmapped fields use these English defaults
    columns: _Opportunity = Field(default_factory=dict)
    owned_columns: _GrantOwned = Field(default_factory=dict)
    # money: amounts are summed per currency; a rate converts 1 unit of a currency into base_currency
    base_currency: str = ""
    rates: dict[str, Decimal] = Field(default_factory=dict)
    rates_date: str = ""  # shown in the report: when the rates were last checked
    fee_currency: str = ""  # the members tab's fee column; empty means base_currency
    renewal_rate: Decimal = Field(default=Decimal(1), ge=0, le=1)  # share of fees expected to renew
    # stages: a default probability when the probability cell is blank
    stage_probability: dict[str, Decimal] = Field(
        default_factory=lambda: {
            "research": Decimal("0.05"),
            "qualifying": Decimal("0.15"),
            "writing": Decimal("0.30"),
            "submitted": Decimal("0.50"),
            "awarded": Decimal(1),
            "declined": Decimal(0),
        }
    )
    stale_days: int = Field(default=30, ge=1)
    stale_stages: tuple[str, ...] = ("research", "qualifying", "writing")
    digest_days: DaysBefore = (14, 7, 2)  # owners hear once per threshold as a deadline comes near
    default_owner: str = ""  # a staff email for imported opportunities
    max_new_per_run: int = Field(default=50, ge=0)  # imports beyond this wait for the next run
    grants_gov: GrantsGovConfig = GrantsGovConfig()
    feeds: tuple[FeedConfig, ...] = ()
    feed_timeout_seconds: float = Field(default=20.0, gt=0)

    @field_validator("base_currency", "fee_currency")
    @classmethod
    def _code(cls, value: str) -> str:
        return _currency_code(value) if value else ""

    @field_validator("rates")
    @classmethod
    def _rates(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        out = {}
        for code, rate in value.items():
            if rate <= 0:
                raise ValueError(f"rate for {code!r} must be above 0")
            out[_currency_code(code)] = rate
        return out

    @field_validator("stage_probability")
    @classmethod
    def _probabilities(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        _check_keys(value, STAGES)
        for stage, p in value.items():
            if not 0 <= p <= 1:
                raise ValueError(f"probability for {stage!r} must be between 0 and 1")
        return value

    @field_validator("stale_stages")
    @classmethod
    def _stages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        _check_keys(dict.fromkeys(value), STAGES)
        return value

    @model_validator(mode="after")
    def _rates_need_base(self) -> GrantsConfig:
        if self.rates and not self.base_currency:
            raise ValueError("'rates' needs 'base_currency' (the currency they convert into)")
        names = [f.name for f in self.feeds]
        if len(set(names)) != len(names):
            raise ValueError("two [[grants.feeds]] have the same 'name'")
        return self

    def column(self, name: str) -> str:
        return self.columns.get(name) or DEFAULT_GRANT_HEADERS[name]

    def owned_column(self, name: str) -> str:
        return self.owned_columns.get(name) or DEFAULT_GRANT_HEADERS[name]

    def rate(self, currency: str) -> Decimal | None:
        """How many base-currency units one unit of `currency` is worth; None when we may not convert."""
        if not self.base_currency:
            return None
        return Decimal(1) if currency == self.base_currency else self.rates.get(currency)


DEFAULT_GRANT_HEADERS = {
    "funder": "Funder",
    "title": "Title",
    "amount": "Amount",
    "currency": "Currency",
    "stage": "Stage",
    "probability": "Probability",
    "deadline": "Deadline",
    "owner": "Owner",
    "next_action": "Next action",
    "next_action_date": "Next action date",
    "link": "Link",
    "source": "Source",
    "source_id": "Source ID",
    "days_to_deadline": "Days to deadline",
    "stage_since": "Stage since",
    "stale": "Stale",
    "overdue": "Overdue",
    "weighted_value": "Weighted value",
}


# membership fees (membership-fees) ----------------------------------------------------------------------
PAYMENT_FIELDS = ("email", "paid_on", "amount", "currency", "reference", "paid_until")
DEFAULT_PAYMENT_HEADERS = {
    "email": "email",
    "paid_on": "paid_on",
    "amount": "amount",
    "currency": "currency",
    "reference": "reference",
    "paid_until": "paid_until",
}


_Payments = _headers(PAYMENT_FIELDS)


class FeesConfig(_Strict):
    """membership-fees: renewal reminders before the members' paid-until date, receipts, the overdue list."""

    # days before paid-until when a member hears, once per threshold and paid-until date
    reminder_days: DaysBefore = (30, 7, 1)
    # after paid-until passes: at most this many emails per paid-until date, this many days apart
    overdue_reminders: int = Field(default=2, ge=0, le=10)
    overdue_every_days: int = Field(default=14, ge=1)
    # members overdue for longer are only listed for the coordinator, never emailed
    overdue_email_days: int = Field(default=60, ge=0)
    currency: str = ""  # the members tab's fee column; empty means [grants] fee_currency, then base_currency
    # the Payments tab: a row per payment received (a coordinator's entry or a bank export pasted in)
    payments_tab: str = "Payments"
    payment_columns: _Payments = Field(default_factory=dict)  # our field -> the tab's own header
    term_months: int = Field(default=12, ge=1, le=120)  # a payment without a paid-until date renews this long
    # a payment made this close to paid-until (or later) renews that term; an earlier one is taken as already
    # counted in the members tab's paid-until date (so a coordinator who also updates the sheet is not
    # credited twice)
    renew_window_days: int = Field(default=60, ge=0)
    receipt_days: int = Field(default=30, ge=0)  # receipts go out for payments at most this old
    how_to_pay_zh: str = ""
    how_to_pay_en: str = ""
    pay_url: str = ""
    coordinator_email: str = ""  # gets the overdue list when it changes (empty: only in the report)
    coordinator_name: str = ""

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        return _currency_code(value) if value else ""

    @model_validator(mode="after")
    def _window_inside_term(self) -> FeesConfig:
        if self.renew_window_days >= self.term_months * 28:
            raise ValueError("'renew_window_days' must be shorter than the term ('term_months')")
        return self

    def payment_column(self, name: str) -> str:
        return self.payment_columns.get(name) or DEFAULT_PAYMENT_HEADERS[name]


# budget and finance (finance) -----------------------------------------------------------------------------
BUDGET_FIELDS = ("line", "owner", "amount", "currency", "period", "grant")
TRANSACTION_FIELDS = ("date", "line", "amount", "currency", "description", "transaction_id", "grant")
BANK_FIELDS = ("date", "amount", "debit", "credit", "currency", "description", "transaction_id")


class BankImportConfig(_Strict):
    """Bank statement CSV exports dropped into a folder of the workspace, appended to the Transactions tab."""

    name: str
    folder: str  # relative to the workspace, e.g. "bank/cmb"; every *.csv in it is read
    # our field -> the export's own header; `amount` (signed, money out negative) or `debit` and `credit`
    columns: dict[str, str]
    currency: str = ""  # when the export has no currency column; empty means the base currency
    encoding: str = "utf-8-sig"  # Chinese banks often export "gbk"
    skip_rows: int = Field(default=0, ge=0)  # lines above the header (account name, period ...)

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, value: dict[str, str]) -> dict[str, str]:
        _check_keys(value, BANK_FIELDS)
        if "date" not in value or not ("amount" in value or {"debit", "credit"} <= set(value)):
            raise ValueError("needs 'date' and either 'amount' or both 'debit' and 'credit'")
        return {k: v.strip() for k, v in value.items()}

    @field_validator("currency")
    @classmethod
    def _code(cls, value: str) -> str:
        return _currency_code(value) if value else ""


_Budget = _headers(BUDGET_FIELDS)
_Transactions = _headers(TRANSACTION_FIELDS)


class FinanceConfig(_Strict):
    """finance: the Budget tab against the Transactions tab (and bank exports), owners' alerts, the report."""

    budget_tab: str = "Budget"
    transactions_tab: str = "Transactions"
    budget_columns: _Budget = Field(default_factory=dict)  # our field -> the tab's own header
    transaction_columns: _Transactions = Field(default_factory=dict)
    alert_percents: tuple[int, ...] = (80, 100)  # owners hear once as a line's spending reaches each
    # a bank line whose description contains a keyword is put on that budget line (keyword -> line)
    categories: dict[str, str] = Field(default_factory=dict)
    bank_imports: tuple[BankImportConfig, ...] = ()

    @field_validator("alert_percents")
    @classmethod
    def _percents(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(p <= 0 for p in value):
            raise ValueError("percents must be above 0")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _unique_imports(self) -> FinanceConfig:
        names = [b.name for b in self.bank_imports]
        if len(set(names)) != len(names):
            raise ValueError("two [[finance.bank_imports]] have the same 'name'")
        return self

    def budget_column(self, name: str) -> str:
        return self.budget_columns.get(name) or name

    def transaction_column(self, name: str) -> str:
        return self.transaction_columns.get(name) or name


# funder stewardship (funder-stewardship) ---------------------------------------------------------------------
FUNDER_FIELDS = ("funder", "owner", "cadence", "last_contact", "report_due", "next_meeting", "notes")


_Funders = _headers(FUNDER_FIELDS)


class FundersConfig(_MappedTab):
    """funder-stewardship: the Funders tab, owners reminded to keep in touch and before reports, prep sheets."""

    tab: str = "Funders"
    columns: _Funders = Field(default_factory=dict)  # our field -> the tab's own header
    report_days: DaysBefore = (30, 7, 1)  # an owner hears once per threshold before a report is due
    prep_days: int = Field(default=3, ge=0)  # a meeting this close gets a prep sheet for its owner
    # a folder of the workspace with impact fact sheets (any file); the newest is named in each prep sheet
    fact_sheets: str = ""


# decision rounds (decision-rounds) -------------------------------------------------------------------------
PROPOSAL_FIELDS = ("proposal_id", "title_zh", "title_en", "text_zh", "text_en", "kind", "options", "audience",
                   "opens", "closes", "quorum")  # fmt: skip


_Proposals = _headers(PROPOSAL_FIELDS)


class DecisionsConfig(_MappedTab):
    """decision-rounds: the Proposals tab, personal links to vote or respond, reminders, outcomes."""

    proposals_tab: str = "Proposals"
    decisions_tab: str = "Decisions"  # outcomes are appended here (created by a coordinator, any headers)
    columns: _Proposals = Field(default_factory=dict)  # our field -> the Proposals tab's own header
    reminder_days: DaysBefore = (2,)  # non-responders hear once per threshold before the close
    link_days_after_close: int = Field(default=30, ge=0)  # a link still opens (read-only) this long after


# co-created event ideas (event-ideas) ------------------------------------------------------------------------
IDEA_FIELDS = ("idea_id", "title", "description", "proposed_by", "feasibility")


_Ideas = _headers(IDEA_FIELDS)


class IdeasConfig(_MappedTab):
    """event-ideas: members spread `dots` over the Ideas tab by personal link; the top ideas become draft events."""

    tab: str = "Ideas"
    columns: _Ideas = Field(default_factory=dict)  # our field -> the Ideas tab's own header
    round: str = ""  # the name of the current vote, e.g. "2027-spring" (empty: no vote)
    opens: str = ""  # YYYY-MM-DD
    closes: str = ""  # YYYY-MM-DD, the vote ends with that day (network time)
    dots: int = Field(default=3, ge=1, le=20)  # each member's dots, to spread or stack on ideas
    audience: str = "all"
    shortlist: int = Field(default=3, ge=1, le=20)  # the top ideas that become draft rows of the Events tab
    event_days_after_close: int = Field(default=30, ge=1)  # the draft events' placeholder date

    @field_validator("round")
    @classmethod
    def _round_id(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", value):
            raise ValueError("letters, digits, '-' and '_' only (it is in the links)")
        return value

    @model_validator(mode="after")
    def _dates(self) -> IdeasConfig:
        if self.round:
            for name in ("opens", "closes"):
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", getattr(self, name)):
                    raise ValueError(f"a round needs '{name}' as YYYY-MM-DD")
            if self.opens > self.closes:
                raise ValueError("'closes' is before 'opens'")
        return self


class GoogleFormsConfig(_Strict):
    """Polling Google Forms responses through the Forms API (a backstop for, or instead of, Apps Script)."""

    # A service-account JSON key (share each form with the account's email as a viewer).
    credentials: SecretRef
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # the one retry loop for each call (all are reads): tries in all, and the most time they may take together
    max_attempts: int = Field(default=5, ge=1, le=10)
    retry_budget_seconds: float = Field(default=90.0, ge=0, le=900)


class SurveysConfig(_Strict):
    """survey-distribution: per-member links, reminders and response ingestion."""

    # The key of the per-member tokens in survey links. Unset: a secret generated for this workspace on first
    # use and kept in its state database (fine for one machine; set a SecretRef when several share a network).
    token_secret: SecretRef | None = None
    google_forms: GoogleFormsConfig | None = None


class LinksConfig(_Strict):
    """Personal signed links (unsubscribe, preferences, check-in, votes...) to pages the receiver serves."""

    # The receiver's public address as members' browsers reach it (`weaver webhooks` behind a proxy); every
    # personal link starts with it: <base_url>/l/<purpose>/<token>.
    base_url: str = "http://127.0.0.1:8787"
    # The key that signs the links. Unset: a secret generated for this workspace on first use and kept in its
    # state database. Rotating it revokes every link sent so far.
    secret: SecretRef | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"'base_url' {value!r} is not an http(s) URL")
        return value.rstrip("/")


# --- mixing and engagement (group-mixer, engagement-review) ----------------------------------------------
BALANCE_FIELDS = ("region", "org_type", "language", "newcomer", "organisation", "timezone")


class MixingConfig(_Strict):
    """group-mixer: where attendees come from, where groups go, and how the mix is weighed."""

    attendance_tab: str = "Attendance"  # event_id, date, email or member_id, status, role
    groups_tab: str = "Groups"  # written by group-mixer (one row per person, round and event)
    group_size: int = Field(default=6, ge=2)
    rounds: int = Field(default=1, ge=1, le=20)
    # attribute -> weight; the flow's `balance` parameter picks among these (weight 1 for others named)
    balance: dict[str, float] = Field(default_factory=lambda: {"region": 1.0, "org_type": 1.0, "language": 1.0,
                                                                "newcomer": 1.0})  # fmt: skip
    # how much a past tie counts towards "have met" (1 = met; capped at 1 per pair)
    history_weights: dict[str, float] = Field(default_factory=lambda: {"group": 1.0, "buddy": 1.0,
        "introduction": 1.0, "checkin": 1.0, "event": 0.2})  # fmt: skip
    newcomer_days: int = Field(default=90, ge=0)  # joined this recently before the event: a newcomer
    colleagues_have_met: bool = True  # people of the same organisation count as having met
    email_participants: bool = False  # email each participant their groups (the flow parameter can override)
    max_iterations: int = Field(default=6000, ge=0)
    time_limit_seconds: float = Field(default=30.0, gt=0)

    @field_validator("balance")
    @classmethod
    def _known_balance(cls, value: dict[str, float]) -> dict[str, float]:
        _check_keys(value, BALANCE_FIELDS)
        return value

    @field_validator("history_weights")
    @classmethod
    def _known_sources(cls, value: dict[str, float]) -> dict[str, float]:
        from weaver.state.engagement import TIE_SOURCES

        _check_keys(value, TIE_SOURCES)
        return value


class Weaver(_Strict):
    """A member of staff who checks in on members: matched on language and region, up to `capacity`."""

    id: str
    name: str
    email: str
    languages: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    capacity: int = Field(default=8, ge=0)  # check-ins per review


class Activity(_Strict):
    """Something a member can join; suggested when its tags meet the member's interests or needs."""

    name: str
    tags: tuple[str, ...]


class EngagementConfig(_Strict):
    """engagement-review: the score (documented in tasks/engagement/score.py) and who follows up."""

    window_days: int = Field(default=180, ge=1)  # activity counted over this many days
    weights: dict[str, float] = Field(default_factory=lambda: {"attendance": 40.0, "rsvps": 15.0, "surveys": 15.0,
                                                                "recency": 30.0})  # fmt: skip
    saturation: dict[str, float] = Field(default_factory=lambda: {"attendance": 3.0, "rsvps": 3.0, "surveys": 2.0})
    recency_half_life_days: float = Field(default=45.0, gt=0)
    drifting_below: float = Field(default=25.0, ge=0)  # a score below this ...
    drift_after_days: int = Field(default=60, ge=0)  # ... and no activity for this long: drifting
    newcomer_days: int = Field(default=60, ge=0)  # joined this recently with no activity: not yet engaged
    introductions: bool = True  # introduce each newcomer not yet engaged to a member who shares an interest
    followup_days: int = Field(default=14, ge=1)  # then ask both "did you meet?"
    weavers: tuple[Weaver, ...] = ()
    activities: tuple[Activity, ...] = ()

    @field_validator("weights")
    @classmethod
    def _known_weights(cls, value: dict[str, float]) -> dict[str, float]:
        _check_keys(value, ("attendance", "rsvps", "surveys", "recency"))
        return value

    @field_validator("saturation")
    @classmethod
    def _known_saturation(cls, value: dict[str, float]) -> dict[str, float]:
        _check_keys(value, ("attendance", "rsvps", "surveys"))
        if any(v <= 0 for v in value.values()):
            raise ValueError("every saturation count must be above 0")
        return value


class MatchingConfig(_Strict):
    """asks-offers: members' needs meet other members' offers, among members who opted in.

    Opting in is a yes in the members tab's column mapped as `asks_offers` in [members.columns] (and a yes
    to email); nobody else is read, listed or introduced.
    """

    vocabulary_tab: str = "Vocabulary"  # zh/en spellings of one term, shared by interests, needs and offers
    introductions: bool = True  # introduce a member with a need to one with the matching offer
    per_offerer: int = Field(default=2, ge=1)  # introductions one member with an offer receives per run
    followup_days: int = Field(default=14, ge=1)  # then ask the one with the need "did you meet?"
    digest_items: int = Field(default=12, ge=1)  # asks and offers each, listed per digest
    chat: bool = True  # also post the week's asks and offers to the network's chat ([chat])


class ImpactConfig(_Strict):
    """impact-report: the quarterly impact report, its network map, the PDF and the funders' fact sheet."""

    pdf: bool = True  # print the report and the fact sheet to PDF with headless Chromium
    chromium: str = ""  # the browser to print with; empty: chromium (or chromium-browser) on the PATH
    pdf_timeout_seconds: float = Field(default=120.0, gt=0)
    events_together: int = Field(default=3, ge=0)  # the map joins two members who came to this many events together
    map_people: int = Field(default=300, ge=10, le=5000)  # the map draws this many best-connected people at most
    brokers: int = Field(default=5, ge=0, le=50)  # the people who bridge the most, named in the report
    newcomer_days: int = Field(default=90, ge=0)  # joined this recently and no tie yet: a newcomer still unconnected
    sample_above: int = Field(default=2000, ge=10)  # above this many people, brokerage is estimated from a sample
    sample_size: int = Field(default=32, ge=8)  # sources of that estimate (a fixed seed: the same figures each run)


class HarvestConfig(_Strict):
    """event-harvest: after an event, thanks with a personal harvest link, one reminder, insights, a harvest page."""

    thank_within_days: int = Field(default=14, ge=1)  # events that ended longer ago than this get no thanks
    reminder_days: int = Field(default=4, ge=1)  # one reminder this many days after the first thanks, to non-responders
    close_days: int = Field(default=21, ge=1)  # days after the end: the page closes, top insights go to the news
    insights_tab: str = "Insights"  # each answer appended once (event, date, tag, quote, consent, name, rating)
    newsletter_top: int = Field(default=3, ge=0)  # consented insights per event offered to the next newsletter
    news_status: str = "draft"  # the News tab status of an offer: a coordinator sets it to publish (or "" to publish)


class StoriesConfig(_Strict):
    """stories: nominated from harvest insights and survey answers, voted on by members, published with consent."""

    questions: tuple[str, ...] = ("story", "故事")  # a survey question whose title contains one of these
    min_chars: int = Field(default=15, ge=1)  # shorter quotes are not nominated
    nominees: int = Field(default=5, ge=1, le=20)  # stories put to members in one round
    min_nominees: int = Field(default=2, ge=1)  # a round opens when this many new candidates wait
    round_days: int = Field(default=7, ge=1)  # a round is open this long
    picks: int = Field(default=2, ge=1)  # stories each member may pick
    winners: int = Field(default=2, ge=1)  # the most voted stories whose authors are asked to consent
    news_status: str = "publish"  # the News tab status of a consented story (the newsletter's feature)


# health digest (issue 16) ---------------------------------------------------------------------------------
class HealthConfig(_Strict):
    """The health digest: what needs a person (failed or crashed runs, approvals waiting, unknown outcomes,
    quarantined rows, bounces and unsubscribes, stale tabs), told to the coordinators, never to members."""

    # staff mail: the coordinator (or a team address) who reads the digest; empty: no email
    coordinator_email: str = ""
    coordinator_name: str = ""
    chat: bool = False  # also post the digest to [chat] (the staff chat: a log file by default, or apprise)
    period: Literal["daily", "weekly"] = "daily"  # at most one digest per day (or ISO week)
    language: Literal["", "zh", "en"] = ""  # empty: the network's default language
    # operation -> days: a tab is stale when the operation that reads it last finished longer ago than this
    stale_days: dict[str, int] = Field(
        default_factory=lambda: {"member-sync": 2, "event-invites": 2, "grant-pipeline": 14}
    )

    @field_validator("stale_days")
    @classmethod
    def _positive(cls, value: dict[str, int]) -> dict[str, int]:
        for name, days in value.items():
            if days < 1:
                raise ValueError(f"{name!r}: days must be 1 or more")
        return value


class WeaverConfig(_Strict):
    network: NetworkConfig = NetworkConfig()
    state: StateConfig = StateConfig()
    tables: TablesConfig
    members: MembersConfig = MembersConfig()
    mail: MailConfig = MailConfig()
    tabs: TabsConfig = TabsConfig()
    events: EventsConfig = EventsConfig()
    calendar: CalendarConfig = CalendarConfig()
    chat: ChatConfig = ChatConfig()
    mixing: MixingConfig = MixingConfig()
    engagement: EngagementConfig = EngagementConfig()
    matching: MatchingConfig = MatchingConfig()
    # flow name -> cron in the network's time zone; "" = manual runs only. Unnamed flows keep their default.
    schedules: dict[str, Cron] = Field(default_factory=dict)
    deployments: DeploymentsConfig = DeploymentsConfig()
    webhooks: WebhooksConfig = WebhooksConfig()
    onboarding: OnboardingConfig = OnboardingConfig()
    grants: GrantsConfig = GrantsConfig()
    surveys: SurveysConfig = SurveysConfig()
    links: LinksConfig = LinksConfig()
    mailchimp: MailchimpConfig | None = None
    newsletter: NewsletterConfig = NewsletterConfig()
    impact: ImpactConfig = ImpactConfig()
    harvest: HarvestConfig = HarvestConfig()
    stories: StoriesConfig = StoriesConfig()
    fees: FeesConfig = FeesConfig()
    finance: FinanceConfig = FinanceConfig()
    site: SiteConfig = SiteConfig()
    funders: FundersConfig = FundersConfig()
    decisions: DecisionsConfig = DecisionsConfig()
    ideas: IdeasConfig = IdeasConfig()
    posts: PostsConfig = PostsConfig()
    prompts: PromptsConfig = PromptsConfig()
    health: HealthConfig = HealthConfig()

    @model_validator(mode="after")
    def _google_source_needs(self) -> WeaverConfig:
        if self.events.source == "google_calendar" and self.calendar.google is None:
            raise ValueError("[events] source 'google_calendar' needs a [calendar.google] table")
        return self

    @model_validator(mode="after")
    def _mailchimp_delivery(self) -> WeaverConfig:
        if self.newsletter.delivery == "mailchimp" and self.mailchimp is None:
            raise ValueError("[newsletter] delivery = 'mailchimp' needs a [mailchimp] section")
        return self


def _check_keys(value: dict[str, Any], known: tuple[str, ...]) -> None:
    for key in value:
        if key not in known:
            raise ValueError(f"unknown key {key!r} (known: {', '.join(known)})")


def _where(loc: tuple[Any, ...]) -> str:
    """Render a pydantic error location as the TOML table and key a person would look for."""
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    if not parts:
        return "(top level)"
    if len(parts) == 1:
        return f"key '{parts[0]}'"
    return f"[{'.'.join(parts[:-1])}] key '{parts[-1]}'"


def _describe(error: dict[str, Any]) -> str:
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    msg = str(error.get("msg", "")).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return f"{_where(loc)}: unknown key"
    if kind == "missing":
        return f"{_where(loc)}: missing"
    return f"{_where(loc)}: {msg}"


def parse_config(data: dict[str, Any], source: str = CONFIG_NAME) -> WeaverConfig:
    """Validate a parsed TOML mapping; raise ConfigError naming the file, key and problem."""
    try:
        return WeaverConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"{source}: {_describe(first)}{tail}") from None


def load_config(path: Path) -> WeaverConfig:
    """Read and validate `weaver.toml`; every failure is one clear ConfigError line."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file (create one with 'weaver init DIR')")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    return parse_config(data, str(path))
