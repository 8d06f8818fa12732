"""Member intake, pure logic: join-form submissions from the inbox -> new rows at the end of the members tab.

Rules a coordinator can rely on:

* A submission adds one row below the last filled row of the members tab, with the mapped columns only
  (`[members.columns]`), written as literal text (a value like `=HYPERLINK(...)` stays text).
* Each row is a ledger action keyed by the submission (`intake:<provider>:<id>`) and never retried: a rerun,
  a retry or a replayed webhook never adds a second row for one submission.
* Someone whose email is already in the tab (ignoring case and width) is not added again: the submission is
  marked processed with the row that holds them. Two submissions with one email in a batch add one row.
* A submission without the required fields or with an invalid email is rejected with the reason, and
  stays in the inbox as `failed`, visible in the report; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connectors.tables import Cell
from weaver.ledger import Action


@dataclass(frozen=True)
class Joiner:
    """One join submission waiting in the inbox: its inbox id and the member fields it carries."""

    entry_id: str
    fields: Mapping[str, str]
    submitted_at: str = ""
    # double opt-in (`tasks.intake.optin`): when the confirm email went out, until when it holds, and whether
    # the person confirmed by its link
    asked_at: datetime | None = None
    expires_at: datetime | None = None
    confirmed: bool = False


@dataclass
class IntakePlan:
    tab: str
    joiners: list[Joiner]
    added: dict[str, int] = field(default_factory=dict)  # entry id -> the row it is written to
    known: dict[str, int] = field(default_factory=dict)  # entry id -> the row already holding that email
    rejected: dict[str, str] = field(default_factory=dict)  # entry id -> reason (no personal data)
    cells: dict[str, list[Cell]] = field(default_factory=dict)  # action key -> the row's cells

    @property
    def actions(self) -> list[Action]:
        """One non-idempotent action per new row: a crash between write and mark is reported, not redone."""
        return [
            Action(intake_key(entry), "sheet-append", f"add row {row} to {self.tab} ({entry})", {"row": row})
            for entry, row in self.added.items()
        ]


def intake_key(entry_id: str) -> str:
    return f"intake:{entry_id}"
