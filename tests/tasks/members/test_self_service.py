"""Members' own changes in member-sync (pure): only their columns, the latest change, conflicts reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tasks.members.self_service import APPLIED, CONFLICT, OVERRIDDEN, REFUSED, SUPERSEDED, plan_edits
from weaver.models import Member

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
COLS = {"name": 0, "email": 1, "needs": 2, "language": 3, "phone": 4}
EDITABLE = ("needs", "language", "interests")


def member(needs: str = "", language: str = "zh") -> Member:
    fields = {"name": "李娜", "email": "li@x.cn", "needs": needs, "language": language, "phone": "123"}
    return Member(7, "m-1", "li@x.cn", dict(fields))


def edit(n: int, name: str, value: str, minutes: int = 0) -> dict:
    return {"id": f"f{n}:{name}", "member_id": "m-1", "field": name, "value": value,
            "made_at": T0 + timedelta(minutes=minutes)}  # fmt: skip


def outcomes(result: tuple) -> list[tuple[str, str, str]]:
    return [(o.field, o.outcome, o.kept) for o in result[1]]


def test_a_change_writes_only_its_own_cell_in_the_members_row_and_the_state_follows() -> None:
    m = member()
    cells, _ = plan_edits([edit(1, "needs", "场地"), edit(1, "language", "English")], [], [m], COLS,
                          {"m-1": dict(m.fields)}, EDITABLE)  # fmt: skip
    assert sorted((c.row, c.col, c.value) for c in cells) == [(7, 3, "场地"), (7, 4, "en")]  # 1-based columns
    assert m.fields["needs"] == "场地" and m.fields["language"] == "en"


def test_the_latest_change_wins_and_fields_members_may_not_change_are_refused() -> None:
    m = member()
    result = plan_edits([edit(1, "needs", "场地"), edit(2, "needs", "经费", 5), edit(2, "phone", "999", 5)], [], [m],
                        COLS, {"m-1": dict(m.fields)}, EDITABLE)  # fmt: skip
    assert [(c.value) for c in result[0]] == ["经费"]
    assert sorted(outcomes(result)) == [("needs", APPLIED, ""), ("needs", SUPERSEDED, ""), ("phone", REFUSED, "")]


def test_when_the_coordinator_also_changed_the_cell_theirs_is_kept_and_the_conflict_reported() -> None:
    m = member(needs="志愿者")  # the coordinator typed this since the last sync, which saw ""
    result = plan_edits([edit(1, "needs", "场地")], [], [m], COLS, {"m-1": {**m.fields, "needs": ""}}, EDITABLE)
    assert result[0] == [] and outcomes(result) == [("needs", CONFLICT, "志愿者")]
    assert m.fields["needs"] == "志愿者"


def test_a_coordinators_later_edit_over_a_written_change_wins_and_is_reported() -> None:
    m = member(needs="经费")  # we wrote 场地 at the last sync; a coordinator has typed 经费 since
    applied = [{**edit(1, "needs", "场地"), "status": "applied"}]
    result = plan_edits([], applied, [m], COLS, {"m-1": {**m.fields, "needs": "场地"}}, EDITABLE)
    assert result[0] == [] and outcomes(result) == [("needs", OVERRIDDEN, "经费")]
    same = plan_edits([], applied, [member(needs="场地")], COLS, {"m-1": {**m.fields, "needs": "场地"}}, EDITABLE)
    assert outcomes(same) == []  # untouched since: nothing to report


def test_a_member_no_longer_on_the_tab_is_refused() -> None:
    result = plan_edits([edit(1, "needs", "场地")], [], [], COLS, {}, EDITABLE)
    assert outcomes(result) == [("needs", REFUSED, "")]
