"""Resolving a `SecretRef` (an environment variable or a Prefect Secret block) at an entry point.

A required secret has no default: a missing or empty one is a ConfigError that names where the secret was
expected (the config key and the variable or block), never its value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from weaver.config import SecretRef
from weaver.errors import ConfigError


def resolve_secret(ref: SecretRef, where: str, environ: Mapping[str, str] | None = None) -> str:
    """The secret's value; `where` names the config key in errors, e.g. "weaver.toml: [webhooks.forms.join]"."""
    if ref.env:
        value = (os.environ if environ is None else environ).get(ref.env, "")
        if not value.strip():
            raise ConfigError(f"{where} secret: the environment variable {ref.env} is not set")
        return value.strip()
    return _from_block(ref.block or "", where)


def _from_block(name: str, where: str) -> str:
    from prefect.blocks.system import Secret

    try:
        value = Secret.load(name).get()
    except ValueError:  # Prefect raises ValueError for a block that does not exist
        raise ConfigError(f"{where} secret: no Prefect Secret block named {name!r}") from None
    except Exception as exc:  # the API may be down or the block malformed: say which, leak nothing
        problem = type(exc).__name__
        raise ConfigError(f"{where} secret: cannot read the Prefect Secret block {name!r} ({problem})") from None
    text = str(value).strip() if value is not None else ""
    if not text:
        raise ConfigError(f"{where} secret: the Prefect Secret block {name!r} is empty")
    return text
