"""The public directory: only members who said yes, only the fields they allowed, never contact details."""

from __future__ import annotations

from tasks.site.directory import allowed_fields, build_directory

DEFAULT = ("name", "organisation", "region")


def test_yes_shows_the_default_fields_and_a_list_shows_exactly_those_fields() -> None:
    assert allowed_fields("是", DEFAULT) == DEFAULT
    assert allowed_fields("Yes", DEFAULT) == DEFAULT
    assert allowed_fields("姓名, 兴趣、地区", DEFAULT) == ("name", "region", "interests")
    assert allowed_fields("name; organisation", DEFAULT) == ("name", "organisation")


def test_no_blank_and_unclear_answers_are_never_a_yes() -> None:
    for cell in ("否", "no", "", "  ", "maybe", "也许", "email, phone"):
        assert allowed_fields(cell, DEFAULT) == (), cell


def test_contact_details_never_appear_even_when_a_member_lists_them() -> None:
    assert allowed_fields("姓名, 邮箱, 电话, email, phone, fee, 会费", DEFAULT) == ("name",)


def test_the_directory_lists_consenting_named_members_with_their_allowed_fields_only() -> None:
    members = [
        {"name": "王芳", "email": "wang@example.cn", "organisation": "绿色未来协会", "region": "华东",
         "directory": "是"},
        {"name": "Ana García", "email": "ana@example.org", "region": "Europe", "interests": "climate",
         "phone": "013800138000", "directory": "name, interests, phone"},
        {"name": "李雷", "organisation": "星火教育中心", "directory": "否"},
        {"name": "Sam Okafor", "organisation": "Civic Works", "directory": ""},
        {"name": "张伟", "region": "西南", "directory": "地区, 兴趣"},  # fields without the name: not listed
        {"name": "Kofi Mensah", "organisation": "", "region": "Africa", "directory": "yes"},  # blanks dropped
    ]  # fmt: skip
    directory = build_directory(members, DEFAULT)
    assert [e.name for e in directory.entries] == ["Ana García", "Kofi Mensah", "王芳"]
    by_name = {e.name: dict(e.fields) for e in directory.entries}
    assert by_name["Ana García"] == {"interests": "climate"}  # not the region she did not allow, not the phone
    assert by_name["王芳"] == {"organisation": "绿色未来协会", "region": "华东"}
    assert by_name["Kofi Mensah"] == {"region": "Africa"}
    assert (directory.declined, directory.unnamed) == (2, 1)
