"""The weaving ledger, pure: who has met whom, new ties per month and quarter, the tie graph for Kumu.

A tie is one occasion on which two people met: at an event (attending the same one), in a group we formed,
as buddies, through an introduction we made, or at a check-in. The state database keeps them
(`weaver.state.engagement.ties`); these functions turn them into mixing history, counts and an export.

* **Mixing history**: a pair's history is the sum of its ties' weights, capped at 1 (1 = they have met).
  By default a group, a buddy pairing, an introduction or a check-in counts 1 and attending the same event
  0.2: sitting in one room is not the same as having talked, but five events together probably are.
* **New ties**: a pair counts once, in the month (or quarter) of its first tie of a counted source: a meeting
  (group, buddy, check-in, or a "did you meet?" confirmed yes); introductions are counted apart.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, TableBackend
from tasks.common.prefect_task import task
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.state import StateDB
from weaver.state.engagement import TIE_SOURCES, record_ties, tie_rows

DEFAULT_WEIGHTS: dict[str, float] = {"group": 1.0, "buddy": 1.0, "introduction": 1.0, "checkin": 1.0, "match": 1.0,
                                     "meeting": 1.0, "event": 0.2}  # fmt: skip


@dataclass(frozen=True, order=True)
class Tie:
    a: str
    b: str
    source: str
    ref: str
    met_on: date

    def row(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "source": self.source, "ref": self.ref, "met_on": self.met_on}


def tie(x: str, y: str, source: str, ref: str, met_on: date) -> Tie:
    """A tie with its pair in canonical order (a < b), so each pair is stored once per occasion."""
    if source not in TIE_SOURCES:
        raise ValueError(f"unknown tie source {source!r} (known: {', '.join(TIE_SOURCES)})")
    a, b = sorted((x, y))
    return Tie(a, b, source, ref, met_on)


def from_rows(rows: Iterable[Mapping[str, Any]]) -> list[Tie]:
    return [Tie(r["a"], r["b"], r["source"], r["ref"], r["met_on"]) for r in rows]


def group_ref(event_id: str, round_index: int, group_index: int) -> str:
    return f"{event_id}/r{round_index + 1}/g{group_index + 1}"


def group_ties(rounds: Sequence[Sequence[Sequence[str]]], event_id: str, met_on: date) -> list[Tie]:
    """Every pair that shares a group, per round (ref `<event>/r<round>/g<group>`)."""
    out = []
    for r, groups in enumerate(rounds):
        for g, members in enumerate(groups):
            ordered = sorted(members)
            ref = group_ref(event_id, r, g)
            out += [tie(x, y, "group", ref, met_on) for i, x in enumerate(ordered) for y in ordered[i + 1 :]]
    return out


def event_ties(attendees: Iterable[str], event_id: str, met_on: date) -> list[Tie]:
    """Everyone who attended the same event (ref: the event id)."""
    ordered = sorted(set(attendees))
    return [tie(x, y, "event", event_id, met_on) for i, x in enumerate(ordered) for y in ordered[i + 1 :]]


def history(ties: Iterable[Tie], weights: Mapping[str, float] | None = None,
            exclude_prefix: str | None = None) -> dict[tuple[str, str], float]:  # fmt: skip
    """Pair -> how well they know each other, in [0, 1]; ties of an occasion being re-planned are left out."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    out: dict[tuple[str, str], float] = {}
    for t in ties:
        if exclude_prefix is not None and (t.ref == exclude_prefix or t.ref.startswith(exclude_prefix + "/")):
            continue
        weight = weights.get(t.source, 0.0)
        if weight > 0:
            out[(t.a, t.b)] = min(1.0, out.get((t.a, t.b), 0.0) + weight)
    return out


def period_of(day: date, period: str) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}" if period == "quarter" else f"{day.year}-{day.month:02d}"


# Ties that say two people met: a group we formed, buddies, a check-in, a meeting they confirmed ("did you
# meet?" yes). An introduction (ours, or asks-offers' match) is not yet a meeting: counted apart (INTRODUCTIONS).
MEETING_SOURCES = ("group", "buddy", "checkin", "meeting")
INTRODUCTIONS = ("introduction", "match")


def new_ties(ties: Iterable[Tie], period: str = "month",
             sources: Sequence[str] = MEETING_SOURCES) -> dict[str, Counter[str]]:  # fmt: skip
    """Period -> {source: pairs whose first tie (of a counted source) falls in it}, oldest period first.

    By default only meetings count: attending the same event says people shared a room, and an introduction
    that they could meet; `new_ties(ties, period, INTRODUCTIONS)` counts introductions apart.
    """
    first: dict[tuple[str, str], Tie] = {}
    for t in ties:
        if t.source in sources:
            known = first.get((t.a, t.b))
            if known is None or (t.met_on, t.source) < (known.met_on, known.source):
                first[(t.a, t.b)] = t
    out: dict[str, Counter[str]] = {}
    for t in first.values():
        out.setdefault(period_of(t.met_on, period), Counter())[t.source] += 1
    return dict(sorted(out.items()))


# "did you meet?": the answers of its two signed links (purpose "met"), each link's scope "<answer>|<intro ref>"
MET_PURPOSE = "met"
MET_ANSWERS = ("yes", "not-yet")


def met_scope(answer: str, ref: str) -> str:
    if answer not in MET_ANSWERS:
        raise ValueError(f"answer {answer!r} (known: {', '.join(MET_ANSWERS)})")
    return f"{answer}|{ref}"


def parse_met_scope(scope: str) -> tuple[str, str, str, str] | None:
    """(answer, ref, newcomer, partner) of a "did you meet?" link's scope, or None if it is not one."""
    answer, _, ref = scope.partition("|")
    parts = ref.split(":")
    if answer not in MET_ANSWERS or len(parts) != 3 or parts[0] != "intro" or not parts[1] or not parts[2]:
        return None
    return answer, ref, parts[1], parts[2]


def reoffers(answers: Iterable[Mapping[str, Any]], ties: Iterable[Tie]) -> list[Tie]:
    """Introductions answered "not yet" (link uses: subject, scope) and not confirmed as met since: offer again.

    Each at most once: the re-offer email is keyed by the introduction in the ledger.
    """
    ties = list(ties)
    intros = {t.ref: t for t in ties if t.source == "introduction"}
    met = {t.ref for t in ties if t.source == "meeting"}
    out: dict[str, Tie] = {}
    for use in answers:
        parsed = parse_met_scope(str(use.get("scope", "")))
        if parsed and parsed[0] == "not-yet" and parsed[1] in intros and parsed[1] not in met:
            out[parsed[1]] = intros[parsed[1]]
    return [out[ref] for ref in sorted(out)]


def due_followups(ties: Iterable[Tie], source: str, followup_days: int, today: date,
                  catch_up_days: int = 30) -> tuple[list[Tie], list[tuple[Tie, date]]]:  # fmt: skip
    """Introductions of `source` whose "did you meet?" is due, and those planned later (with their date).

    Due: on or before today, and not more than `catch_up_days` ago (a review that did not run for a while
    still asks; a months-old "did you meet?" would only puzzle people).
    """
    due, planned = [], []
    for t in ties:
        if t.source != source:
            continue
        when = t.met_on + timedelta(days=followup_days)
        if when > today:
            planned.append((t, when))
        elif (today - when).days <= catch_up_days:
            due.append(t)
    return due, planned


KUMU_HEADERS = ["From", "To", "Type", "Date", "Occasion"]


def kumu_csv(ties: Iterable[Tie]) -> str:
    """The tie graph as Kumu's connections sheet: one row per tie, people by member id (no names)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(KUMU_HEADERS)
    for t in sorted(ties, key=lambda t: (t.met_on, t.a, t.b, t.source, t.ref)):
        writer.writerow([t.a, t.b, t.source, t.met_on.isoformat(), t.ref])
    return buffer.getvalue()


def kumu_elements_csv(people: Mapping[str, Mapping[str, str]], names: Mapping[str, str] | None = None) -> str:
    """Kumu's elements sheet: each person with non-identifying traits (region, language ...).

    With `names`, each person is labelled by name and keeps the member id in Kumu's ID column (Kumu then
    matches the connections' From/To on the ID, so two members of the same name stay two elements).
    """
    keys = sorted({k for traits in people.values() for k in traits})
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    labels = ["ID", "Label"] if names is not None else ["Label"]
    writer.writerow([*labels, "Type", *[k.replace("_", " ").title() for k in keys]])
    for member_id in sorted(people):
        ident = [member_id, names.get(member_id) or member_id] if names is not None else [member_id]
        writer.writerow([*ident, "Member", *[people[member_id].get(k, "") for k in keys]])
    return buffer.getvalue()


def buddy_ties(entries: Iterable[Mapping[str, Any]], prefix: str) -> list[Tie]:
    """Buddy pairs onboarding recorded in the ledger (key `<prefix><newcomer>`, payload {"buddy": id})."""
    out = []
    for e in entries:
        buddy = (e.get("payload") or {}).get("buddy")
        newcomer = str(e["key"]).removeprefix(prefix)
        if buddy and newcomer and e.get("created_at") is not None:
            out.append(tie(newcomer, str(buddy), "buddy", f"buddy:{newcomer}", e["created_at"].date()))
    return out


# onboarding records each newcomer's buddy in its ledger under this key prefix
BUDDY_RECORD = "onboarding:newcomer:"


def load_ties(db: StateDB) -> list[Tie]:
    """Every recorded tie, and the buddy pairs onboarding made (kept in its ledger entries, read here)."""
    from weaver.ledger import DONE, Ledger

    made = Ledger(db, "ties").entries(status=DONE, kind="onboarding-newcomer")
    return from_rows(tie_rows(db)) + buddy_ties(made, BUDDY_RECORD)


def save_ties(db: StateDB, ties: Sequence[Tie], replace: tuple[str, str] | None = None) -> int:
    return record_ties(db, [t.row() for t in ties], replace)


def write_cells_and_ties(actions: Sequence[Action], flow: str, tables: TableBackend, tab: str, cells: Sequence[Cell],
                         db: StateDB, ties: Sequence[Tie], replace: tuple[str, str] | None = None,
                         dry_run: bool = False) -> ApplyResult:  # fmt: skip
    """The one performer for a plan of a sheet write plus ties: each action once, through the ledger.

    `actions` are the plan's "sheet-write" action (the cells in one batch) and its ties action.
    """

    def perform(batch: Sequence[Action]) -> list[Outcome]:
        outcomes = []
        for action in batch:
            if action.kind == "sheet-write":
                tables.write_cells(tab, list(cells))
                outcomes.append(Outcome.success(f"{len(cells)} cells"))
            else:
                save_ties(db, ties, replace=replace)
                outcomes.append(Outcome.success(f"{len(ties)} ties"))
        return outcomes

    return Ledger(db, flow).apply(list(actions), perform, dry_run=dry_run)


load_ties_task = task(name="load-ties", cache_policy=NO_CACHE)(load_ties)
