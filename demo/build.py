"""The embedded demo network: a realistic, messy members workbook and the other tabs.

Deterministic for a seed and a date, so tests and the demo see the same network. Later operations add a
tab builder to `TAB_BUILDERS` (a function that fills one tab of the workbook).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from weaver.errors import WeaverError

HERE = Path(__file__).parent
WORKBOOK = "network.xlsx"

MEMBER_HEADERS = ["姓名", "邮箱 ", "兴趣  ", "地区", "语言", "机构", "机构类型", "加入日期", "同意接收邮件", "电话",
                  "时区", "会费", "会费缴至", "备注", "公开名录"]  # fmt: skip  # trailing spaces on purpose: real sheets have them
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "秀英",
         "霞", "平", "刚", "桂英", "晓东", "思远", "雨桐", "子涵", "嘉怡", "浩然"]  # fmt: skip
PINYIN = {"王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang",
          "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu",
          "郭": "guo", "何": "he", "林": "lin", "罗": "luo", "高": "gao"}  # fmt: skip
FIRST = ["Ana", "Ben", "Chloe", "David", "Elena", "Farah", "George", "Hana", "Ivan", "Julia", "Kofi", "Lena",
         "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yara"]  # fmt: skip
LAST = ["Garcia", "Smith", "Okafor", "Müller", "Rossi", "Kim", "Silva", "Nguyen", "Haddad", "Novak", "Patel",
        "Johansson", "Moreau", "Tanaka", "Mensah", "Costa"]  # fmt: skip
INTERESTS_ZH = [
    "气候",
    "教育",
    "公共卫生",
    "性别平等",
    "乡村振兴",
    "数据",
    "艺术",
    "社区营造",
    "可持续农业",
    "循环经济",
]
INTERESTS_EN = ["climate", "education", "public health", "gender equality", "open data", "arts", "housing",
                "circular economy", "food systems"]  # fmt: skip
REGIONS_ZH = ["华东", "华南", "华北", "西南", "西北", "东北", "华中", "港澳台"]
REGIONS_EN = ["Europe", "North America", "Southeast Asia", "Africa", "Latin America"]
ORG_TYPES = ["NGO", "基金会", "学术机构", "企业", "社区组织", "政府", "个人"]
ZONES_EN = ["Europe/Berlin", "America/New_York", "Asia/Singapore", "Africa/Nairobi", "Europe/London"]

# the public directory column: yes (the default fields), no, blank (not listed), or the fields a member allows
DIRECTORY_ANSWERS = ["是", "", "否", "姓名, 地区, 兴趣", "", "name, organisation", "yes", "", "地区, 兴趣"]

TabBuilder = Callable[[Workbook, random.Random, date], None]


def _member_row(rng: random.Random, i: int, today: date) -> list[object]:
    chinese = rng.random() < 0.65
    if chinese:
        surname = rng.choice(SURNAMES)
        given = rng.choice(GIVEN)
        name = surname + given
        email = f"{PINYIN[surname]}.{i:03d}@{rng.choice(['example.cn', 'ngo.example.org', 'mail.example.com'])}"
        interests = "、".join(rng.sample(INTERESTS_ZH, rng.randint(1, 3)))
        region, lang, zone = (
            rng.choice(REGIONS_ZH),
            rng.choice(["zh", "中文", "ZH", "zh-CN"]),
            "Asia/Shanghai",
        )
        org = (
            rng.choice(["北京", "上海", "成都", "广州", "昆明", "西安", "杭州"])
            + rng.choice(["绿色未来", "星火教育", "社区之家", "开放数据联盟", "乡土学堂"])
            + rng.choice(["协会", "中心", "基金会"])
        )
    else:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        email = f"{first.lower()}.{i:03d}@{rng.choice(['example.org', 'example.net', 'uni.example.edu'])}"
        interests = ", ".join(rng.sample(INTERESTS_EN, rng.randint(1, 3)))
        region, lang, zone = rng.choice(REGIONS_EN), rng.choice(["en", "English", "EN"]), rng.choice(ZONES_EN)
        org = (
            rng.choice(["Commons Lab", "Open Futures", "Climate Circle", "Civic Works"])
            + " "
            + rng.choice(["Foundation", "Network", "Collective"])
        )
    joined = today - timedelta(days=rng.randint(20, 1400))
    joined_cell: object = rng.choice([joined.isoformat(), f"{joined.year}/{joined.month}/{joined.day}",
                                      f"{joined.year}年{joined.month}月{joined.day}日", datetime(joined.year, joined.month, joined.day)])  # fmt: skip
    consent = rng.choice(["是", "是", "yes", "Yes", "是", "否", "no", ""])
    phone = rng.choice(
        [
            "",
            f"0{rng.randint(10, 99)}-{rng.randint(10000000, 99999999)}",
            f"013{rng.randint(100000000, 999999999)}",
        ]
    )
    fee = rng.choice(["", "", "200", "500", "1,000"])
    paid = (today + timedelta(days=rng.randint(-120, 300))).isoformat() if fee else ""
    listed = DIRECTORY_ANSWERS[i % len(DIRECTORY_ANSWERS)]  # not drawn from rng: the rest of the demo stays as it was
    return [name, email, interests, region, lang, org, rng.choice(ORG_TYPES), joined_cell, consent, phone, zone, fee, paid, "", listed]  # fmt: skip


def _add_mess(rows: list[list[object]], rng: random.Random, today: date) -> None:
    """The mess real sheets have; each kind once or twice, at fixed places."""
    ana = ["Ana García", "Ana.Garcia@Example.org", "climate, open data", "Europe", "es", "Commons Lab Network", "NGO",
           "2023-02-14", "yes", "", "Europe/Madrid", "", "", "", "name, organisation, interests"]  # fmt: skip
    rows[10] = ana
    rows[40] = [
        "Ana Garcia",
        " ana.garcia@example.org ",
        "education",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]
    rows[70] = ["ＡＮＡ ＧＡＲＣＩＡ", "ＡＮＡ．ＧＡＲＣＩＡ＠ＥＸＡＭＰＬＥ．ＯＲＧ", "climate", "", "en", "", "", "", "no", "", "", "", "", "", ""]  # fmt: skip
    rows[20][1] = ""  # a missing email
    rows[30][1] = "wang.fang@"  # invalid
    rows[50][1] = "li lei at example.org"  # invalid
    rows[60][7] = "明年"  # not a date: an optional field, so a warning on the row (the member is synced)
    rows[80][13] = '=HYPERLINK("https://weaving.example.org/profile/80","主页 profile")'  # formula-looking text
    rows[90][5] = '=HYPERLINK("https://example.org","Evil Corp")'
    rows[100][0], rows[101][0] = "张伟", "张 伟"  # near-duplicate names, different emails, same organisation
    rows[101][5] = rows[100][5]
    rows[110][8] = "maybe"  # consent not recognised: treated as no, flagged
    for k in range(12):  # newcomers of the last two weeks (onboarding welcomes them)
        rows[200 + k][7] = (today - timedelta(days=k + 1)).isoformat()
        rows[200 + k][8] = "是" if k % 4 else "yes"
    for blank in (150, 151, 230):
        rows[blank] = [""] * len(MEMBER_HEADERS)


def build_members(wb: Workbook, rng: random.Random, today: date, count: int = 300) -> None:
    sheet = wb.active
    sheet.title = "Members"
    sheet.append(MEMBER_HEADERS)
    rows = [_member_row(rng, i, today) for i in range(count)]
    _add_mess(rows, rng, today)
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # formula-looking text, as a coordinator pasted it


OPPORTUNITY_HEADERS = ["资助方", "项目名称", "金额", "币种", "阶段", "成功概率", "截止日期", "负责人", "下一步", "下一步日期",
                       "链接", "来源", "来源编号", "阶段起始", "备注"]  # fmt: skip
WEAVER, GRANTS, COORD = "weaver@weaving.example.org", "grants@weaving.example.org", "coordinator@weaving.example.org"


def _opportunity_rows(today: date) -> list[list[object]]:
    """A realistic pipeline: CNY, USD, EUR (and GBP without a rate), every stage, and some mess to report."""

    def d(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    return [
        ["南都公益基金会", "乡村教师社区支持计划", "300,000", "CNY", "撰写中", "60%", d(12), WEAVER, "完成预算表", d(-3),
         "https://funder.example.cn/nandu/2027-teachers", "", "", d(-20), "已与项目官员通话"],
        ["Ford Foundation", "Climate Justice Narratives", "50,000", "USD", "qualifying", "", d(40), GRANTS,
         "Call the program officer", d(5), "https://funder.example.org/ford/narratives", "", "", d(-10), ""],
        ["European Climate Foundation", "Youth climate storytelling in Asia", "40,000", "EUR", "writing", "40%", d(6),
         WEAVER, "Draft the theory of change", d(2), "https://funder.example.org/ecf/youth", "", "", d(-15), ""],
        ["阿里巴巴公益基金会", "数字公益能力建设", "¥500,000", "", "调研", "", d(2), COORD, "确认申请资格", d(1),
         "https://funder.example.cn/ali/digital", "", "", d(-5), "金额来自去年公告"],
        ["Open Society Foundations", "Civic data commons", "120000", "USD", "submitted", "", d(-20), GRANTS,
         "Wait for the decision", d(30), "https://funder.example.org/osf/data", "", "", d(-20), ""],
        ["腾讯公益慈善基金会", "社区营造伙伴计划", "200,000", "人民币", "已获批", "", d(-60), WEAVER, "提交中期报告",
         d(45), "", "", "", d(-40), "首笔款已到账"],
        ["British Council", "Creative connections", "15,000", "GBP", "research", "", d(75), COORD, "Read the call",
         d(10), "https://funder.example.org/bc/creative", "", "", d(-3), ""],
        ["爱德基金会", "可持续农业小额资助", "80,000", "CNY", "未获批", "", d(-90), COORD, "", "", "", "", "", d(-70), ""],
        ["Packard Foundation", "Ocean community grants", "$75k", "", "research", "", "", GRANTS,
         "Find a partner", d(-12), "https://funder.example.org/packard/ocean", "", "", d(-60), "no news since summer"],
        ["壹基金", "社区韧性项目", "150,000", "CNY", "资格评估", "20%", d(13), GRANTS, "整理往年报告", d(4),
         "https://funder.example.cn/one/resilience", "", "", d(-8), ""],
        ["南都公益基金会 ", "乡村教师社区支持计划", "300000", "CNY", "writing", "", d(12), WEAVER, "", "", "", "", "",
         "", "copied by mistake"],
        ["Skoll Foundation", "Systems change awards", "待定", "USD", "research", "", d(120), WEAVER, "", "", "", "", "",
         d(-2), ""],
        ["Global Fund for Community Foundations", "Shift the power grants", "25,000", "USD", "maybe", "", d(50), COORD,
         "", "", "", "", "", "", ""],
    ]  # fmt: skip


def build_opportunities(wb: Workbook, _rng: random.Random, today: date) -> None:
    sheet = wb.create_sheet("Opportunities")
    sheet.append(OPPORTUNITY_HEADERS)
    for row in _opportunity_rows(today):
        sheet.append(row)


def build_empty_tab(title: str, headers: list[str]) -> TabBuilder:
    def build(wb: Workbook, _rng: random.Random, _today: date) -> None:
        wb.create_sheet(title).append(headers)

    return build


EVENT_HEADERS = ["event_id", "title", "start", "end", "timezone", "place", "audience", "capacity", "language",
                 "status", "description"]  # fmt: skip
RSVP_HEADERS = ["活动编号", "邮箱", "回复", "提交时间", "备注"]


def _at(day: date, hour: int, minute: int = 0) -> str:
    return f"{day.isoformat()} {hour:02d}:{minute:02d}"


def build_events(wb: Workbook, _rng: random.Random, today: date) -> None:
    """Bilingual events around the build date: next week, in two days (reminders due), past, cancelled."""
    sheet = wb.create_sheet("Events")
    sheet.append(EVENT_HEADERS)
    week, soon, past, later = (today + timedelta(days=n) for n in (7, 2, -10, 14))
    sheet.append(
        [
            "climate-roundtable",
            "气候行动圆桌 · Climate Action Roundtable",
            _at(week, 19),
            "21:00",
            "Asia/Shanghai",
            "https://meet.example.org/climate-roundtable",
            "兴趣 包含 气候 或 兴趣 包含 climate",
            40,
            "双语",
            "确认",
            "各地伙伴分享社区气候行动的经验。Partners share what works in local climate action.",
        ]
    )
    sheet.append(
        [
            "open-data-clinic",
            "开放数据工作坊 · Open Data Clinic",
            _at(soon, 14),
            _at(soon, 17),
            "Asia/Shanghai",
            "https://meet.example.org/open-data-clinic",
            "兴趣 包含 数据, open data",
            12,
            "中文",
            "确认",
            "带上你的数据问题，一起动手解决。Bring a data question; we solve it together.",
        ]
    )
    sheet.append(
        [
            "placemaking-sharing",
            "社区营造分享会 · Placemaking Sharing Session",
            _at(past, 19),
            "21:00",
            "Asia/Shanghai",
            "成都市玉林街道社区之家 Yulin Community House, Chengdu",
            "兴趣 包含 社区营造",
            "",
            "中文",
            "确认",
            "",
        ]
    )
    sheet.append(
        [
            "rural-field-visit",
            "乡村振兴实地考察 · Rural Revitalisation Field Visit",
            _at(later, 9),
            "17:00",
            "Asia/Shanghai",
            "云南省大理州 Dali, Yunnan",
            "兴趣 包含 乡村振兴 并且 地区 属于 西南, 华中",
            20,
            "中文",
            "已取消",
            "",
        ]
    )
    sheet.append(
        [
            "berlin-commons-meetup",
            "Berlin Commons Meetup",
            _at(today + timedelta(days=20), 18, 30),
            "20:30",
            "Europe/Berlin",
            "Haus der Statistik, Berlin",
            "region in Europe; language is en",
            "",
            "en",
            "",
            "An evening with European members. 欧洲成员线下交流。",
        ]
    )


def build_rsvps(wb: Workbook, rng: random.Random, today: date) -> None:
    """Sign-ups from the RSVP form for the open data clinic: more yes than places, a no, one unknown address."""
    sheet = wb.create_sheet("RSVPs")
    sheet.append(RSVP_HEADERS)
    consenting = [r for r in wb["Members"].iter_rows(min_row=2, values_only=True)
                  if r[1] and r[8] in ("是", "yes", "Yes") and "@" in str(r[1])][:60]  # fmt: skip
    people = rng.sample(consenting, 16)
    answered = today - timedelta(days=1)
    for i, person in enumerate(people):
        answer = "不参加" if i == 5 else ("参加" if i % 3 else "yes")
        sheet.append(["open-data-clinic", str(person[1]).strip(), answer, _at(answered, 9, i * 3), ""])
    sheet.append(["open-data-clinic", "someone.new@example.net", "参加", _at(answered, 11), "not a member yet"])


def _attendance_rng() -> random.Random:
    # its own generator, so adding this tab never changes what the other builders generate
    return random.Random(1010)


def _member_emails(wb: Workbook) -> list[tuple[int, str]]:
    """(index, email) of the demo members with a usable email, in sheet order."""
    rows = list(wb["Members"].iter_rows(min_row=2, values_only=True))
    return [
        (i, str(r[1]).strip()) for i, r in enumerate(rows) if r[1] and "@" in str(r[1]) and " " not in str(r[1]).strip()
    ]


def build_attendance(wb: Workbook, _rng: random.Random, today: date) -> None:
    """Six past gatherings (who came) and the next one (who registered, with facilitators).

    A simple stand-in for an events system: group-mixer mixes the next event's registrations and
    engagement-review reads attendance from here. Some members come often, some came once and drifted.
    """
    rng = _attendance_rng()
    sheet = wb.create_sheet("Attendance")
    sheet.append(["event_id", "date", "email", "status", "role"])
    people = [(i, e) for i, e in _member_emails(wb) if not 200 <= i < 212]  # newcomers joined after these
    regulars = people[::3]  # come to most gatherings
    drifted = people[1::9]  # came early on, not since
    for k, days_ago in enumerate((170, 140, 110, 80, 50, 20)):
        day = today - timedelta(days=days_ago)
        crowd = {e for _, e in rng.sample(regulars, int(len(regulars) * 0.45))}
        crowd |= {e for _, e in rng.sample(people, 12)}
        if k < 2:
            crowd |= {e for _, e in drifted}
        for email in sorted(crowd):
            sheet.append(
                [f"evt-{day.isoformat()}", day.isoformat(), email, rng.choice(["attended"] * 12 + ["no-show"]), ""]
            )
    upcoming = today + timedelta(days=7)
    newcomers = [e for i, e in _member_emails(wb) if 200 <= i < 206]
    registered = sorted({e for _, e in rng.sample(regulars, 30)} | set(newcomers))
    leads = set(rng.sample(registered[:-6], 7))
    for email in registered:
        role = rng.choice(["facilitator", "主持人"]) if email in leads else ""
        sheet.append(
            [f"evt-{upcoming.isoformat()}", upcoming.isoformat(), email, rng.choice(["registered", "已报名"]), role]
        )


NEWS_HEADERS = ["date", "title_en", "title_zh", "summary_en", "summary_zh", "link", "by", "status"]
NEWS_ITEMS = [  # (days ago, English title, Chinese title, English summary, Chinese summary, link, by, status)
    (
        2,
        "Kunming river clean-up drew 120 volunteers",
        "昆明河道清洁行动吸引 120 名志愿者",
        "Members from five organisations mapped litter hotspots and shared the data openly.",
        "五家成员机构共同绘制垃圾热点地图，并公开共享数据。",
        "https://weaving.example.org/news/kunming-river",
        "昆明绿色未来协会",
        "publish",
    ),
    (
        5,
        "Open data toolkit now in Chinese",
        "开放数据工具包中文版上线",
        "The toolkit our data working group wrote is translated; feedback welcome.",
        "数据工作组编写的工具包已完成翻译，欢迎反馈。",
        "https://weaving.example.org/news/toolkit-zh",
        "Open Data Alliance 开放数据联盟",
        "publish",
    ),
    (
        8,
        "",
        "乡村学堂第二期招募导师",
        "",
        "面向西南地区的乡村教育项目正在招募志愿导师。",
        "https://weaving.example.org/news/rural-mentors",
        "成都乡土学堂中心",
        "",
    ),
    (
        11,
        "New members from Nairobi and Berlin",
        "",
        "Welcome to Civic Works Collective and Open Futures Network.",
        "",
        "",
        "Network team 网络秘书处",
        "publish",
    ),
    (
        13,
        "Draft: annual report outline",
        "草稿：年度报告提纲",
        "Not for publication yet.",
        "尚未发布。",
        "",
        "",
        "draft",
    ),
    (
        0,
        "Climate circle: notes from the last call",
        "气候小组：上次会议纪要",
        "Three members will co-write a regional adaptation brief.",
        "三位成员将合作撰写区域适应简报。",
        "javascript:alert(1)",
        "Climate Circle 气候小组",
        "publish",
    ),  # a bad link: the newsletter drops it, keeps the item
]


def build_news(wb: Workbook, _rng: random.Random, today: date) -> None:
    """Member news for the newsletter, in both languages (some items in one only), dated this month."""
    sheet = wb.create_sheet("News")
    sheet.append(NEWS_HEADERS)
    first = today.replace(day=1)
    for days, title_en, title_zh, summary_en, summary_zh, link, by, status in NEWS_ITEMS:
        day = max(first, today - timedelta(days=days))
        sheet.append([day.isoformat(), title_en, title_zh, summary_en, summary_zh, link, by, status])
    sheet.append(["", "", "", "", "", "", "", ""])
    sheet.append(["next week", "Undated item", "无日期条目", "", "", "", "", ""])  # reported with its row


SURVEY_HEADERS = ["survey_id", "title", "provider", "form_link", "token_field", "form", "audience", "opens", "closes",
                  "reminders", "segment_by", "responses_csv"]  # fmt: skip
DEMO_SURVEY = "checkin-2026"
DEMO_SURVEY_OPENED_DAYS_AGO = 4


def build_surveys(wb: Workbook, _rng: random.Random, today: date) -> None:
    """The yearly check-in, open since four days (a reminder due), and a climate survey not open yet."""
    sheet = wb.create_sheet("Surveys")
    sheet.append(SURVEY_HEADERS)
    opened = today - timedelta(days=DEMO_SURVEY_OPENED_DAYS_AGO)
    sheet.append([DEMO_SURVEY, "2026 年度成员问卷 Member check-in 2026", "google_forms",
                  "https://docs.google.com/forms/d/e/1FAIpQLSd-demo-weaving-checkin-2026/viewform", "entry.1048613",
                  "", "all", opened.isoformat(), (today + timedelta(days=10)).isoformat(), "3, 7, -1", "region",
                  f"survey-responses/{DEMO_SURVEY}.csv"])  # fmt: skip
    sheet.append(["climate-circle", "气候行动小组意向 Climate circle interest", "typeform",
                  "https://weaving-demo.typeform.com/to/ClImAtE1", "token", "climate-circle",
                  "interests = 气候 | climate", (today + timedelta(days=20)).isoformat(),
                  (today + timedelta(days=34)).isoformat(), "5", "language", ""])  # fmt: skip


# asks-offers: the zh/en vocabulary shared by interests, needs and offers, and three columns at the right of
# the members tab (needs, offers, and a yes to the weekly asks-and-offers digest), filled by their own random
# stream so nothing else in the demo changes.
VOCABULARY_ROWS = [
    ["English", "中文", "Synonyms"],
    ["venue", "场地", "space, meeting room, 会议室, 活动场地"],
    ["funding", "资金", "grant, grants, money, 经费, 资助"],
    ["mentoring", "辅导", "mentor, coaching, 指导, 导师"],
    ["volunteers", "志愿者", "volunteer, 义工"],
    ["translation", "翻译", "translator, 笔译, 口译"],
    ["design", "设计", "graphic design, 平面设计"],
    ["data analysis", "数据分析", "statistics, 统计"],
    ["legal advice", "法律咨询", "lawyer, 律师, 法律"],
    ["media", "媒体", "press, journalists, 传播, 宣传"],
    ["climate", "气候", "气候变化, climate change"],
    ["education", "教育", ""],
    ["open data", "开放数据", ""],
]
ASKS_OFFERS_HEADERS = ["需求", "可提供", "需求与资源周报"]
NEEDS_TYPED = ["场地", "venue", "经费", "funding", "需要导师", "a mentor for our new coordinator", "志愿者", "translation help",
          "想找一个办工作坊的场地", "help with data analysis", "法律咨询", "媒体报道", "website design", "an incubator"]  # fmt: skip
OFFERS_TYPED = ["会议室", "meeting room", "指导", "mentoring", "volunteers", "翻译", "graphic design", "统计",
           "律师朋友", "press contacts", "可以提供活动场地", "grant writing"]  # fmt: skip


def build_asks_offers(wb: Workbook, _rng: random.Random, _today: date) -> None:
    rng = random.Random(21)
    vocabulary = wb.create_sheet("Vocabulary")
    for row in VOCABULARY_ROWS:
        vocabulary.append(row)
    sheet = wb["Members"]
    first = sheet.max_column + 1
    for offset, header in enumerate(ASKS_OFFERS_HEADERS):
        sheet.cell(1, first + offset, header)
    for row in range(2, sheet.max_row + 1):
        if not sheet.cell(row, 2).value or rng.random() > 0.3:
            continue
        needs = "、".join(rng.sample(NEEDS_TYPED, rng.randint(0, 2)))
        offers = ", ".join(rng.sample(OFFERS_TYPED, rng.randint(0, 2)))
        opted = rng.choice(["是", "yes", "是", "否", ""])
        for offset, value in enumerate((needs, offers, opted)):
            if value:
                sheet.cell(row, first + offset, value)


PAYMENT_HEADERS = ["缴费日期", "邮箱", "金额", "币种", "流水号", "缴至", "备注"]


def _fee_members(wb: Workbook, today: date) -> list[tuple[str, int]]:
    """(email, days to paid-until) of demo members with a fee, a yes to email and a usable address."""
    rows = list(wb["Members"].iter_rows(min_row=2, values_only=True))
    out = []
    for i, email in _member_emails(wb):
        r = rows[i]
        if r[11] and r[12] and r[8] in ("是", "yes", "Yes") and not 200 <= i < 212:
            out.append((email, (date.fromisoformat(str(r[12])) - today).days))
    return out


def build_payments(wb: Workbook, _rng: random.Random, today: date) -> None:
    """Fees received: one member due in a few days paid yesterday (their reminders stop, a receipt goes out),
    one overdue member paid, an old payment (no receipt), a payer who is no member and a row to fix."""
    sheet = wb.create_sheet("Payments")
    sheet.append(PAYMENT_HEADERS)
    members = _fee_members(wb, today)
    soon = next(e for e, days in members if 3 <= days <= 25)
    late = next(e for e, days in members if -40 <= days <= -16)
    old = next(e for e, days in members if days > 200)
    day = today - timedelta(days=1)
    sheet.append([(today - timedelta(days=200)).isoformat(), old, "500", "CNY", "CMB-20260508-0193", "", ""])
    sheet.append([day.isoformat(), soon, "¥500", "", "CMB-20261123-0412", "", "转账备注：会费"])
    sheet.append([f"{day.year}/{day.month}/{day.day}", late, "1,000", "人民币", "", "", "微信转账"])
    sheet.append([day.isoformat(), "friend.of.network@example.net", "200", "CNY", "CMB-20261123-0420", "",
                  "a donor, not a member"])  # fmt: skip
    sheet.append([day.isoformat(), soon.upper(), "五百", "CNY", "", "", "amount in words: fix it"])


BUDGET_HEADERS = ["科目", "负责人", "预算金额", "币种", "期间", "资助来源", "备注"]
TRANSACTION_HEADERS = ["日期", "科目", "金额", "币种", "摘要", "流水号", "资助来源"]
TRAVEL, VENUES, WORKSHOPS, COMMS, EXCHANGE = ("差旅 Travel", "场地 Venues", "工作坊 Workshops", "通讯 Communications",
                                              "国际交流 International exchange")  # fmt: skip
COMMUNITY_GRANT = "腾讯公益 社区营造伙伴计划"


def _quarter(today: date) -> tuple[str, date]:
    q = (today.month - 1) // 3 + 1
    return f"{today.year} Q{q}", date(today.year, 3 * q - 2, 1)


def build_budget(wb: Workbook, _rng: random.Random, today: date) -> None:
    """This year's budget: lines per year and one for the quarter, in CNY and one in USD, one paid by a grant."""
    sheet = wb.create_sheet("Budget")
    sheet.append(BUDGET_HEADERS)
    quarter, _start = _quarter(today)
    year = str(today.year)
    sheet.append([VENUES, WEAVER, "60,000", "CNY", year, "", ""])
    sheet.append([TRAVEL, COORD, "40,000", "CNY", year, "", "含国内外差旅"])
    sheet.append([WORKSHOPS, WEAVER, "80,000", "CNY", year, COMMUNITY_GRANT, "由社区营造伙伴计划资助"])
    sheet.append([COMMS, GRANTS, "12,000", "CNY", quarter, "", "网站、设计、印刷"])
    sheet.append([EXCHANGE, COORD, "5,000", "USD", year, "", ""])
    sheet.append(["办公 Office", WEAVER, "9,000", "CNY", "全年", "", "period to fix"])


def build_transactions(wb: Workbook, _rng: random.Random, today: date) -> None:
    """Money in and out since January (money out negative): travel past 80%, communications past its quarter's
    budget, spending in USD (converted at the rate) and GBP (no rate), restricted grant income, two rows to fix."""
    sheet = wb.create_sheet("Transactions")
    sheet.append(TRANSACTION_HEADERS)
    jan1 = date(today.year, 1, 1)
    _label, q_start = _quarter(today)

    def d(days: int, floor: date = jan1) -> str:
        return max(floor, today - timedelta(days=days)).isoformat()

    rows = [
        [d(300), "", "100,000", "CNY", "社区营造伙伴计划 首笔款", "T-0001", COMMUNITY_GRANT],
        [d(280), VENUES, "-12,000", "CNY", "春季聚会场地", "T-0002", ""],
        [d(250), TRAVEL, "-8,600", "CNY", "西南走访 机票", "T-0003", ""],
        [d(220), WORKSHOPS, "-14,000", "CNY", "引导师费用", "T-0004", ""],
        [d(200), VENUES, "-15,000", "CNY", "年会场地", "T-0005", ""],
        [d(180), TRAVEL, "-11,200", "CNY", "年会差旅补贴", "T-0006", ""],
        [d(150), EXCHANGE, "-2,000", "USD", "Berlin exchange flights", "T-0007", ""],
        [d(140), WORKSHOPS, "-22,000", "CNY", "工作坊物料与场地", "T-0008", ""],
        [d(120), EXCHANGE, "-3,500", "CNY", "visa and insurance", "T-0009", ""],
        [d(100), VENUES, "-15,000", "CNY", "秋季聚会场地", "T-0010", ""],
        [d(90), EXCHANGE, "-300", "GBP", "London partner visit", "T-0011", ""],
        [d(60), TRAVEL, "-13,400", "CNY", "实地考察差旅", "T-0012", ""],
        [d(40, q_start), COMMS, "-7,800", "CNY", "网站改版", "T-0013", ""],
        [d(20, q_start), COMMS, "-4,800", "CNY", "年报设计印刷", "T-0014", ""],
        [d(15), "餐饮 Catering", "-1,200", "CNY", "会议茶歇", "T-0015", ""],
        [d(10), "", "-560", "CNY", "快递费", "T-0016", ""],
    ]
    for row in rows:
        sheet.append(row)


BANK_FOLDER = "bank/cmb"


def write_bank_export(directory: Path, today: date) -> Path:
    """A bank statement export (CSV, as China Merchants Bank writes one: two lines above the header, no ids)."""
    folder = directory / BANK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    jan1 = date(today.year, 1, 1)

    def d(days: int) -> str:
        return max(jan1, today - timedelta(days=days)).isoformat()

    lines = [
        "账号：6222 0000 1234 5678,示范编织网络",
        f"查询期间：{d(7)} 至 {d(1)}",
        "交易日期,交易摘要,支出金额,存入金额,余额",
        f"{d(6)},场地租金 十二月聚会,3000.00,,182340.00",
        f"{d(5)},机票 成都-昆明,1800.00,,180540.00",
        f"{d(4)},银行手续费,20.00,,180520.00",
        f"{d(3)},会费 转账,,500.00,181020.00",
        f"{d(2)},咖啡,35.00,,180985.00",
        f"{d(2)},咖啡,35.00,,180950.00",
    ]
    path = folder / f"statement-{today:%Y-%m}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


FUNDER_HEADERS = ["资助方", "负责人", "联系周期", "上次联系", "报告截止", "下次会面", "备注"]


def build_funders(wb: Workbook, _rng: random.Random, today: date) -> None:
    """Funders we steward: a contact overdue, reports coming due, a meeting in two days (a prep sheet), one row
    without an owner and one with a cadence nobody can read."""
    sheet = wb.create_sheet("Funders")
    sheet.append(FUNDER_HEADERS)

    def d(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    sheet.append(["腾讯公益慈善基金会", WEAVER, "每季度", d(-100), d(6), d(2), "中期报告：社区营造伙伴计划"])
    sheet.append(["Ford Foundation", GRANTS, "monthly", d(-10), "", d(20), "Program officer: call before the LOI"])
    sheet.append(["南都公益基金会", WEAVER, "60天", d(-70), d(25), "", "乡村教师项目年度报告"])
    sheet.append(["Open Society Foundations", GRANTS, "quarterly", d(-30), d(45), "", ""])
    sheet.append(["壹基金", "", "每月", "", "", "", "owner to be decided"])
    sheet.append(["Packard Foundation", COORD, "every so often", d(-200), "", "", ""])


PROPOSAL_HEADERS = ["proposal_id", "title_zh", "title_en", "text_zh", "text_en", "kind", "options", "audience",
                    "opens", "closes", "quorum"]  # fmt: skip
DECISION_HEADERS = ["提案编号", "提案", "类型", "截止", "参与人数", "已回复", "法定人数", "结果", "统计", "异议"]
OPEN_ROUND, CLOSED_ROUND = "climate-statement", "theme-2027"


def build_proposals(wb: Workbook, _rng: random.Random, today: date) -> None:
    """A consent round open since three days (closing in two: reminders due), a vote that closed yesterday,
    advice not open yet, and a row to fix."""
    sheet = wb.create_sheet("Proposals")
    sheet.append(PROPOSAL_HEADERS)

    def d(days: int) -> str:
        return (today + timedelta(days=days)).isoformat()

    sheet.append([OPEN_ROUND, "网络气候行动联合声明", "Joint climate action statement",
                  "气候小组起草了一份联合声明，拟以网络名义在年底发布。请表示同意、弃权或反对（反对请说明理由）。",
                  "The climate circle drafted a joint statement to publish in the network's name at the end of the "
                  "year. Please consent, stand aside or object (say why if you object).",
                  "consent", "", "兴趣 包含 气候 或 兴趣 包含 climate", d(-3), d(2), "30%"])  # fmt: skip
    sheet.append([CLOSED_ROUND, "2027 年度主题", "Theme for 2027", "请为网络 2027 年的年度主题投票。",
                  "Vote for the network's theme for 2027.", "投票",
                  "社区韧性 Community resilience; 开放数据 Open data; 乡村教育 Rural education", "all", d(-14), d(-1),
                  "10%"])  # fmt: skip
    sheet.append(["meeting-format", "年会形式", "Annual meeting format", "线上、线下还是混合？欢迎提出建议。",
                  "Online, in person or hybrid? Your advice is welcome.", "advice", "", "地区 属于 Europe", d(5), d(12),
                  ""])  # fmt: skip
    sheet.append(["budget-vote", "预算调整", "Budget change", "", "", "maybe", "", "all", d(-2), d(5), ""])


POST_HEADERS = ["编号", "发布时间", "渠道", "中文内容", "英文内容", "图片", "状态", "来源"]


def build_posts(wb: Workbook, _rng: random.Random, today: date) -> None:
    """The Posts tab: one approved post due on the demo day, one approved for later, one draft (social-posts)."""
    sheet = wb.create_sheet("Posts")
    sheet.append(POST_HEADERS)
    sheet.append(["welcome-winter", _at(today, 9), "",
                  "冬季活动季开始了！本月有开放数据工作坊、气候行动圆桌和柏林线下交流，欢迎报名。",
                  "Our winter season starts: an open data clinic, a climate roundtable and a Berlin meetup. Join us!",
                  "", "批准", ""])  # fmt: skip
    sheet.append(["member-stories", _at(today + timedelta(days=5), 10), "posts-zh",
                  "征集成员故事：你的社区项目最近有什么进展？", "", "", "批准", ""])  # fmt: skip
    sheet.append(["year-review", "", "", "年度回顾（草稿）", "Year in review (draft)", "", "草稿", ""])


PROMPT_HEADERS = ["编号", "日期", "中文问题", "英文问题", "状态"]


def build_prompts(wb: Workbook, _rng: random.Random, today: date) -> None:
    """The Prompts tab: this week's question of the week (posted by chat-prompts), next week's, and a draft."""
    sheet = wb.create_sheet("Prompts")
    sheet.append(PROMPT_HEADERS)
    sheet.append(["q-this-week", today.isoformat(), "这个月你在社区里学到了什么？",
                  "What did you learn from your community this month?", ""])  # fmt: skip
    sheet.append(["q-next-week", (today + timedelta(days=7)).isoformat(), "明年你最想和谁合作？",
                  "Who would you most like to work with next year?", ""])  # fmt: skip
    sheet.append(["q-idea", "", "（草稿）", "(draft)", "草稿"])


IDEA_HEADERS = ["idea_id", "title", "description", "proposed_by", "feasibility"]
IDEAS_ROUND = "ideas-2027"
IDEAS = [
    ("river-walk", "河流徒步与水质监测 River walk and water testing", "沿河徒步，一起做简单的水质检测。",
     "昆明绿色未来协会", "需要检测包（约 ¥800）和 2 名向导"),
    ("data-sprint", "开放数据冲刺 Open data sprint", "两天时间，把成员的数据整理成开放数据集。", "开放数据联盟",
     "场地可借用伙伴办公室；需 1 名数据导师"),
    ("story-night", "故事之夜 Story night", "成员轮流讲述社区项目的故事。", "Civic Works Collective", "成本低，线上线下皆可"),
    ("farm-visit", "生态农场参访 Eco-farm visit", "参访西南地区的可持续农场。", "成都乡土学堂中心",
     "交通费较高，需另寻资助"),
    ("mentor-lunch", "导师午餐会 Mentor lunch", "新成员与资深成员结对午餐。", "Network team 网络秘书处", ""),
]  # fmt: skip


def build_ideas(wb: Workbook, _rng: random.Random, _today: date) -> None:
    """Event ideas members proposed (a form or the coordinator typed them in), with feasibility notes."""
    sheet = wb.create_sheet("Ideas")
    sheet.append(IDEA_HEADERS)
    for row in IDEAS:
        sheet.append(list(row))
    sheet.append(["", "没有编号的点子 An idea without an id", "", "", ""])


def ideas_settings(today: date) -> str:
    """The demo's dot vote, dated around the day the workspace is made (appended to its weaver.toml)."""
    opens, closes = today - timedelta(days=8), today - timedelta(days=1)
    return (
        "\n# event-ideas: members spread dots over the Ideas tab by personal link; the top ideas become draft events\n"
        f'[ideas]\nround = "{IDEAS_ROUND}"\nopens = "{opens.isoformat()}"\ncloses = "{closes.isoformat()}"\n'
        'dots = 3                          # each member\'s dots\naudience = "all"\n'
        "shortlist = 3                     # the top ideas become draft rows of the Events tab\n"
    )


TAB_BUILDERS: list[TabBuilder] = [
    build_members,
    build_events,
    build_opportunities,
    build_surveys,
    build_news,
    build_posts,
    build_prompts,
    build_rsvps,
    build_attendance,
    build_empty_tab("Groups", ["event_id", "round", "group", "member_id", "name", "role"]),
    build_asks_offers,
    build_payments,
    build_budget,
    build_transactions,
    build_funders,
    build_proposals,
    build_empty_tab("Decisions", DECISION_HEADERS),
    build_empty_tab("Insights", ["活动编号", "活动", "日期", "标签", "引述", "同意分享", "姓名", "评分", "回答时间"]),
    build_ideas,
]


def build_workbook(path: Path, seed: int = 7, today: date | None = None) -> Path:
    rng = random.Random(seed)
    wb = Workbook()
    for builder in TAB_BUILDERS:
        builder(wb, rng, today or date.today())
    wb.save(path)
    return path


# `weaver init` flags -> (section, key) of weaver.toml: the network's own identity instead of the demo's.
IDENTITY_KEYS: dict[str, tuple[str, str]] = {
    "name": ("network", "name"),
    "postal_address": ("network", "postal_address"),
    "timezone": ("network", "timezone"),
    "language": ("network", "default_language"),
    "sender": ("mail", "from_address"),
    "sender_name": ("mail", "from_name"),
    "weaver_email": ("onboarding", "weaver_email"),
    "weaver_name": ("onboarding", "weaver_name"),
}


# Given as "" these are cleared rather than left as the demo's: a new network must never mail the demo's address.
CLEARABLE = frozenset({"postal_address"})


def personalise(config: Path, identity: Mapping[str, str]) -> None:
    """Set the network's own name, sender and weaver in a weaver.toml, keeping its comments and layout."""
    import json
    import re

    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    for flag, value in identity.items():
        if not value and flag not in CLEARABLE:
            continue
        section, key = IDENTITY_KEYS[flag]
        current = ""
        for i, line in enumerate(lines):
            header = re.match(r"^\[([^\]]+)\]\s*$", line)
            if header:
                current = header.group(1).strip()
            elif current == section and re.match(rf"^{key}\s*=", line):
                comment = re.search(r"\s+#.*$", line.rstrip("\n")) if line.count('"') == 2 else None
                lines[i] = f"{key} = {json.dumps(value, ensure_ascii=False)}{comment.group(0) if comment else ''}\n"
                break
        else:
            raise WeaverError(f"{config}: no {key} in [{section}] to set")
    config.write_text("".join(lines), encoding="utf-8")


def create_workspace(
    directory: Path, force: bool = False, today: date | None = None, identity: Mapping[str, str] | None = None
) -> Path:
    """A new workspace: weaver.toml from the demo template (with the network's own identity) and the demo
    workbook."""
    directory = Path(directory)
    config = directory / "weaver.toml"
    if config.exists() and not force:
        raise WeaverError(f"{config} exists already (use --force to overwrite the demo files)")
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HERE / "weaver.toml", config)
    if identity:
        personalise(config, identity)
    build_workbook(directory / WORKBOOK, today=today)
    write_bank_export(directory, today or date.today())
    with config.open("a", encoding="utf-8") as handle:
        handle.write(ideas_settings(today or date.today()))
    return directory
