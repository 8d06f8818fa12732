"""Audience filters a coordinator writes in Chinese or English: what they select, and what a mistake says."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.common.audience import AudienceError, parse_audience
from tasks.events.events import parse_events
from weaver.config import EventsConfig

TODAY = date(2026, 11, 24)
WANG = {"interests": "气候行动, 教育", "region": "华东", "language": "zh", "joined": "2025-03-01", "org_type": "NGO"}
LI = {"interests": "乡村振兴", "region": "西南", "language": "zh", "joined": "2021-06-30", "org_type": "基金会"}
ANA = {"interests": "climate, open data", "region": "Europe", "language": "en", "joined": "2026-10-01"}
PEOPLE = {"wang": WANG, "li": LI, "ana": ANA}


def selected(text: str) -> set[str]:
    audience = parse_audience(text, "zh")
    return {name for name, fields in PEOPLE.items() if audience.matches(fields, TODAY)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("兴趣 包含 气候", {"wang"}),  # part of a value: 气候 matches 气候行动
        ("兴趣包含气候", {"wang"}),  # no spaces, as people type Chinese
        ("interests contain climate", {"ana"}),
        ("地区 属于 华东, 华南", {"wang"}),
        ("地区 属于 华东、西南", {"wang", "li"}),
        ("region in Europe", {"ana"}),
        ("语言 是 中文", {"wang", "li"}),
        ("language is en", {"ana"}),
        ("加入日期 晚于 2025-01-01", {"wang", "ana"}),
        ("active since 2025/1/1", {"wang", "ana"}),
        ("加入日期 早于 2022年1月1日", {"li"}),
        ("joined since 90 days ago", {"ana"}),
        ("兴趣 包含 气候 并且 地区 属于 华东", {"wang"}),
        ("兴趣 包含 气候；语言 是 英文", set()),
        ("兴趣 包含 气候 或 interests contain climate", {"wang", "ana"}),
        ("机构类型 不是 NGO", {"li", "ana"}),
        ("兴趣 不包含 气候", {"li", "ana"}),
        ("ＲＥＧＩＯＮ　ＩＮ　ｅｕｒｏｐｅ", {"ana"}),  # full width and case do not matter
        ("region = 华东 | 西南; language = zh", {"wang", "li"}),  # the surveys tab's style
        ("兴趣：乡村振兴, climate", {"li", "ana"}),
        ("", {"wang", "li", "ana"}),
        ("全部", {"wang", "li", "ana"}),
    ],
)
def test_filters_select_the_members_a_coordinator_means(text: str, expected: set[str]) -> None:
    assert selected(text) == expected


def test_a_member_without_a_join_date_never_matches_a_date_filter() -> None:
    audience = parse_audience("加入日期 晚于 2020-01-01")
    assert not audience.matches({"interests": "气候"}, TODAY)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("兴越 包含 气候", "未知字段“兴越”（可用：兴趣, 地区, 语言"),
        ("兴趣 气候", "“兴趣 气候”缺少比较词"),
        ("兴趣 包含", "“兴趣 包含”缺少取值"),
        ("语言 是 法语", "无法识别语言“法语”"),
        ("加入日期 晚于 明年", "“明年”不是日期"),
        ("地区 晚于 2024-01-01", "日期只能用"),
        ("兴趣 包含 气候 或 ", "一侧是空的"),
    ],
)
def test_a_bad_filter_says_what_is_wrong_in_the_coordinators_language(text: str, message: str) -> None:
    with pytest.raises(AudienceError) as err:
        parse_audience(text, "zh")
    assert message in str(err.value)


def test_english_errors_for_an_english_network() -> None:
    with pytest.raises(AudienceError, match=r"unknown field 'intrests' \(known: interests, region"):
        parse_audience("intrests contain climate", "en")


def test_a_bad_filter_in_the_events_tab_names_the_event_and_the_cell() -> None:
    header = ["event_id", "title", "start", "end", "timezone", "place", "audience"]
    grid = [
        header,
        ["good", "好活动", "2026-12-01 19:00", "21:00", "", "线上", "兴趣 包含 气候"],
        ["climate-talk", "气候讲座", "2026-12-02 19:00", "21:00", "", "线上", "兴越 包含 气候"],
    ]
    events, problems = parse_events(grid, EventsConfig(), "Events", "Asia/Shanghai", "zh", "network.xlsx")
    assert [e.event_id for e in events] == ["good"]
    [problem] = problems
    assert (problem.row, problem.cell, problem.event_id) == (3, "Events!G3", "climate-talk")
    assert problem.message().startswith("Events!G3 (event climate-talk): 邀请对象：未知字段“兴越”")
