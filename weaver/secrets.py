"""Secrets by reference: an environment variable or a Prefect Secret block, resolved at the entry point.

`weaver.toml` only names where a secret lives (`SecretRef`). The value is read when a connector is built,
and a missing secret is one ConfigError naming the key and the variable or block, never the value.
"""

from __future__ import annotations

import os

from weaver.config import SecretRef
from weaver.errors import ConfigError


def resolve_secret(ref: SecretRef, key: str, source: str = "weaver.toml") -> str:
    """The secret's value. `key` says where it is configured (e.g. "[mail] password") for the error."""
    if ref.env:
        value = os.environ.get(ref.env, "")
        if not value:
            raise ConfigError(f"{source}: {key} names the environment variable {ref.env!r}, which is not set")
        return value
    return _from_block(ref.block or "", key, source)


def _from_block(name: str, key: str, source: str) -> str:
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError:
        raise ConfigError(f"{source}: {key} names the Prefect Secret block {name!r}, which does not exist") from None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{source}: {key}: the Prefect Secret block {name!r} holds no text")
    return value
