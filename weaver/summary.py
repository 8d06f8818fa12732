"""What a run did, in counts and names a coordinator reads: one typed summary per operation.

Each operation declares its summary as a dataclass over this base: the fields are its contract (the CLI
prints them, the run log stores them, tests read them). It also reads like a dict, `summary["sent"]`, so
the CLI, the run record and older callers treat every operation alike. The three run-level entries
(`report`, `previews`, `approval`) appear only when they have a value: a dry run has no report file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

_OPTIONAL = ("report", "previews", "approval")


@dataclass(kw_only=True)
class Summary(Mapping[str, Any]):
    report: str = ""  # the run's report file
    previews: str = ""  # a dry run's (or a held send's) previews
    approval: str = ""  # what the approval gate decided, in the coordinator's language

    def _keys(self) -> list[str]:
        return [f.name for f in fields(self) if f.name not in _OPTIONAL or getattr(self, f.name)]

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        # the operation's own fields first, then the run-level entries
        keys = self._keys()
        return iter([k for k in keys if k not in _OPTIONAL] + [k for k in keys if k in _OPTIONAL])

    def __len__(self) -> int:
        return len(self._keys())

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, for the run record and the log line."""
        return {k: _plain(self[k]) for k in self}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
