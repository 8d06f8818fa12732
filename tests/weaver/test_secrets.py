"""Secrets come from an environment variable or a Prefect Secret block; errors name where, never the value."""

from __future__ import annotations

import pytest

from weaver.config import SecretRef
from weaver.errors import ConfigError
from weaver.secrets import resolve_secret


def test_an_environment_variable_gives_its_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEAVER_TEST_SECRET", '{"type": "service_account"}')
    assert resolve_secret(SecretRef(env="WEAVER_TEST_SECRET"), "[tables] credentials", "w.toml") == (
        '{"type": "service_account"}'
    )


def test_an_unset_variable_names_the_key_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEAVER_TEST_SECRET", "  ")
    with pytest.raises(ConfigError) as err:
        resolve_secret(SecretRef(env="WEAVER_TEST_SECRET"), "[tables] credentials", "w.toml")
    assert str(err.value) == "w.toml: [tables] credentials: environment variable WEAVER_TEST_SECRET is not set or empty"


@pytest.mark.usefixtures("prefect_harness")
def test_a_prefect_secret_block_gives_its_value_and_a_missing_one_is_named() -> None:
    from prefect.blocks.system import Secret

    Secret(value={"type": "service_account", "client_email": "x@y"}).save("weaver-test-sheets-key", overwrite=True)
    text = resolve_secret(SecretRef(block="weaver-test-sheets-key"), "[tables] credentials", "w.toml")
    assert '"client_email": "x@y"' in text
    with pytest.raises(ConfigError) as err:
        resolve_secret(SecretRef(block="no-such-block"), "[tables] credentials", "w.toml")
    assert str(err.value) == "w.toml: [tables] credentials: no Prefect Secret block named 'no-such-block'"
