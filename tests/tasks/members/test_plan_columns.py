"""The column-wise member-sync plan equals the row-by-row one it replaced (tests/tasks/members/reference_plan.py)
on tricky input: full-width characters, Chinese names, emails with spaces, case and full stops, empty cells,
short rows, duplicates, copied ids, near-duplicate names. No Prefect, no files."""

from __future__ import annotations

import copy
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.common.text import (
    by_distinct_value,
    canonical_list_column,
    is_valid_email,
    normalise_column,
    normalise_email,
    normalise_text,
    valid_email_column,
)
from tasks.members import plan as columnwise
from tasks.members.plan import _digest, _digests, _member_ids, _name_key, _name_keys, member_id_for
from tests.tasks.members import reference_plan as reference
from weaver.config import parse_config

NAMES = ["王伟", "王 伟", "Wei Zhang", "zhang  wei", "ＡＮＡ", "Ana", "García", "garcia", "Garci\u0301a", " 张　伟 ",
         "\u200bBo", "ﬁona", "FIONA", "Σίσυφος", "ΣΊΣΥΦΟΣ", "Ｗｅｉ\tＺｈａｎｇ", "x", ""]  # fmt: skip
EMAILS = ["a@x.org", "A@X.org", " a @x.org", "ＡＮＡ＠ＸＹＺ．ＯＲＧ", "ana@xyz。org", "mailto:b@x.org", "bad",
          "用户@例子.中国", "zoe@exämple.org", "c@x.org ", "b@x.org", "B@x.org", "x@y", "a b@c.org", ""]  # fmt: skip
POOLS = {
    "interests": ["气候、教育", "art;music", "a , b", "，x，", "climate/art|x", "Art, art", " ,, ", ""],
    "region": ["华东", "Europe", " europe ", "ＥＵＲＯＰＥ", ""],
    "language": ["zh", "English", "klingon", "中文", " EN ", ""],
    "joined": ["2024-01-02", "2024/1/2", "not a date", "45000", "1 Feb 2024", "２０２４-０１-０２", ""],
    "consent": ["是", "yes", "no", "maybe", "否", " YES ", ""],
    "fee": ["12", "1,200", "abc", "１２", ""],
    "organisation": ["Org", "ORG", "其他", ""],
    "phone": ["0123", "0456", ""],
    "directory": ["是", "no", ""],
}
HEADERS = ["姓名", "邮箱", *POOLS, "Member ID", "Sync status"]
OWNED = {"member_id": ["m-1", "m-2", "m-abc", ""], "sync_status": ["OK", "同步成功", "Duplicate of row 3", ""]}


def config(lang: str, owned: bool):  # type: ignore[no-untyped-def]
    columns = {"name": "姓名", "email": "邮箱", **{f: f for f in POOLS}}
    members: dict[str, object] = {"columns": columns}
    if not owned:
        members["owned_columns"] = {"member_id": "ID (ours)", "sync_status": "Status (ours)"}  # missing: created
    data = {"network": {"default_language": lang}, "tables": {"backend": "workbook", "path": "x.xlsx"},
            "members": members}  # fmt: skip
    return parse_config(data)


cell = st.sampled_from
a_row = st.tuples(
    cell(NAMES), cell(EMAILS), *(cell(v) for v in POOLS.values()), cell(OWNED["member_id"]), cell(OWNED["sync_status"])
).map(list)
rows = st.lists(
    st.one_of(a_row, a_row.map(lambda r: r[:2]), a_row.map(lambda r: r[:7]), st.just([""] * len(HEADERS))),
    max_size=30,
)


def _members(members):  # type: ignore[no-untyped-def]
    return [(m.row, m.member_id, m.email, m.fields, m.rows, m.fields_hash, m.warnings) for m in members]


@settings(max_examples=300, deadline=None)
@given(rows, st.sampled_from(["en", "zh"]), st.booleans())
def test_the_column_wise_plan_equals_the_row_by_row_one(body: list[list[str]], lang: str, owned: bool) -> None:
    cfg = config(lang, owned)
    grid = [list(HEADERS), *body]
    new = columnwise.plan_member_sync(copy.deepcopy(grid), cfg, {}, "test.xlsx")
    layout = columnwise.locate_columns(grid[0], cfg.members, cfg.members.tab, "test.xlsx")
    parsed = reference.parse_members(copy.deepcopy(grid), layout, cfg.members, lang, lang)
    parsed_now = columnwise.parse_members(copy.deepcopy(grid), layout, cfg.members, lang, lang)
    assert _members(parsed_now.members) == _members(parsed.members)  # before dedupe merges them
    assert (new.parsed.rejected, new.parsed.blank_rows, new.parsed.rows_read) == (
        parsed.rejected,
        parsed.blank_rows,
        parsed.rows_read,
    )
    deduped = reference.dedupe(parsed.members, lang)
    assert _members(new.deduped.members) == _members(deduped.members)
    assert new.deduped.merged == deduped.merged
    assert new.deduped.near_duplicates == deduped.near_duplicates
    assert new.deduped.id_reassigned == deduped.id_reassigned
    assert new.cells == reference.plan_writeback(grid, layout, deduped, parsed, cfg.members, lang)


@settings(max_examples=200, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_the_column_wise_diff_equals_the_row_by_row_one(body: list[list[str]], rnd: random.Random) -> None:
    cfg = config("en", True)
    grid = [list(HEADERS), *body]
    layout = columnwise.locate_columns(grid[0], cfg.members, cfg.members.tab, "test.xlsx")
    parsed = reference.parse_members(copy.deepcopy(grid), layout, cfg.members, "en", "en")
    members = reference.dedupe(parsed.members, "en").members
    known = [m.member_id for m in members] + ["m-1", "m-gone", "m-kept", "m-old"]
    snapshot = {i: (rnd.choice(["x", *(m.fields_hash for m in members if m.member_id == i)]),
                    rnd.choice(["active", "gone"])) for i in rnd.sample(known, rnd.randint(0, len(known)))}  # fmt: skip
    kept = {"m-kept", *(r.member_id for r in parsed.rejected if r.member_id)}
    new, old = columnwise.diff_members(members, snapshot, kept), reference_diff(members, snapshot, kept)
    assert (new.added, new.changed, new.unchanged, new.gone) == (old.added, old.changed, old.unchanged, old.gone)


def reference_diff(members, snapshot, kept_ids):  # type: ignore[no-untyped-def]
    """diff_members as it was, row by row."""
    result = columnwise.MemberDiff()
    present: set[str] = set()
    for member in members:
        present.add(member.member_id)
        known = snapshot.get(member.member_id)
        if known is None or known[1] != "active":
            result.added.append(member)
        elif known[0] != member.fields_hash:
            result.changed.append(member)
        else:
            result.unchanged.append(member)
    for member_id, (_hash, status) in snapshot.items():
        if status == "active" and member_id not in present and member_id not in kept_ids:
            result.gone.append(member_id)
    return result


def test_a_rerun_writes_only_what_changed_in_the_owned_columns() -> None:
    cfg = config("en", True)
    grid = [list(HEADERS), *[[f"Name {i}", f"n{i}@x.org", *[""] * len(POOLS), "", ""] for i in range(50)]]
    for c in columnwise.plan_member_sync(grid, cfg, {}, "t.xlsx").cells:
        grid[c.row - 1][c.col - 1] = c.value
    grid[10][-1] = "edited by hand"  # one status cell changed, one id cleared
    grid[20][-2] = ""
    cells = columnwise.plan_member_sync(copy.deepcopy(grid), cfg, {}, "t.xlsx").cells
    layout = columnwise.locate_columns(grid[0], cfg.members, cfg.members.tab, "t.xlsx")
    parsed = reference.parse_members(grid, layout, cfg.members, "en", "en")
    assert cells == reference.plan_writeback(grid, layout, reference.dedupe(parsed.members, "en"), parsed,
                                             cfg.members, "en")  # fmt: skip
    assert [(c.row, c.col) for c in cells] == [(11, len(HEADERS)), (21, len(HEADERS) - 1)]


# the column-wise pieces, each against its one-cell-at-a-time meaning -------------------------------------
tricky_text = st.sampled_from([*NAMES, *EMAILS, *(v for pool in POOLS.values() for v in pool), "a\u3000b", "\ufeffz"])


@settings(max_examples=200, deadline=None)
@given(st.lists(tricky_text, max_size=60))
def test_column_functions_equal_their_per_cell_meaning(values: list[str]) -> None:
    repeated = values * 5  # enough repeats that by_distinct_value takes its table path
    assert by_distinct_value(repeated, normalise_column) == [normalise_text(v) for v in repeated]
    assert by_distinct_value(values, normalise_column) == [normalise_text(v) for v in values]
    assert canonical_list_column(values) == reference.canonical_list_column(values)
    assert valid_email_column(values) == [is_valid_email(v) for v in values]
    emails = [normalise_email(v) for v in values]
    assert valid_email_column(emails) == [is_valid_email(v) for v in emails]
    assert _name_keys(values) == [_name_key(v) for v in values]
    names = [normalise_text(v) for v in values]
    assert _name_keys(names) == [_name_key(v) for v in names]


def test_a_shared_string_stands_for_every_equal_cell() -> None:
    column = ["是", " 是", "yes"] * 10
    out = by_distinct_value(column, normalise_column)
    assert out == ["是", "是", "yes"] * 10
    assert len({id(v) for v in out}) == 3  # one string per distinct cell text, not one per cell


def test_hashes_and_ids_equal_the_per_row_functions() -> None:
    rows = [("a", "张伟", ""), ("", "", ""), ("ＡＮＡ", "x\x1fy", "z")]
    assert _digests("f\x1eg\x1eh", rows) == [_digest("f\x1eg\x1eh", r) for r in rows]
    emails = ["a@x.org", "用户@例子.中国", "b@x.org"]
    assert _member_ids(["", "", ""], emails) == [member_id_for(e) for e in emails]
    assert _member_ids(["m-1", "", "m-3"], emails) == ["m-1", member_id_for(emails[1]), "m-3"]
    assert _member_ids(["m-1", "m-2", "m-3"], emails) == ["m-1", "m-2", "m-3"]
    assert _member_ids([], []) == []


def test_planning_reports_progress_in_increasing_rows_up_to_all_of_them() -> None:
    cfg = config("en", True)
    body = [[f"Name {i}", f"n{i}@x.org", *[""] * len(POOLS), "", ""] for i in range(40)]
    calls: list[tuple[int, int]] = []
    columnwise.plan_member_sync([list(HEADERS), *body], cfg, {}, "t.xlsx", progress=lambda d, t: calls.append((d, t)))
    done = [d for d, _ in calls]
    assert done[0] == 0 and calls[-1] == (40, 40) and all(t == 40 for _, t in calls)
    assert done == sorted(done) and len(set(done)) >= 4  # several steps between the start and the end
    assert columnwise.plan_member_sync([list(HEADERS)], cfg, {}, "t.xlsx", progress=lambda d, t: None).cells == []


def test_members_fields_are_plain_dicts_sharing_their_keys() -> None:
    import json

    cfg = config("zh", True)
    body = [[f"名{i}", f"n{i}@x.org", *[""] * len(POOLS), "", ""] for i in range(3)]
    members = columnwise.plan_member_sync([list(HEADERS), *body], cfg, {}, "t.xlsx").deduped.members
    fields = members[0].fields
    assert type(fields) is dict and list(fields) == sorted(fields) and fields["name"] == "名0"
    assert json.loads(json.dumps(fields)) == fields == dict(fields)
    fields["consent"], fields["brand new"] = "no", "x"  # changed and extended like any dict, the others untouched
    assert fields["consent"] == "no" and "brand new" in fields and "brand new" not in members[1].fields
