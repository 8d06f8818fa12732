"""decision rounds without Prefect: the Proposals tab, quorum, tally, consent objections, one response per member."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tasks.decisions.decisions import Proposal, Response, parse_proposals, parse_quorum, tally
from weaver.config import DecisionsConfig
from weaver.state import StateDB
from weaver.state.decisions import responses, save_response

HEADER = ["proposal_id", "title_zh", "title_en", "text_zh", "text_en", "kind", "options", "audience", "opens",
          "closes", "quorum"]  # fmt: skip


def proposal(kind: str = "vote", options: tuple[str, ...] = ("A", "B", "C"), quorum: str = "50%") -> Proposal:
    share, count = parse_quorum(quorum)
    return Proposal(2, "p1", "标题", "Title", "", "", kind, options, "all", date(2026, 11, 1), date(2026, 11, 20),
                    share, count)  # fmt: skip


def answers(*pairs: tuple[str, str]) -> list[Response]:
    return [Response(m, c) for m, c in pairs]


PEOPLE = [f"m{i}" for i in range(10)]


def test_quorum_is_a_share_of_those_taking_part_or_a_count() -> None:
    assert parse_quorum("50%") == (Decimal("0.5"), 0) and parse_quorum("12") == (None, 12)
    assert parse_quorum("") == (None, 0)
    for bad in ("150%", "many", "-3"):
        with pytest.raises(ValueError):
            parse_quorum(bad)
    assert proposal(quorum="34%").needed(10) == 4 and proposal(quorum="3").needed(10) == 3


def test_a_vote_is_won_by_the_most_votes_a_tie_decides_nothing_and_no_quorum_nothing() -> None:
    won = tally(proposal(), PEOPLE, answers(("m1", "A"), ("m2", "B"), ("m3", "B"), ("m4", "C"), ("m5", "B")))
    assert (won.result, won.chosen, won.counts) == ("chosen", "B", {"A": 1, "B": 3, "C": 1})
    tie = tally(proposal(), PEOPLE, answers(("m1", "A"), ("m2", "B"), ("m3", "A"), ("m4", "B"), ("m5", "C")))
    assert tie.result == "tie"
    short = tally(proposal(), PEOPLE, answers(("m1", "A"), ("m2", "A"), ("m3", "A"), ("m4", "A")))
    assert (short.result, short.responded, short.needed, short.quorum_met) == ("no_quorum", 4, 5, False)


def test_consent_passes_without_objection_and_an_objection_stops_it() -> None:
    p = proposal("consent", ())
    ok = tally(p, PEOPLE, answers(*[(m, "consent") for m in PEOPLE[:4]], ("m4", "stand_aside")))
    assert ok.result == "passed" and ok.counts == {"consent": 4, "stand_aside": 1, "object": 0}
    blocked = tally(p, PEOPLE, [*answers(*[(m, "consent") for m in PEOPLE[:8]]), Response("m9", "object", "too soon")])
    assert blocked.result == "objected" and [(r.member_id, r.comment) for r in blocked.objections] == [
        ("m9", "too soon")
    ]


def test_advice_gathers_support_and_concerns_with_comments() -> None:
    out = tally(proposal("advice", (), "1"), PEOPLE, [Response("m1", "support"), Response("m2", "concern", "cost")])
    assert out.result == "advice" and out.counts == {"support": 1, "concern": 1}
    assert [r.comment for r in out.comments] == ["cost"]


def test_only_members_taking_part_and_offered_choices_count_and_the_last_answer_wins() -> None:
    out = tally(proposal(quorum="1"), ["m1", "m2"], answers(("m1", "A"), ("stranger", "B"), ("m2", "Z"), ("m1", "C")))
    assert out.counts == {"A": 0, "B": 0, "C": 1} and out.responded == 1


def test_one_response_per_member_changeable(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    db = StateDB(f"sqlite:///{tmp_path / 'w.db'}")
    at = datetime(2026, 11, 10, tzinfo=UTC)
    save_response(db, "p1", "m1", "A", "", at)
    save_response(db, "p1", "m1", "C", "changed my mind", at)
    save_response(db, "p1", "m2", "B", "", at)
    rows = sorted((r["member_id"], r["choice"], r["comment"]) for r in responses(db, ["p1"]))
    assert rows == [("m1", "C", "changed my mind"), ("m2", "B", "")]


def test_the_proposals_tab_is_read_row_by_row_with_reasons() -> None:
    grid = [
        HEADER,
        ["p1", "主题", "Theme", "", "", "投票", "A; B", "all", "2026-11-01", "2026-11-20", "10%"],
        ["p2", "", "Statement", "", "", "consent", "", "兴趣 包含 气候", "", "2026/11/30", ""],
        ["p3", "x", "", "", "", "maybe", "", "", "", "2026-11-30", ""],
        ["p4", "x", "", "", "", "vote", "only one", "", "", "2026-11-30", ""],
        ["p5", "x", "", "", "", "vote", "A;B", "", "2026-12-01", "2026-11-30", ""],
        ["p1", "again", "", "", "", "vote", "A;B", "", "", "2026-11-30", ""],
        ["p6", "x", "", "", "", "advice", "", "", "", "2026-11-30", "lots"],
    ]
    read = parse_proposals(grid, DecisionsConfig())
    assert [(p.proposal_id, p.kind, p.options, p.opens) for p in read.proposals] == [
        ("p1", "vote", ("A", "B"), date(2026, 11, 1)), ("p2", "consent", (), date(2026, 11, 30)),
    ]  # fmt: skip
    assert read.problems == [(4, "bad_kind"), (5, "no_options"), (6, "closes_before_opens"), (7, "duplicate_id"),
                             (8, "bad_quorum")]  # fmt: skip


def test_rounds_closing_from_today_on_go_to_the_calendar() -> None:
    from tasks.decisions.decisions import calendar_closes

    grid = [HEADER, ["p1", "主题", "Theme", "", "", "vote", "A; B", "all", "", "2026-11-30", ""],
            ["p2", "旧", "Old", "", "", "vote", "A; B", "all", "", "2026-11-01", ""]]  # fmt: skip
    assert calendar_closes(grid, DecisionsConfig(), date(2026, 11, 24), "zh") == [(2, "主题", date(2026, 11, 30))]
    assert calendar_closes([["no such columns"]], DecisionsConfig(), date(2026, 11, 24), "en") == []
