"""The weaving ledger: ties in the state database, mixing history, new ties per period, the Kumu export."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from tasks.common.ties import (
    INTRODUCTIONS,
    event_ties,
    group_ties,
    history,
    kumu_csv,
    load_ties,
    new_ties,
    save_ties,
    tie,
)
from weaver.state import StateDB

D = date(2026, 3, 5)


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    return state_db  # on SQLite and on PostgreSQL: ids [sqlite], [postgresql]


def test_a_pair_is_one_tie_whichever_way_round() -> None:
    assert tie("m-2", "m-1", "group", "e/r1/g1", D) == tie("m-1", "m-2", "group", "e/r1/g1", D)
    with pytest.raises(ValueError, match="unknown tie source"):
        tie("m-1", "m-2", "coffee", "x", D)


def test_having_met_counts_one_and_sharing_a_room_counts_less() -> None:
    ties = [tie("a", "b", "group", "e1/r1/g1", D)]
    ties += [x for k in range(2) for x in event_ties(["c", "d", "e"], f"e{k}", D)]
    ties += [x for k in range(7) for x in event_ties(["f", "g"], f"e{k}", D)]
    h = history(ties)
    assert h[("a", "b")] == 1.0
    assert h[("c", "d")] == pytest.approx(0.4)  # two events together
    assert h[("f", "g")] == 1.0  # seven events together: capped at "have met"


def test_history_leaves_out_the_event_being_planned_again() -> None:
    ties = group_ties([[["a", "b"], ["c", "d"]]], "evt-1", D) + group_ties([[["a", "c"]]], "evt-10", D)
    h = history(ties, exclude_prefix="evt-1")
    assert ("a", "b") not in h and ("c", "d") not in h
    assert h[("a", "c")] == 1.0  # evt-10 is another event, not a re-plan of evt-1


def test_new_ties_count_each_pair_once_in_the_period_of_its_first_meeting() -> None:
    ties = [
        tie("a", "b", "introduction", "intro:a:b", date(2026, 1, 20)),
        tie("a", "b", "group", "e2/r1/g1", date(2026, 2, 3)),  # the same pair again: not new
        tie("a", "c", "group", "e2/r1/g1", date(2026, 2, 3)),
        tie("c", "d", "buddy", "buddy:c:d", date(2026, 4, 1)),
        *event_ties(["x", "y"], "e1", date(2026, 1, 5)),  # sharing a room is not counted
    ]
    assert {p: dict(c) for p, c in new_ties(ties, "month").items()} == {
        "2026-02": {"group": 2},  # a and b met in February: their introduction in January was not a meeting
        "2026-04": {"buddy": 1},
    }
    assert {p: sum(c.values()) for p, c in new_ties(ties, "quarter").items()} == {"2026-Q1": 2, "2026-Q2": 1}
    assert {p: dict(c) for p, c in new_ties(ties, "month", INTRODUCTIONS).items()} == {"2026-01": {"introduction": 1}}


def test_a_confirmed_meeting_is_a_new_tie_and_counts_fully_in_the_mixing_history() -> None:
    ties = [tie("a", "b", "introduction", "intro:a:b", date(2026, 1, 20)),
            tie("a", "b", "meeting", "intro:a:b", date(2026, 2, 2))]  # fmt: skip
    assert {p: dict(c) for p, c in new_ties(ties, "month").items()} == {"2026-02": {"meeting": 1}}
    assert history(ties)[("a", "b")] == 1.0


def test_kumu_export_has_kumus_headers_and_member_ids_only() -> None:
    text = kumu_csv([tie("m-2", "m-1", "introduction", "intro:m-2:m-1", D)])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["From", "To", "Type", "Date", "Occasion"], ["m-1", "m-2", "introduction", "2026-03-05",
                                                                   "intro:m-2:m-1"]]  # fmt: skip


def test_recording_twice_keeps_one_tie_and_a_remix_replaces_only_that_events_groups(db: StateDB) -> None:
    first = group_ties([[["a", "b"], ["c", "d"]]], "evt-1", D)
    other = group_ties([[["a", "b"]]], "evt-10", D)
    save_ties(db, first + other)
    save_ties(db, first)
    assert len(load_ties(db)) == 3
    remix = group_ties([[["a", "c"], ["b", "d"]]], "evt-1", D)
    save_ties(db, remix, replace=("group", "evt-1/"))
    pairs = {(x.a, x.b, x.ref.split("/")[0]) for x in load_ties(db)}
    assert pairs == {("a", "c", "evt-1"), ("b", "d", "evt-1"), ("a", "b", "evt-10")}


def test_buddy_pairs_made_by_onboarding_are_ties(db: StateDB) -> None:
    from tasks.onboarding.onboarding import RECORD
    from weaver.ledger import Action, Ledger, Outcome

    actions = [Action(f"{RECORD}m-new", "onboarding-newcomer", "x", {"buddy": "m-old"}, idempotent=True),
               Action(f"{RECORD}m-alone", "onboarding-newcomer", "x", {"buddy": None}, idempotent=True)]  # fmt: skip
    Ledger(db, "onboarding").apply(actions, lambda batch: [Outcome.success() for _ in batch])
    [buddy] = load_ties(db)
    assert (buddy.a, buddy.b, buddy.source, buddy.ref) == ("m-new", "m-old", "buddy", "buddy:m-new")
