"""asks-offers, plan: deterministic matching on a small network, a digest per week, opted-in members only."""

from __future__ import annotations

from datetime import date, timedelta

from tasks.asks_offers.matching import parse_ref
from tasks.asks_offers.plan import AsksPlan, plan_asks_offers
from tasks.members.plan import member_id_for
from weaver.config import WeaverConfig, parse_config

TODAY = date(2026, 11, 24)  # a Tuesday, ISO week 2026-W48
HEADERS = ["姓名", "邮箱", "兴趣", "地区", "语言", "机构", "同意接收邮件", "需求", "可提供", "需求与资源"]
VOCABULARY = [
    ["English", "中文", "Synonyms"],
    ["venue", "场地", "space, 会议室"],
    ["funding", "资金", "grant, 经费"],
    ["mentoring", "辅导", "mentor, 指导"],
    ["climate", "气候", ""],
]
NETWORK = [
    # name, email, interests, region, language, organisation, consent, needs, offers, opted in
    ["李娜", "li.na@example.cn", "气候", "华东", "zh", "绿色未来协会", "是", "需要一个办工作坊的场地、经费", "", "是"],
    ["Ana García", "ana@example.org", "climate", "Europe", "en", "Commons Lab", "yes", "", "meeting space", "yes"],
    ["王伟", "wang.wei@example.cn", "教育", "华东", "zh", "", "是", "", "会议室, 指导", "是"],
    ["Ben Smith", "ben@example.org", "arts", "Europe", "en", "", "yes", "mentor", "grant writing help", "yes"],
    ["张静", "zhang.jing@example.cn", "气候", "华东", "zh", "", "是", "", "场地、资金", "否"],  # did not opt in
    ["刘强", "liu.qiang@example.cn", "气候", "华东", "zh", "", "", "", "场地", "是"],  # no yes to email
    ["Rosa Silva", "rosa@example.org", "arts", "Africa", "en", "", "yes", "legal advice", "", "yes"],
]


def config(**matching: object) -> WeaverConfig:
    cols = {"name": "姓名", "email": "邮箱", "interests": "兴趣", "region": "地区", "language": "语言",
            "organisation": "机构", "consent": "同意接收邮件", "needs": "需求", "offers": "可提供",
            "asks_offers": "需求与资源"}  # fmt: skip
    return parse_config({"network": {"default_language": "en", "name": "Test network"},
                         "tables": {"backend": "workbook", "path": "x.xlsx"}, "members": {"columns": cols},
                         "matching": matching})  # fmt: skip


def mid(email: str) -> str:
    return member_id_for(email)


def plan(ties: list = [], today: date = TODAY, network: list[list[str]] = NETWORK, **matching: object) -> AsksPlan:  # noqa: B006
    return plan_asks_offers([HEADERS, *network], VOCABULARY, ties, config(**matching), today, "test", "en")


def names(p: AsksPlan) -> list[tuple[str, str, str]]:
    return [(p.name(m.needer), p.name(m.offerer), m.need.key) for m in p.matches]


def test_needs_meet_offers_across_languages_deterministically() -> None:
    first = plan()
    # 李娜's venue need: 王伟 (same language and region) before Ana; her funding need: Ben's "grant" offer.
    # Ben's need of a mentor: 王伟 offers 指导 (王伟 already has one introduction, the limit is two).
    assert names(first) == [
        ("李娜", "王伟", "venue"),
        ("李娜", "Ben Smith", "funding"),
        ("Ben Smith", "王伟", "mentoring"),
    ]
    assert names(plan()) == names(first)  # the same on every run
    assert names(plan(per_offerer=1)) == [("李娜", "王伟", "venue"), ("李娜", "Ben Smith", "funding")]


def test_no_one_who_did_not_opt_in_is_read_listed_or_introduced() -> None:
    p = plan()
    assert sorted(x.name for x in p.people) == ["Ana García", "Ben Smith", "Rosa Silva", "李娜", "王伟"]
    outsiders = ("张静", "刘强", "zhang.jing", "liu.qiang")
    for message in p.messages:
        assert not any(o in message.text or o in message.html for o in outsiders), message.key
        assert message.to_email not in ("zhang.jing@example.cn", "liu.qiang@example.cn")
    assert all(o not in p.chat[0].payload["body"] for o in outsiders)


def test_one_digest_per_member_and_week_in_their_language() -> None:
    p = plan()
    digests = {m.to_email: m for m in p.digests}
    assert sorted(digests) == ["ana@example.org", "ben@example.org", "li.na@example.cn", "rosa@example.org",
                               "wang.wei@example.cn"]  # fmt: skip
    assert {m.key.rsplit(":", 1)[1] for m in p.digests} == {"2026-W48"}
    li = digests["li.na@example.cn"]
    assert li.language == "zh" and "场地" in li.text and "Ana García" in li.text
    assert "* 王伟" in li.text  # 王伟's offer meets her need: marked, and listed first
    assert "venue" in digests["rosa@example.org"].text  # the same term, in English for an English reader
    later_same_week = plan(today=TODAY + timedelta(days=5))
    assert {m.key for m in later_same_week.digests} == {m.key for m in p.digests}  # same keys: sent once a week
    next_week = plan(today=TODAY + timedelta(days=7))
    assert {m.key.rsplit(":", 1)[1] for m in next_week.digests} == {"2026-W49"}


def test_an_introduction_is_made_once_per_pair_and_need_and_followed_up() -> None:
    first = plan()
    ties = first.made({k for keys in first.match_keys.values() for k in keys})
    assert len(ties) == 3 and all(x.source == "match" for x in ties)
    # the next week: the same pairs and needs are never introduced again, and no need waits twice
    week2 = plan(ties, TODAY + timedelta(days=7))
    assert week2.matches == [] and week2.followups_due == []
    # after followup_days: "did you meet?" to the member with the need; a need may then meet another offer
    due = plan(ties, TODAY + timedelta(days=14))
    assert sorted(parse_ref(x.ref)[2] for x in due.followups_due) == ["funding", "mentoring", "venue"]
    asks = [m for m in due.messages if m.purpose == "match_followup"]
    assert sorted(m.to_email for m in asks) == ["ben@example.org", "li.na@example.cn", "li.na@example.cn"]
    assert names(due) == [("李娜", "Ana García", "venue")]  # her venue need, now to the next offer


def test_a_need_nobody_offers_is_listed_for_the_vocabulary() -> None:
    p = plan()
    assert p.unknown == {"legal advice": 1}
    intro = next(m for m in p.messages if m.purpose == "match_introduction" and m.to_email == "li.na@example.cn")
    assert intro.language == "zh" and "王伟" in intro.text and "场地" in intro.subject


def test_without_the_opt_in_column_no_one_takes_part() -> None:
    cfg = config()
    cols = {k: v for k, v in cfg.members.columns.items() if k != "asks_offers"}
    bare = cfg.model_copy(update={"members": cfg.members.model_copy(update={"columns": cols})})
    p = plan_asks_offers([HEADERS, *NETWORK], VOCABULARY, [], bare, TODAY, "test", "en")
    assert (p.people, p.messages, p.chat, p.opted_in_column) == ([], [], [], False)


def test_the_report_names_people_never_ids_and_lists_words_to_add() -> None:
    from tasks.asks_offers.report import build_asks_offers_report
    from tasks.common.delivery import Delivery
    from weaver.ledger import ApplyResult

    p = plan()
    report = build_asks_offers_report(p, Delivery(ApplyResult()), "zh", dry_run=False)
    intros, _planned, unknown = report.tables
    assert intros.rows[0] == ["场地", "李娜", "王伟"]
    assert unknown.rows == [["legal advice", "1"]] and "Vocabulary" in unknown.title
    assert not any("m-" in cell for table in report.tables for row in table.rows for cell in row)


def test_the_chat_post_lists_only_who_opted_in_once_a_week() -> None:
    [post] = plan().chat
    assert post.key == "chat:asks-offers:2026-W48"
    body = post.payload["body"]
    assert "• 李娜: needs venue, funding" in body and "• Ana García: offers venue" in body
    assert "张静" not in body and "刘强" not in body
    assert plan(chat=False).chat == []
