"""group-mixer's plan: the Groups tab, re-runs that change nothing, colleagues, emails, cards. No Prefect."""

from __future__ import annotations

from datetime import date

import pytest

from connectors.tables import Cell
from tasks.common.attendance import event_titles
from tasks.common.ties import Tie
from tasks.mixing.mix import MixError
from tasks.mixing.plan import GroupPlan, MixParams, mix_params, parse_sets, plan_group_mix
from weaver.config import parse_config

DAY = date(2026, 12, 1)
CONFIG = parse_config({
    "network": {"name": "Test network", "default_language": "en"},
    "tables": {"backend": "workbook", "path": "x.xlsx"},
    "mixing": {"max_iterations": 2000},
})  # fmt: skip


def members(n: int = 24) -> dict[str, dict[str, str]]:
    regions = ["华东", "华南", "Europe"]
    return {
        f"m-{i:02d}": {
            "name": f"Person {i}",
            "email": f"p{i}@example.org",
            "region": regions[i % 3],
            "language": "zh" if i % 3 < 2 else "en",
            "organisation": f"Org {i}",
            "interests": "climate, education" if i % 2 else "climate",
            "joined": "2024-01-01",
            "consent": "yes",
        }  # fmt: skip
        for i in range(n)
    }


def attendance(people: dict[str, dict[str, str]], event: str = "evt-1") -> list[list[str]]:
    rows = [["event_id", "date", "email", "status", "role"]]
    for i, fields in enumerate(people.values()):
        rows.append([event, DAY.isoformat(), fields["email"], "registered", "facilitator" if i < 4 else ""])
    return rows


def apply(grid: list[list[str]], cells: list[Cell]) -> list[list[str]]:
    out = [list(r) for r in grid]
    for c in cells:
        while len(out) < c.row:
            out.append([])
        out[c.row - 1] += [""] * (c.col - len(out[c.row - 1]))
        out[c.row - 1][c.col - 1] = c.value
    return [r for r in out if any(r)]


def plan(people: dict[str, dict[str, str]], groups: list[list[str]], ties: list[Tie] | None = None,
         **params: object) -> GroupPlan:  # fmt: skip
    p = MixParams(**{"group_size": 6, "rounds": 2, "balance": ("region",), "today": date(2026, 11, 24), **params})  # type: ignore[arg-type]
    return plan_group_mix(people, attendance(people), groups, ties or [], CONFIG, p, "en")


def test_the_groups_tab_keeps_other_events_and_a_rerun_writes_nothing() -> None:
    people = members()
    before = [["event_id", "round", "group", "member_id", "name", "role"], ["evt-0", "1", "1", "m-99", "Old", ""]]
    first = plan(people, before)
    after = apply(before, first.cells)
    assert after[1] == ["evt-0", "1", "1", "m-99", "Old", ""]
    assert len(after) == 2 + 2 * 24  # one row per person and round
    assert {r[3] for r in after[2:]} == set(people)
    again = plan(people, after, ties=first.ties)  # its own ties recorded: history leaves them out
    assert again.mix.rounds == first.mix.rounds and again.cells == []
    assert [a.key for a in again.actions] == [a.key for a in first.actions][-1:]  # only the (done) ties action


def test_a_remix_replaces_the_events_rows() -> None:
    people = members()
    first = plan(people, [])
    grid = apply([], first.cells)
    other = plan(people, grid, seed=9, group_size=4)
    remixed = apply(grid, other.cells)
    assert len(remixed) == 1 + 2 * 24
    assert max(int(r[2]) for r in remixed[1:]) == 6  # 24 people in groups of 4


def test_every_group_gets_a_facilitator_and_the_cards_mark_them() -> None:
    result = plan(members(), [])
    leads = {"m-00", "m-01", "m-02", "m-03"}
    for groups in result.mix.rounds:
        assert all(len(leads & set(g)) == 1 for g in groups)
    assert result.cards_html.count("★") == 2 * 4 + 1  # each facilitator in each round, and the legend
    assert "Round 2 · Table 4" in result.cards_html


def test_colleagues_are_not_seated_together_when_it_can_be_avoided() -> None:
    people = members(12)
    colleagues = {"m-05", "m-07", "m-09"}
    for m in colleagues:
        people[m]["organisation"] = "Same Org"
    result = plan(people, [], rounds=2, group_size=4)  # three groups: one colleague in each
    for groups in result.mix.rounds:
        assert all(len(colleagues & set(g)) == 1 for g in groups)


def test_participant_emails_name_the_others_and_change_only_for_moved_people() -> None:
    people = members(12)
    first = plan(people, [], email=True, rounds=1, group_size=6)
    assert len(first.messages) == 12
    mail = next(m for m in first.messages if m.member_id == "m-05")
    group = next(g for g in first.mix.rounds[0] if "m-05" in g)
    assert all(people[o]["name"] in mail.text for o in group if o != "m-05")
    assert "you both care about climate" in mail.text
    same = plan(people, [], email=True, rounds=1, group_size=6)
    assert [m.key for m in same.messages] == [m.key for m in first.messages]


def test_an_unknown_event_is_a_clear_error() -> None:
    with pytest.raises(MixError, match="event 'evt-404' is not in the attendance tab"):
        plan(members(), [], event_id="evt-404")


def test_constraint_sets_are_read_from_one_line() -> None:
    assert parse_sets("m-1, m-2; m-3 m-4；m-5，m-6;") == (("m-1", "m-2"), ("m-3", "m-4"), ("m-5", "m-6"))


def test_emails_and_cards_name_the_event_by_its_title_and_without_one_by_its_date() -> None:
    people = members(12)
    p = MixParams(group_size=6, rounds=1, email=True, today=date(2026, 11, 24))
    titled = plan_group_mix(people, attendance(people), [], [], CONFIG, p, "en", {"evt-1": "Spring Gathering"})
    assert all("Spring Gathering" in m.subject and "evt-1" not in m.subject + m.text for m in titled.messages)
    assert "Spring Gathering" in titled.cards_html and titled.names["m-05"] == people["m-05"]["name"]
    untitled = plan_group_mix(people, attendance(people), [], [], CONFIG, p, "en")
    assert all(DAY.isoformat() in m.subject and "evt-1" not in m.subject + m.text for m in untitled.messages)


def test_mix_params_fall_back_to_the_config_and_read_the_sets() -> None:
    p = mix_params(
        CONFIG, DAY, event_id=" evt-1 ", balance="region， language", keep_apart="m-1, m-2", attendees="m-3 m-4"
    )
    assert (p.event_id, p.balance, p.keep_apart, p.attendees) == ("evt-1", ("region", "language"), (("m-1", "m-2"),),
                                                                  ("m-3", "m-4"))  # fmt: skip
    assert p.group_size == CONFIG.mixing.group_size and p.rounds == CONFIG.mixing.rounds and p.group_count is None


def test_event_titles_come_from_the_events_tab_by_its_own_headers() -> None:
    grid = [["event_id", "title", "start"], ["evt-1", " Spring   Gathering ", "x"], ["evt-2", "", "x"], ["evt-3"]]
    assert event_titles(grid, CONFIG.events.columns) == {"evt-1": "Spring Gathering"}
    assert event_titles([], CONFIG.events.columns) == {}
