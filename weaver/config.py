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
    backend: Literal["outbox", "smtp"] = "outbox"
    from_address: str = "weaver@example.org"
    from_name: str = "Network Weaver"
    outbox: str = "outbox"


class TabsConfig(_Strict):
    """Tab names of the other tables later operations read."""

    events: str = "Events"
    opportunities: str = "Opportunities"
    surveys: str = "Surveys"


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
        from weaver.state import TIE_SOURCES

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
    """engagement-review: the score (documented in tasks/engagement.py) and who follows up."""

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


class WeaverConfig(_Strict):
    network: NetworkConfig = NetworkConfig()
    state: StateConfig = StateConfig()
    tables: TablesConfig
    members: MembersConfig = MembersConfig()
    mail: MailConfig = MailConfig()
    tabs: TabsConfig = TabsConfig()
    mixing: MixingConfig = MixingConfig()
    engagement: EngagementConfig = EngagementConfig()


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
