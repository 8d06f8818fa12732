"""Reading a `SecretRef` at the moment a connector is built: an environment variable or a Prefect Secret block.

Errors name the reference (the variable or block name), never the value.
"""

from __future__ import annotations

import os

from weaver.config import SecretRef
from weaver.errors import ConfigError


def reveal(ref: SecretRef, where: str) -> str:
    """The secret's value; `where` names the config key for the error (e.g. '[chat] urls')."""
    if ref.env:
        value = os.environ.get(ref.env, "")
        if not value.strip():
            raise ConfigError(f"{where}: environment variable {ref.env} is not set")
        return value
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(ref.block).get()
    except ValueError:
        raise ConfigError(f"{where}: Prefect Secret block {ref.block!r} not found") from None
    if not str(value).strip():
        raise ConfigError(f"{where}: Prefect Secret block {ref.block!r} is empty")
    return str(value)
