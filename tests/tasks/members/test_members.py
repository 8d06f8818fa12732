"""Member sync pure logic: normalise, validate, dedupe, diff, write-back. No Prefect, no files."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks.common.dates import parse_date
from tasks.common.text import is_valid_email, normalise_email, normalise_text
from tasks.members.plan import dedupe, diff_members, member_id_for, plan_member_sync
from tests.helpers import config, grid, row


def plan(g: list[list[str]], snapshot: dict[str, tuple[str, str]] | None = None):  # type: ignore[no-untyped-def]
    return plan_member_sync(g, config(), snapshot or {}, "test.xlsx")


# normalisation ------------------------------------------------------------------------------------------
def test_full_width_email_becomes_ascii_lowercase() -> None:
    assert normalise_email("ＡＮＡ＠ＸＹＺ．ＯＲＧ") == "ana@xyz.org"


def test_email_with_spaces_case_and_chinese_full_stop() -> None:
    assert normalise_email("  Ana.Garcia@Example。org ") == "ana.garcia@example.org"


def test_cjk_names_kept_intact_and_whitespace_collapsed() -> None:
    assert normalise_text("  张　伟  ") == "张 伟"  # ideographic space is collapsed, characters kept
    assert normalise_text("欧阳\t娜娜") == "欧阳 娜娜"
    assert normalise_text("王芳") == "王芳"


def test_full_width_latin_in_names_becomes_ascii() -> None:
    assert normalise_text("ＡＮＡ ＧＡＲＣＩＡ") == "ANA GARCIA"


def test_email_syntax() -> None:
    assert is_valid_email("li.lei+news@mail.example.cn")
    for bad in ("wang.fang@", "li lei at example.org", "a@b", "a..b@example.org", "@example.org", "a@-x.org"):
        assert not is_valid_email(normalise_email(bad)), bad


def test_dates_in_the_formats_people_type() -> None:
    assert parse_date("2024-03-05") == "2024-03-05"
    assert parse_date("2024/3/5") == "2024-03-05"
    assert parse_date("2024年3月5日") == "2024-03-05"
    assert parse_date("2024.03.05 10:30:00") == "2024-03-05"
    assert parse_date("明年") is None
    assert parse_date("2024-02-30") is None


def test_excel_date_serials_are_dates() -> None:
    assert parse_date("45000") == "2023-03-15"  # a date typed into a text cell, or a cell that lost its format
    assert parse_date("46363.5") == "2026-12-07"  # with a time of day
    assert parse_date("123") is None and parse_date("99999") is None and parse_date("45000.x") is None


# quarantine ---------------------------------------------------------------------------------------------
def test_internationalised_addresses_are_valid() -> None:
    for good in ("zoe@exämple.org", "ZOE@EXÄMPLE.ORG", "用户@例子.中国", "a@xn--fsqu00a.xn--fiqs8s"):
        assert is_valid_email(normalise_email(good)), good
    for bad in ("zoe@exä_mple.org", "zoe@exämple", "zoe@-exämple.org", "zoe@exämple..org", "a(b@exämple.org"):
        assert not is_valid_email(normalise_email(bad)), bad
    p = plan(grid(row("Zoë", "zoe@exämple.org")))
    assert [m.email for m in p.deduped.members] == ["zoe@exämple.org"] and not p.parsed.rejected


def test_every_quarantine_reason_names_row_and_field_and_optional_fields_only_warn() -> None:
    g = grid(
        row("", "a@example.org"),
        row("No Email", ""),
        row("Bad Email", "wang.fang@"),
        row("Bad Date", "d@example.org", joined="明年"),
        row("Bad Fee", "f@example.org", fee="lots"),
        row("Good", "g@example.org"),
    )
    p = plan(g)
    reasons = {r.row: r.reason for r in p.parsed.rejected}
    assert reasons == {
        2: "name is missing",
        3: "email is missing",
        4: "email is not a valid address",
    }
    assert [m.row for m in p.deduped.members] == [5, 6, 7]
    by_row = {m.row: m for m in p.deduped.members}
    assert by_row[5].warnings == ["join date is not a date: left empty (an optional field; correct it in the sheet)"]
    assert by_row[5].fields["joined"] == "" and by_row[6].fields["fee"] == ""
    assert by_row[6].warnings == [
        "membership fee is not a number: left empty (an optional field; correct it in the sheet)"
    ]
    serial = plan(grid(row("Serial", "s@example.org", joined="45000")))
    assert serial.deduped.members[0].fields["joined"] == "2023-03-15" and not serial.deduped.members[0].warnings


def test_quarantine_reasons_follow_the_network_language() -> None:
    cfg = config()
    zh = cfg.model_copy(update={"network": cfg.network.model_copy(update={"default_language": "zh"})})
    p = plan_member_sync(grid(row("王芳", "")), zh, {}, "t")
    assert p.parsed.rejected[0].reason == "缺少邮箱"


def test_blank_rows_are_counted_not_quarantined() -> None:
    p = plan(grid(row("A", "a@example.org"), row(), row("B", "b@example.org")))
    assert p.parsed.blank_rows == [3]
    assert p.parsed.rejected == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "Ana", "王芳", " ＡＮＡ "]),
            st.sampled_from(["", "a@x.org", "A@X.ORG", " a@x.org", "b@x.org", "bad@", "ｃ＠ｘ．ｏｒｇ"]),
            st.sampled_from(["", "2024-01-01", "soon"]),
        ),
        max_size=25,
    )
)
def test_nothing_is_silently_dropped(rows: list[tuple[str, str, str]]) -> None:
    """Every row is blank, a member, merged into a member, or quarantined: exactly one of them."""
    p = plan(grid(*[row(n, e, joined=j) for n, e, j in rows]))
    placed = (
        list(p.parsed.blank_rows) + [r.row for r in p.parsed.rejected] + [r for m in p.deduped.members for r in m.rows]
    )
    assert sorted(placed) == list(range(2, len(rows) + 2))


# dedupe -------------------------------------------------------------------------------------------------
def test_duplicates_by_case_spaces_and_full_width_merge_into_the_first_row() -> None:
    g = grid(
        row("Ana García", "Ana.Garcia@Example.org", interests="climate", consent="yes"),
        row("Ana Garcia", " ana.garcia@example.org ", interests="education", region="Europe"),
        row("ＡＮＡ", "ＡＮＡ．ＧＡＲＣＩＡ＠ＥＸＡＭＰＬＥ．ＯＲＧ", interests="climate"),
    )
    p = plan(g)
    assert len(p.deduped.members) == 1
    ana = p.deduped.members[0]
    assert ana.row == 2 and ana.rows == (2, 3, 4)
    assert ana.name == "Ana García"  # the primary's value wins
    assert ana.region == "Europe"  # filled from a later row where the primary is empty
    assert ana.interests == ("climate", "education")  # union, no repeats
    assert p.deduped.merged == {3: 2, 4: 2}


def test_any_no_to_consent_wins_when_merging() -> None:
    p = plan(grid(row("A", "a@x.org", consent="yes"), row("A", "A@x.org", consent="否")))
    assert p.deduped.members[0].consent is False


def test_any_no_to_the_public_directory_wins_when_merging() -> None:
    from tasks.members.plan import dedupe
    from weaver.models import Member

    rows = [Member(2, "", "a@x.org", {"name": "A", "directory": "姓名, 地区"}),
            Member(3, "", "a@x.org", {"name": "A", "directory": "否"})]  # fmt: skip
    assert dedupe(rows, "en").members[0].fields["directory"] == "否"


def test_near_duplicate_names_are_flagged_not_merged() -> None:
    g = grid(row("张伟", "zw1@example.cn", notes=""), row("张 伟", "zw2@example.cn"))
    g[1][5] = g[2][5] = ""
    cfg = config()
    cols = {**cfg.members.columns, "organisation": "备注"}  # reuse a column as organisation
    cfg = cfg.model_copy(update={"members": cfg.members.model_copy(update={"columns": cols})})
    g[1][8] = g[2][8] = "绿色未来协会"
    p = plan_member_sync(g, cfg, {}, "t")
    assert len(p.deduped.members) == 2
    assert p.deduped.near_duplicates == [(2, 3)]


def test_same_name_alone_is_not_flagged() -> None:
    p = plan(grid(row("王伟", "w1@example.cn"), row("王伟", "w2@example.cn")))
    assert p.deduped.near_duplicates == []


def test_copied_row_with_someone_elses_id_gets_its_own_id() -> None:
    headers = [*grid()[0], "Member ID"]
    g = grid(row("A", "a@x.org") + ["m-keep"], row("B", "b@x.org") + ["m-keep"], headers=headers)
    p = plan(g)
    ids = [m.member_id for m in p.deduped.members]
    assert ids == ["m-keep", member_id_for("b@x.org")]
    assert p.deduped.id_reassigned == {3: 2}


# diff ---------------------------------------------------------------------------------------------------
def test_diff_added_changed_gone_unchanged() -> None:
    p = plan(grid(row("A", "a@x.org"), row("B", "b@x.org")))
    a, b = p.deduped.members
    snapshot = {
        a.member_id: (a.fields_hash, "active"),
        b.member_id: ("old", "active"),
        "m-left": ("h", "active"),
    }
    d = diff_members(p.deduped.members, snapshot, set())
    assert [m.email for m in d.unchanged] == ["a@x.org"]
    assert [m.email for m in d.changed] == ["b@x.org"]
    assert d.gone == ["m-left"]
    assert d.added == []


def test_a_known_member_on_a_quarantined_row_is_not_reported_gone() -> None:
    headers = [*grid()[0], "Member ID"]
    p = plan(grid(row("A", "broken@") + ["m-known"], headers=headers), {"m-known": ("h", "active")})
    assert p.diff.gone == []


def test_dedupe_is_stable_for_reordered_input() -> None:
    p1 = plan(grid(row("A", "a@x.org"), row("B", "b@x.org")))
    p2 = plan(grid(row("B", "b@x.org"), row("A", "a@x.org")))
    assert {m.member_id: m.fields_hash for m in p1.deduped.members} == {
        m.member_id: m.fields_hash for m in p2.deduped.members
    }
    assert dedupe([], "en").members == []


# write-back ---------------------------------------------------------------------------------------------
def test_writeback_creates_owned_columns_and_touches_nothing_else() -> None:
    g = grid(row("A", "a@x.org"), row("", "bad@"), row("A2", "A@x.org"))
    p = plan(g)
    owned_cols = {len(g[0]) + 1, len(g[0]) + 2}
    assert {c.col for c in p.cells} == owned_cols
    header_cells = {(c.col, c.value) for c in p.cells if c.row == 1}
    assert header_cells == {(len(g[0]) + 1, "Member ID"), (len(g[0]) + 2, "Sync status")}
    status = {c.row: c.value for c in p.cells if c.col == len(g[0]) + 2 and c.row > 1}
    assert status == {2: "synced", 3: "quarantined: name is missing", 4: "duplicate of row 2"}


def test_writeback_is_empty_when_the_sheet_already_says_it() -> None:
    g = grid(row("A", "a@x.org"), row("", "bad@"))
    first = plan(g)
    for cell in first.cells:
        while len(g[cell.row - 1]) < cell.col:
            g[cell.row - 1].append("")
        g[cell.row - 1][cell.col - 1] = cell.value
    assert plan(g).cells == []
    assert plan(g).writeback == []


def test_fields_hash_is_the_same_however_the_member_was_built() -> None:
    from tasks.members.plan import fields_hash

    p = plan(grid(row("A", "a@x.org", interests="气候、教育"), row("B", "b@x.org"), row("B", "B@x.org", region="华东")))
    for member in p.deduped.members:
        assert member.fields_hash == fields_hash(dict(reversed(list(member.fields.items()))))


def test_column_normalisation_equals_cell_by_cell() -> None:
    from tasks.common.text import normalise_column

    cells = ["  张　伟 ", "ＡＮＡ", "a  b\tc", "", "plain", " x", "y ", "\u200bz"]
    assert normalise_column(cells) == [normalise_text(c) for c in cells]
    assert normalise_column(["plain", "text"]) == ["plain", "text"]
