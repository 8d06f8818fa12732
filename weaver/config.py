"""`weaver.toml`: one file per network workspace, validated with pydantic.

Every error names the file, the key and what is wrong, e.g.
``weaver.toml: [members.columns] unknown key 'emial' (known: email, interests, ...)``.
Nothing here reads the environment or opens files at import; `load_config` is called at the entry point.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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
)
OWNED_FIELDS = ("member_id", "sync_status")


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


class TablesConfig(_Strict):
    """The tables role: where members, events, opportunities and surveys live."""

    backend: Literal["workbook", "csv", "google_sheets"] = "workbook"
    # workbook: an .xlsx file; csv: a folder with one <Tab>.csv per tab (or one .csv file for one tab).
    path: str | None = None
    # google_sheets: the spreadsheet id (from its URL) and where the credentials are.
    spreadsheet_id: str | None = None
    credentials: SecretRef | None = None
    credentials_file: str | None = None
    timeout_seconds: float = 30.0

    @model_validator(mode="after")
    def _backend_needs(self) -> TablesConfig:
        if self.backend in ("workbook", "csv") and not self.path:
            raise ValueError(f"backend {self.backend!r} needs 'path' (the file in the workspace)")
        if self.backend == "google_sheets" and not self.spreadsheet_id:
            raise ValueError("backend 'google_sheets' needs 'spreadsheet_id' (the id in the sheet's URL)")
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
    # a transient refusal (4xx) of one message is retried this many times, then left for the next run
    retries: int = Field(default=3, ge=0, le=10)
    # a send to more recipients than this waits for a coordinator's approval in the Prefect UI
    approval_threshold: int = Field(default=50, ge=0)
    approval_timeout_minutes: int = Field(default=24 * 60, ge=1)

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


class WeaverConfig(_Strict):
    network: NetworkConfig = NetworkConfig()
    state: StateConfig = StateConfig()
    tables: TablesConfig
    members: MembersConfig = MembersConfig()
    mail: MailConfig = MailConfig()
    tabs: TabsConfig = TabsConfig()
    onboarding: OnboardingConfig = OnboardingConfig()


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
