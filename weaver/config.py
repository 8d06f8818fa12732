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
    backend: Literal["outbox", "smtp"] = "outbox"
    from_address: str = "weaver@example.org"
    from_name: str = "Network Weaver"
    outbox: str = "outbox"


class TabsConfig(_Strict):
    """Tab names of the other tables later operations read."""

    events: str = "Events"
    opportunities: str = "Opportunities"
    surveys: str = "Surveys"


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


class WeaverConfig(_Strict):
    network: NetworkConfig = NetworkConfig()
    state: StateConfig = StateConfig()
    tables: TablesConfig
    members: MembersConfig = MembersConfig()
    mail: MailConfig = MailConfig()
    tabs: TabsConfig = TabsConfig()
    surveys: SurveysConfig = SurveysConfig()


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
