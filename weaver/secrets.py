"""Resolve a `SecretRef` (an environment variable or a Prefect Secret block) to its value, at the entry point.

Errors name the config key and where the secret was looked for, never the value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from weaver.config import SecretRef
from weaver.errors import ConfigError


def resolve_secret(ref: SecretRef, key: str, source: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret's text. `key` (e.g. "[tables] credentials") and `source` (the config file) go in errors.

    `environ` replaces `os.environ` (tests and the webhook benchmark pass their own).
    """
    if ref.env:
        value = (os.environ if environ is None else environ).get(ref.env, "")
        if not value.strip():
            raise ConfigError(f"{source}: {key}: environment variable {ref.env} is not set or empty")
        return value
    return _from_block(str(ref.block), key, source)


def _from_block(name: str, key: str, source: str) -> str:
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError:
        # Prefect raises ValueError for a block document that does not exist
        raise ConfigError(f"{source}: {key}: no Prefect Secret block named {name!r}") from None
    text = value if isinstance(value, str) else _as_json(value)
    if not text.strip():
        raise ConfigError(f"{source}: {key}: Prefect Secret block {name!r} is empty")
    return text


def _as_json(value: object) -> str:
    import json

    return json.dumps(value)  # a Secret block may hold a JSON object (a service-account key) rather than text
