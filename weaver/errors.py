"""The project's small error tree.

Connectors translate library and HTTP errors into these at their boundary. Messages name the file, tab,
row, column or key that is wrong, and never carry member data or secrets, so they are safe to log.
"""


class WeaverError(Exception):
    """Base of every error we raise on purpose; the CLI prints its message as one line."""


class ConfigError(WeaverError):
    """The workspace configuration is missing, malformed or names something that does not exist."""


class SourceError(WeaverError):
    """A table or other data source cannot be read (missing file, missing tab, unknown column)."""


class RetriableError(WeaverError):
    """A transient failure (timeout, 429, 5xx); the one retry owner for the call may try again."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(WeaverError):
    """A permanent failure (bad credentials, 403, 404, invalid request); retrying will not help."""
