"""Surveys, pure logic: the tab, audiences, tokens and links, invitations and reminders."""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from tasks.surveys.plan import SurveyState, invite_key, plan_survey, reminder_key
from tasks.surveys.surveys import Network, Survey, member_token, parse_surveys, personal_link, token_index
from weaver.clock import Clock, network_clock

HEADER = ["survey_id", "title", "form_link", "token_field", "audience", "opens", "closes", "reminders", "segment_by"]
GFORM = "https://docs.google.com/forms/d/e/1FAIpQLSx/viewform"
NET = Network("示范网络 Demo", "zh")
SECRET = b"k" * 32


def row(**kw: str) -> list[str]:
    values = {"survey_id": "s1", "title": "年度问卷", "form_link": GFORM, "token_field": "entry.1048613",
              "audience": "all", "opens": "2026-11-20", "closes": "2026-12-04", "reminders": "3, 7, -1",
              "segment_by": "region"} | kw  # fmt: skip
    return [values[h] for h in HEADER]


def survey(**kw: str) -> Survey:
    tab = parse_surveys([HEADER, row(**kw)], "Surveys", "en")
    assert tab.rejected == []
    return tab.surveys[0]


def member(mid: str, lang: str = "zh", **fields: str) -> dict[str, object]:
    return {"member_id": mid, "email": f"{mid}@example.org", "fields": {"name": "张伟", "language": lang, **fields}}


def at(day: int, month: int = 11, hour: int = 9) -> datetime:
    """A moment on that day in the network's time zone (Shanghai, UTC+8)."""
    return datetime(2026, month, day, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


def on(day: int, month: int = 11, hour: int = 9) -> Clock:
    """The network's clock at that moment: planning's one "today"."""
    return network_clock("Asia/Shanghai", at(day, month, hour))


# the tab ----------------------------------------------------------------------------------------------------
def test_a_row_becomes_a_survey_with_its_reminder_days() -> None:
    s = survey()
    assert (s.provider, s.opens, s.closes) == ("google_forms", date(2026, 11, 20), date(2026, 12, 4))
    assert s.reminder_dates() == [date(2026, 11, 23), date(2026, 11, 27), date(2026, 12, 3)]


def test_chinese_headers_and_dates_are_read() -> None:
    header = ["问卷编号", "标题", "表单链接", "令牌字段", "对象", "开始", "截止", "提醒"]
    grid = [header, ["s1", "问卷", "https://tally.so/r/abc", "", "全部", "2026年11月20日", "2026/12/4", "3"]]
    [s] = parse_surveys(grid, "Surveys", "zh").surveys
    assert (s.provider, s.token_field, s.closes) == ("tally", "token", date(2026, 12, 4))


@pytest.mark.parametrize(
    ("change", "cell", "words"),
    [
        ({"closes": "next week"}, "Surveys!G2", "closes is not a date"),
        ({"form_link": "https://forms.gle/abc"}, "Surveys!C2", "forms.gle short link"),
        ({"token_field": "token"}, "Surveys!D2", "entry.NNN"),
        ({"reminders": "3, soon"}, "Surveys!H2", "'soon' is not a whole number"),
        ({"reminders": "30"}, "Surveys!H2", "outside the days the survey is open"),
        ({"audience": "region 华东"}, "Surveys!E2", "'region 华东'"),
        ({"audience": "hobby = 气候"}, "Surveys!E2", "'hobby = 气候'"),
        ({"closes": "2026-11-01"}, "Surveys!G2", "closes is before opens"),
        ({"survey_id": "年度 问卷"}, "Surveys!A2", "only letters, digits"),
        ({"title": ""}, "Surveys!B2", "title is empty"),
    ],
)
def test_a_bad_row_is_rejected_naming_its_cell(change: dict[str, str], cell: str, words: str) -> None:
    tab = parse_surveys([HEADER, row(**change), row(survey_id="ok")], "Surveys", "en")
    assert [s.survey_id for s in tab.surveys] == ["ok"]  # the other rows still run
    [rejected] = tab.rejected
    assert rejected.where == cell and words in rejected.reason


def test_a_repeated_survey_id_is_rejected_and_missing_columns_named() -> None:
    tab = parse_surveys([HEADER, row(), row()], "Surveys", "zh")
    assert len(tab.surveys) == 1 and tab.rejected[0].where == "Surveys!A3" and "s1" in tab.rejected[0].reason
    missing = parse_surveys([["survey_id", "title"], ["s1", "t"]], "Surveys", "en")
    assert missing.rejected[0].reason == "the tab has no column(s) form_link, opens, closes"


# audiences ----------------------------------------------------------------------------------------------------
def test_audience_filters_with_chinese_values_and_labels() -> None:
    s = survey(audience="地区 = 华东 | 华南; 兴趣: 气候")
    people = [member("m-1", region="华东", interests="气候、艺术"), member("m-2", region="华北", interests="气候"),
              member("m-3", region="华南", interests="教育"), member("m-4", region="ＨＵＡ", interests="")]  # fmt: skip
    assert [m["member_id"] for m in people if s.audience.matches(m["member_id"], m["fields"])] == ["m-1"]


def test_audience_all_takes_everyone() -> None:
    assert survey(audience="").audience.matches("m-1", {}) and survey(audience="全部").audience.matches("m-1", {})


# tokens and links ---------------------------------------------------------------------------------------------
def test_tokens_are_stable_distinct_and_map_back() -> None:
    a = member_token(SECRET, "s1", "m-1")
    assert a == member_token(SECRET, "s1", "m-1") and len(a) == 24
    assert len({a, member_token(SECRET, "s2", "m-1"), member_token(SECRET, "s1", "m-2"),
                member_token(b"other", "s1", "m-1")}) == 4  # fmt: skip
    assert token_index(SECRET, "s1", ["m-1", "m-2"])[a] == "m-1"


def test_google_forms_link_is_a_prefilled_link() -> None:
    link = personal_link(survey(form_link=GFORM + "?usp=sf_link&hl=zh"), "tok")
    parts = urlsplit(link)
    assert parts.path.endswith("/viewform")
    assert parse_qs(parts.query) == {"usp": ["pp_url"], "hl": ["zh"], "entry.1048613": ["tok"]}


def test_typeform_uses_a_hidden_field_and_tally_a_query_parameter() -> None:
    typeform = survey(form_link="https://acme.typeform.com/to/AbC", token_field="")
    assert personal_link(typeform, "tok") == "https://acme.typeform.com/to/AbC#token=tok"
    tally = survey(form_link="https://tally.so/r/wA1b", token_field="code")
    assert personal_link(tally, "tok") == "https://tally.so/r/wA1b?code=tok"


# invitations and reminders ------------------------------------------------------------------------------------
def sent(s: Survey, when: datetime, *members: str) -> dict[str, datetime]:
    return {invite_key(s.survey_id, m): when for m in members}


def test_invitations_go_to_the_audience_in_each_members_language() -> None:
    s = survey(audience="language = zh")
    plan = plan_survey(s, [member("m-1"), member("m-2", lang="en")], SurveyState(), SECRET, NET, on(21))
    [msg] = plan.invites
    assert (msg.key, msg.member_id, msg.language) == ("survey-invite:s1:m-1", "m-1", "zh")
    assert msg.subject == "邀请您填写：年度问卷"
    assert personal_link(s, member_token(SECRET, "s1", "m-1")).replace("&", "&amp;") in msg.html
    assert plan.reminders == []


def test_nothing_is_sent_before_opening_or_after_closing() -> None:
    s = survey()
    people = [member("m-1"), member("m-2")]
    state = SurveyState(sent(s, at(20), "m-1"))
    assert plan_survey(s, people, state, SECRET, NET, on(19, hour=23)).status == "upcoming"
    closed = plan_survey(s, people, state, SECRET, NET, on(5, month=12, hour=0))
    assert closed.status == "closed" and closed.invites == [] and closed.reminders == []
    last_day = plan_survey(s, people, state, SECRET, NET, on(4, month=12, hour=23))
    assert last_day.status == "open" and [m.member_id for m in last_day.invites] == ["m-2"]


def test_reminders_only_to_invited_members_who_have_not_answered() -> None:
    s = survey()
    people = [member("m-1"), member("m-2"), member("m-3", lang="en")]
    state = SurveyState(sent(s, at(20), "m-1", "m-2", "m-3"), responded=frozenset({"m-2"}))
    plan = plan_survey(s, people, state, SECRET, NET, on(24))
    assert [m.key for m in plan.reminders] == ["survey-reminder:s1:2026-11-23:m-1", "survey-reminder:s1:2026-11-23:m-3"]
    assert plan.reminders[1].subject == "Reminder: 年度问卷 (11 days left)"
    assert plan.invites == []


def test_only_the_latest_due_reminder_is_sent_and_never_twice() -> None:
    s = survey()
    state = SurveyState({**sent(s, at(20), "m-1"), reminder_key(s.survey_id, date(2026, 11, 27), "m-1"): at(27)})
    late = plan_survey(s, [member("m-1")], state, SECRET, NET, on(28))
    assert late.reminder_due == date(2026, 11, 27) and late.reminders == []  # the 23rd's is superseded, not sent late
    final = plan_survey(s, [member("m-1")], state, SECRET, NET, on(3, month=12))
    assert [m.key for m in final.reminders] == ["survey-reminder:s1:2026-12-03:m-1"]


def test_a_late_invitee_skips_the_reminder_already_due() -> None:
    s = survey()
    state = SurveyState({**sent(s, at(20), "m-1"), **sent(s, at(23, hour=10), "m-2")})
    plan = plan_survey(s, [member("m-1"), member("m-2")], state, SECRET, NET, on(24))
    assert [m.member_id for m in plan.reminders] == ["m-1"]
    assert [m.member_id for m in plan_survey(s, [member("m-2")], state, SECRET, NET, on(27)).reminders] == ["m-2"]
