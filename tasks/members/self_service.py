"""member-sync, members' own changes (pure): which cells a member's change writes, and who wins a conflict.

A member changes their details on their "my details" page; each change (one field, its new value, its time)
waits in the state database until member-sync settles it here, as a coordinator would type it: only into
the columns `[members] self_service` lists, only in the member's own row.

* The latest change of a field wins over the member's earlier ones (`superseded`).
* Written when the cell still holds what the last sync saw there (`applied`; nothing to write when the
  sheet already says so).
* If the coordinator changed that cell since the last sync too, both changed it and the sheet's own value is
  kept: a conflict, reported with both values (never silently overwritten). The member's page then shows
  the coordinator's value and they may change it again.
* A change already written that a coordinator later edited over: the coordinator's later edit wins
  (`overridden`), and the report lists both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.tables import Cell
from tasks.common.text import LANGUAGES, canonical_list_column, normalise_text
from weaver.models import Member

APPLIED, CONFLICT, SUPERSEDED, REFUSED, OVERRIDDEN = "applied", "conflict", "superseded", "refused", "overridden"
OUTCOMES = (APPLIED, CONFLICT, SUPERSEDED, REFUSED, OVERRIDDEN)  # each has the text sync.edit.<outcome>


@dataclass(frozen=True)
class MemberEdits:
    """What member-sync reads for members' changes: pending ones, ones written earlier, and each concerned
    member's fields as the last sync recorded them."""

    pending: list[dict[str, Any]] = field(default_factory=list)
    applied: list[dict[str, Any]] = field(default_factory=list)
    synced: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class EditOutcome:
    edit_id: str
    member_id: str
    name: str
    field: str
    value: str  # the member's value
    made_at: datetime
    outcome: str  # one of OUTCOMES
    kept: str = ""  # conflict / overridden: the coordinator's value in the sheet


def canonical(name: str, value: str) -> str:
    """A member's value as member-sync reads the same cell (language codes, trimmed text)."""
    text = normalise_text(value)
    if name == "language":
        return LANGUAGES.get(text.casefold(), text)
    if name == "interests":
        return canonical_list_column([text])[0]
    return text


def plan_edits(edits: Sequence[Mapping[str, Any]], applied: Sequence[Mapping[str, Any]], members: Sequence[Member],
               field_cols: Mapping[str, int], synced: Mapping[str, Mapping[str, str]],
               editable: Sequence[str]) -> tuple[list[Cell], list[EditOutcome]]:  # fmt: skip
    """Cells to write and each change's outcome. Members' fields are updated in place with what is written,
    so the state records the sheet as it will be.

    `edits`: pending changes (id, member_id, field, value, made_at); `applied`: changes written earlier;
    `synced`: each member's fields as the last sync recorded them (what the sheet held then).
    """
    by_id = {m.member_id: m for m in members}
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    out: list[EditOutcome] = []
    cells: list[Cell] = []

    def outcome(e: Mapping[str, Any], result: str, kept: str = "") -> EditOutcome:
        member = by_id.get(e["member_id"])
        name = member.name if member else ""
        return EditOutcome(e["id"], e["member_id"], name, e["field"], e["value"], e["made_at"], result, kept)

    for e in sorted(edits, key=lambda e: (e["made_at"], e["id"])):
        older = latest.get((e["member_id"], e["field"]))
        if older is not None:
            out.append(outcome(older, SUPERSEDED))
        latest[(e["member_id"], e["field"])] = e
    for (member_id, name), e in latest.items():
        member = by_id.get(member_id)
        if member is None or name not in editable or name not in field_cols:
            out.append(outcome(e, REFUSED))
            continue
        value = canonical(name, str(e["value"]))
        now = member.fields.get(name, "")
        before = synced.get(member_id, {}).get(name)
        if now == value:
            out.append(outcome(e, APPLIED))
        elif before is not None and now != before:
            out.append(outcome(e, CONFLICT, now))  # the coordinator changed it too: theirs is kept
        else:
            cells.append(Cell(member.row, field_cols[name] + 1, value))
            member.fields[name] = value
            out.append(outcome(e, APPLIED))
    for e in _latest_applied(applied):  # a coordinator's edit over a change we wrote earlier
        member = by_id.get(e["member_id"])
        if member is None or (e["member_id"], e["field"]) in latest:
            continue
        value, now = canonical(e["field"], str(e["value"])), member.fields.get(e["field"], "")
        if synced.get(e["member_id"], {}).get(e["field"]) == value and now != value:
            out.append(outcome(e, OVERRIDDEN, now))
    return cells, out


def _latest_applied(applied: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for e in sorted(applied, key=lambda e: (e["made_at"], e["id"])):
        latest[(e["member_id"], e["field"])] = e
    return list(latest.values())
