"""Bad config gives one exact message naming the file, the key and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows._runtime import build_tables
from tasks.members.plan import plan_member_sync
from weaver.config import load_config
from weaver.errors import ConfigError, SourceError
from weaver.workspace import Workspace


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "weaver.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "weaver.toml")
    assert str(err.value) == f"{tmp_path / 'weaver.toml'}: no such config file (create one with 'weaver init DIR')"


def test_unknown_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[tables]\nbackend = "workbook"\npath = "x.xlsx"\ncolour = "blue"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: [tables] key 'colour': unknown key"


def test_unknown_member_field(tmp_path: Path) -> None:
    path = write(tmp_path, '[tables]\npath = "x.xlsx"\n[members.columns]\nemail = "邮箱"\nemial = "邮箱2"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: [members] key 'columns': unknown key 'emial' (known: name, email,")


@pytest.mark.parametrize(
    ("table", "key", "field"),
    [
        ("grants", "columns", "deadline"),
        ("fees", "payment_columns", "paid_on"),
        ("finance", "budget_columns", "owner"),
        ("finance", "transaction_columns", "description"),
        ("funders", "columns", "report_due"),
        ("decisions", "columns", "closes"),
        ("ideas", "columns", "feasibility"),
    ],
)
def test_every_tab_mapping_names_an_unknown_field_and_strips_headers(
    tmp_path: Path, table: str, key: str, field: str
) -> None:
    base = '[tables]\npath = "x.xlsx"\n'
    path = write(tmp_path, base + f'[{table}.{key}]\n{field} = "  列 "\nemial = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value).startswith(f"{path}: [{table}] key '{key}': unknown key 'emial' (known: ")
    config = load_config(write(tmp_path, base + f'[{table}.{key}]\n{field} = "  列 "\n'))
    assert getattr(getattr(config, table), key) == {field: "列"}


@pytest.mark.parametrize(("table", "key"), [("grants", "digest_days"), ("fees", "reminder_days"),
                                            ("funders", "report_days"), ("decisions", "reminder_days")])  # fmt: skip
def test_reminder_days_are_counted_once_farthest_first_and_never_negative(tmp_path: Path, table: str, key: str) -> None:
    base = '[tables]\npath = "x.xlsx"\n'
    config = load_config(write(tmp_path, base + f"[{table}]\n{key} = [1, 7, 30, 7]\n"))
    assert getattr(getattr(config, table), key) == (30, 7, 1)
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, base + f"[{table}]\n{key} = [3, -1]\n"))
    assert str(err.value) == f"{tmp_path / 'weaver.toml'}: [{table}] key '{key}': days must be 0 or more"


def test_unknown_top_level_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[tables]\npath = "x.xlsx"\n[mebers]\ntab = "M"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: key 'mebers': unknown key"


def test_missing_tables_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "[network]\nname = 'x'\n"))
    assert str(err.value).endswith(": key 'tables': missing")


def test_backend_needs_its_settings(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, '[tables]\nbackend = "google_sheets"\n'))
    assert str(err.value).endswith(
        ": key 'tables': backend 'google_sheets' needs 'spreadsheet_id' (the id in the sheet's URL)"
    )


def test_bad_time_zone_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[network\] key 'timezone': unknown time zone 'Mars/Base'"):
        load_config(write(tmp_path, '[network]\ntimezone = "Mars/Base"\n[tables]\npath = "x.xlsx"\n'))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[tables\n"))


def test_required_field_must_be_mapped(tmp_path: Path) -> None:
    path = write(tmp_path, '[tables]\npath = "x.xlsx"\n[members]\nrequired = ["region"]\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: key 'members': 'required' names 'region', which [members.columns] does not map"


def test_unknown_column_names_tab_header_and_key(demo_ws: Path) -> None:
    path = demo_ws / "weaver.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('region = "地区"', 'region = "省份"'), encoding="utf-8")
    ws = Workspace.open(path)
    tables = build_tables(ws)
    with pytest.raises(SourceError) as err:
        plan_member_sync(tables.read_tab("Members"), ws.config, {}, tables.describe())
    assert str(err.value).startswith(
        "network.xlsx: tab 'Members' has no column '省份' (mapped from [members.columns] region); "
        "its columns are: '姓名'"
    )


def test_the_demo_config_is_valid(demo_ws: Path) -> None:
    cfg = load_config(demo_ws / "weaver.toml")
    assert cfg.members.columns["email"] == "邮箱"
    assert cfg.network.default_language == "zh"


def test_smtp_needs_a_host_and_a_password_reference(tmp_path: Path) -> None:
    base = '[tables]\nbackend = "csv"\npath = "t"\n[mail]\nbackend = "smtp"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, base))
    assert str(err.value).endswith("key 'mail': backend 'smtp' needs 'host' (the SMTP server's name)")
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, base + 'host = "smtp.example.org"\nusername = "me"\npassword = "hunter2"\n'))
    assert "[mail] key 'password'" in str(err.value) and "hunter2" not in str(err.value)
    cfg = load_config(write(tmp_path, base + 'host = "h"\nsecurity = "ssl"\n')).mail
    assert cfg.smtp_port == 465 and cfg.approval_threshold == 50


def test_onboarding_follow_up_days_must_be_positive(tmp_path: Path) -> None:
    path = write(tmp_path, '[tables]\nbackend = "csv"\npath = "t"\n[onboarding]\nfollowup_days = [7, 0]\n')
    with pytest.raises(ConfigError, match=r"\[onboarding\] key 'followup_days': follow-up days must be 1 or more"):
        load_config(path)


def test_google_sheets_needs_exactly_one_credentials_source(tmp_path: Path) -> None:
    base = '[tables]\nbackend = "google_sheets"\nspreadsheet_id = "abc"\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, base))
    assert str(err.value).endswith(
        ": key 'tables': backend 'google_sheets' needs exactly one of 'credentials' (a Secret: env or block) or "
        "'credentials_file' (a JSON key file)"
    )
    both = base + 'credentials_file = "k.json"\ncredentials = { env = "K" }\n'
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, both))
    config = load_config(write(tmp_path, base + 'credentials = { block = "sheets-key" }\n'))
    assert config.tables.credentials is not None and config.tables.credentials.block == "sheets-key"


def test_retry_settings_are_bounded(tmp_path: Path) -> None:
    text = '[tables]\nbackend = "google_sheets"\nspreadsheet_id = "a"\ncredentials_file = "k.json"\nmax_attempts = 50\n'
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert str(err.value).endswith(": [tables] key 'max_attempts': Input should be less than or equal to 10")


TABLES = '[tables]\nbackend = "workbook"\npath = "x.xlsx"\n'


@pytest.mark.parametrize(
    ("grants", "message"),
    [
        ("[grants]\nrates = { USD = 7.1 }\n", "key 'grants': 'rates' needs 'base_currency'"),
        ('[grants]\nbase_currency = "yuan"\n', "[grants] key 'base_currency': 'yuan' is not a three-letter currency"),
        (
            '[grants]\nbase_currency = "CNY"\nrates = { USD = 0 }\n',
            "[grants] key 'rates': rate for 'USD' must be above 0",
        ),
        ('[grants.columns]\nfundr = "资助方"\n', "[grants] key 'columns': unknown key 'fundr'"),
        ("[grants.grants_gov]\nenabled = true\n", "[grants] key 'grants_gov': 'enabled = true' needs 'keywords'"),
        ('[grants]\nstale_stages = ["writting"]\n', "[grants] key 'stale_stages': unknown key 'writting'"),
        (
            '[[grants.feeds]]\nname = "a"\nurl = "ftp://x"\n',
            "[grants.feeds.0] key 'url': 'ftp://x' is not an http(s) URL",
        ),
    ],
)
def test_grants_section_errors_name_the_key(tmp_path: Path, grants: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, TABLES + grants))
    assert str(err.value).startswith(f"{tmp_path / 'weaver.toml'}: {message}")


def test_the_demo_config_has_rates_and_grants_gov_off() -> None:
    cfg = load_config(Path(__file__).parents[2] / "demo" / "weaver.toml").grants
    assert cfg.rate("USD") is not None and cfg.rate("GBP") is None and not cfg.grants_gov.enabled


def test_mail_bounces_needs_a_plain_return_path_and_a_password_reference(tmp_path: Path) -> None:
    base = '[tables]\npath = "x.xlsx"\n[mail.bounces]\nhost = "imap.example.org"\nuser = "b"\n'
    good = load_config(write(tmp_path, base + 'return_path = "bounces@example.org"\npassword = { env = "P" }\n'))
    assert good.mail.bounces is not None and good.mail.bounces.imap_port == 993 and good.mail.bounces.soft_limit == 3
    with pytest.raises(
        ConfigError, match=r"\[mail.bounces\] key 'return_path': 'bounces\+x@example.org': an ASCII address without"
    ):
        load_config(write(tmp_path, base + 'return_path = "bounces+x@example.org"\npassword = { env = "P" }\n'))
    with pytest.raises(ConfigError, match="password"):
        load_config(write(tmp_path, base + 'return_path = "bounces@example.org"\npassword = "s3cret"\n'))
