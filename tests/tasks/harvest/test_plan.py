"""event-harvest's plan, pure: thanks once to who came, one reminder to who did not answer, Insights rows,
harvest pages (names, never ids; only consented quotes) and the newsletter offer at the close."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tasks.common.attendance import Attendance
from tasks.events.events import parse_events
from tasks.harvest.harvest import Answer, reminder_key, thanks_key, top_insights
from tasks.harvest.plan import insight_columns, insight_header, news_columns, plan_harvest
from tasks.harvest.read import HarvestRead
from weaver.config import WeaverConfig, load_config
from weaver.links import LinkSigner

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
HEADER = ["event_id", "title", "start", "end", "timezone", "place", "audience", "capacity", "language", "status",
          "description"]  # fmt: skip
GRID = [
    HEADER,
    ["fresh", "社区营造分享会 · Placemaking", "2026-11-22 19:00", "21:00", "Asia/Shanghai", "Chengdu", "", "", "",
     "确认", ""],
    ["stale", "Old meetup", "2026-10-01 19:00", "21:00", "Asia/Shanghai", "Chengdu", "", "", "", "确认", ""],
    ["closing", "Data clinic", "2026-10-25 14:00", "17:00", "Asia/Shanghai", "Online", "", "", "", "确认", ""],
    ["ahead", "Next week", "2026-12-01 19:00", "21:00", "Asia/Shanghai", "Online", "", "", "", "确认", ""],
    ["called-off", "Called off", "2026-11-21 19:00", "21:00", "Asia/Shanghai", "Online", "", "", "", "已取消", ""],
]  # fmt: skip
PEOPLE = {"m-1": ("张伟", "zh"), "m-2": ("Ana Garcia", "en"), "m-3": ("李娜", "zh"), "m-4": ("Omar Haddad", "en")}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> WeaverConfig:
    from demo.build import create_workspace

    ws = create_workspace(tmp_path_factory.mktemp("harvest") / "ws", today=date(2026, 11, 24))
    return load_config(ws / "weaver.toml")


def members() -> dict[str, dict]:
    return {m: {"member_id": m, "email": f"{m}@example.org", "fields": {"name": n, "language": lang}}
            for m, (n, lang) in PEOPLE.items()}  # fmt: skip


def came(event: str, *ids: str) -> list[Attendance]:
    return [Attendance(2, event, date(2026, 11, 22), m, "attended", False) for m in ids]


def read(config: WeaverConfig, **extra: object) -> HarvestRead:
    events, problems = parse_events(GRID, config.events, "Events", "Asia/Shanghai", "en", "test")
    assert problems == []
    base: dict = {"events": events, "attended": came("fresh", "m-1", "m-2") + came("stale", "m-3"),
                  "checkins": [{"event_id": "fresh", "member_id": "m-3"}, {"event_id": "ahead", "member_id": "m-4"}],
                  "members": members(), "sent": [], "answers": [], "insights": [], "news": []}  # fmt: skip
    return HarvestRead(**{**base, **extra})  # type: ignore[arg-type]


def answer(event: str, member: str, quote: str, consent: str, rating: int | None = 4, tag: str = "idea") -> Answer:
    return Answer(event, member, rating, tag, quote, consent, NOW - timedelta(hours=5))


SIGNER = LinkSigner(b"a test key of the network")


def test_who_came_to_a_finished_event_is_thanked_once_in_their_language(config: WeaverConfig) -> None:
    plan = plan_harvest(read(config), config, NOW, SIGNER)
    assert [f.event_id for f in plan.events] == ["fresh"]  # not too old, ahead, or cancelled
    assert plan.events[0].attendees == ["m-1", "m-2", "m-3"]  # the tab's rows and the check-in by link
    thanks = {m.key: m for m in plan.messages}
    assert sorted(thanks) == [thanks_key("fresh", m) for m in ("m-1", "m-2", "m-3")]
    assert all(m.purpose == "harvest_thanks" and "/l/harvest/" in m.text for m in thanks.values())
    assert "感谢您参加社区营造分享会" in thanks[thanks_key("fresh", "m-1")].subject
    assert thanks[thanks_key("fresh", "m-2")].subject.startswith("Thank you for coming")
    token = thanks[thanks_key("fresh", "m-2")].text.split("/l/harvest/")[1].split()[0]
    link = SIGNER.verify(token, "harvest", NOW)
    assert (link.subject, link.scope) == ("m-2", "fresh")
    assert [s["event_id"] for s in plan.snapshots] == ["fresh"]
    again = plan_harvest(read(config, sent=[(thanks_key("fresh", m), NOW) for m in ("m-1", "m-2", "m-3")]), config,
                         NOW + timedelta(hours=1), SIGNER)  # fmt: skip
    assert again.messages == []  # sent already: nothing to send, nothing for the approval gate to count


def test_one_reminder_after_the_thanks_only_to_who_has_not_answered(config: WeaverConfig) -> None:
    sent = [(thanks_key("fresh", m), NOW) for m in ("m-1", "m-2", "m-3")]
    answered = [answer("fresh", "m-1", "见到了做社区地图的伙伴", "name")]
    opened = {"fresh": NOW}  # the run that thanked them, as of its own clock (not the ledger's wall time)
    early = plan_harvest(read(config, sent=sent, answers=answered, opened=opened), config, NOW + timedelta(days=3),
                         SIGNER)  # fmt: skip
    assert early.messages == []
    due = plan_harvest(read(config, sent=sent, answers=answered, opened=opened), config, NOW + timedelta(days=4),
                       SIGNER)  # fmt: skip
    assert sorted(m.key for m in due.messages) == [reminder_key("fresh", "m-2"), reminder_key("fresh", "m-3")]
    assert all(m.purpose == "harvest_reminder" for m in due.messages)
    reminded = sent + [(reminder_key("fresh", m), NOW + timedelta(days=4)) for m in ("m-2", "m-3")]
    later = plan_harvest(read(config, sent=reminded, answers=answered, opened=opened), config, NOW + timedelta(days=8),
                         SIGNER)  # fmt: skip
    assert [m.key for m in later.messages] == [thanks_key("ahead", "m-4")]  # that one has ended by now


def test_answers_become_insight_rows_and_a_page_with_names_and_only_consented_quotes(config: WeaverConfig) -> None:
    answers = [answer("fresh", "m-1", "见到了做社区地图的伙伴", "name", 5, "connection"),
               answer("fresh", "m-2", "A toolkit for street surveys", "anonymous", 4, "resource"),
               answer("fresh", "m-3", "Too long, too hot", "no", 2, "other")]  # fmt: skip
    plan = plan_harvest(read(config, answers=answers), config, NOW, SIGNER)
    rows = {a.key: a.payload["values"] for a in plan.insights}
    assert sorted(rows) == ["insight:fresh:m-1", "insight:fresh:m-2", "insight:fresh:m-3"]
    first = rows["insight:fresh:m-1"]
    assert first["name"] == "张伟" and first["event"].startswith("社区营造分享会") and first["rating"] == "5"
    assert first["date"] == "2026-11-22" and first["quote"] == "见到了做社区地图的伙伴"
    pages = {a.payload["lang"]: a.payload["html"] for a in plan.pages}
    assert sorted(pages) == ["en", "zh"]
    for html in pages.values():
        assert "张伟" in html and "见到了做社区地图的伙伴" in html and "A toolkit for street surveys" in html
        assert "Ana Garcia" not in html and "Too long, too hot" not in html and "李娜" not in html
        assert "m-1" not in html and "m-2" not in html
    assert "一位参与者" in pages["zh"] and "a participant" in pages["en"] and "3.7" in pages["en"]
    same = plan_harvest(read(config, answers=answers), config, NOW + timedelta(hours=2), SIGNER)
    assert [a.key for a in same.pages] == [a.key for a in plan.pages]  # the same page: the ledger writes it once


def test_at_the_close_the_top_consented_insights_are_offered_to_the_newsletter_once(config: WeaverConfig) -> None:
    answers = [answer("closing", "m-1", "开放数据让社区看见自己", "name", 5),
               answer("closing", "m-2", "Short", "anonymous", 5),
               answer("closing", "m-3", "Not to be shared", "no", 5),
               answer("closing", "m-4", "A long and useful idea about data", "name", 3)]  # fmt: skip
    opened = {"closing": NOW - timedelta(days=20)}
    plan = plan_harvest(read(config, answers=answers, opened=opened, attended=came("closing", "m-1")), config,
                        NOW + timedelta(days=10), SIGNER)  # fmt: skip
    closing = next(f for f in plan.events if f.event_id == "closing")
    assert closing.status == "closed" and "closing" not in [s["event_id"] for s in plan.snapshots]
    assert not [m for m in plan.messages if ":closing:" in m.key]  # the harvest is over: no thanks, no reminder
    assert [a.key for a in plan.news] == ["harvest-news:closing"]
    values = plan.news[0].payload["values"]
    assert values["title_en"] == "What we learned at Data clinic" and values["status"] == "draft"
    assert values["summary_zh"].startswith("“开放数据让社区看见自己”（张伟）")
    assert "Not to be shared" not in values["summary_en"]
    assert "“Short”" in values["summary_en"] and "m-" not in values["summary_en"]
    assert [a.member_id for a in top_insights(closing.answers, 3)] == ["m-1", "m-2", "m-4"]


def test_rows_follow_the_tabs_own_headers() -> None:
    assert insight_columns([insight_header("zh")])["quote"] == 4
    assert insight_columns([["Quote", "event", "名字?"]]) == {"quote": 0, "event": 1}
    news = ["date", "title_en", "title_zh", "summary_en", "summary_zh", "link", "by", "status"]
    assert news_columns([news], "zh") == {"date": 0, "title_en": 1, "title_zh": 2, "summary_en": 3,
                                          "summary_zh": 4, "by": 6, "status": 7}  # fmt: skip
    assert news_columns([["标题", "简介", "状态"]], "zh") == {"title_zh": 0, "summary_zh": 1, "status": 2}
