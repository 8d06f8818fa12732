"""Resolving a `SecretRef` (an environment variable or a Prefect Secret block) to its value, at run time.

Values are never logged or put in messages; an error names where the secret was expected, not what it is.
"""

from __future__ import annotations

import os

from weaver.config import SecretRef
from weaver.errors import ConfigError


def resolve_secret(ref: SecretRef, where: str) -> str:
    """The secret's value. `where` names the config key for the error, e.g. "weaver.toml: [surveys] token_secret"."""
    if ref.env:
        value = os.environ.get(ref.env, "")
        if not value:
            raise ConfigError(f"{where}: the environment variable {ref.env} is not set")
        return value
    from prefect.blocks.system import Secret

    try:
        block = Secret.load(ref.block)
    except ValueError:
        raise ConfigError(f"{where}: no Prefect Secret block named {ref.block!r}") from None
    value = str(block.get())
    if not value:
        raise ConfigError(f"{where}: the Prefect Secret block {ref.block!r} is empty")
    return value
