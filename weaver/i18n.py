"""Chinese and English as equals: every text a coordinator reads comes from this catalogue.

`t(key, lang, **values)` formats the text in the requested language, falling back to English.
Flows add their own keys next to the ones here.
"""

from __future__ import annotations

CATALOGUE: dict[str, dict[str, str]] = {
    # member-sync: sync status written into the members tab (an owned column)
    "status.ok": {"en": "synced", "zh": "已同步"},
    "status.duplicate": {"en": "duplicate of row {row}", "zh": "与第 {row} 行重复，已合并"},
    "status.quarantined": {"en": "quarantined: {reason}", "zh": "已隔离：{reason}"},
    # quarantine reasons
    "reason.missing": {"en": "{field} is missing", "zh": "缺少{field}"},
    "reason.invalid_email": {"en": "email is not a valid address", "zh": "邮箱格式无效"},
    "reason.invalid_date": {"en": "{field} is not a date", "zh": "{field}不是有效日期"},
    "reason.invalid_number": {"en": "{field} is not a number", "zh": "{field}不是有效数字"},
    # warnings (the row is kept)
    "warn.consent": {
        "en": "consent value not recognised: treated as no",
        "zh": "无法识别的同意值，按不同意处理",
    },
    "warn.language": {
        "en": "language not recognised: the network default is used",
        "zh": "无法识别的语言，使用网络默认语言",
    },
    "warn.id_reused": {
        "en": "member id already used by row {row}: a new id was given",
        "zh": "成员编号已被第 {row} 行使用，已分配新编号",
    },
    "warn.near_duplicate": {
        "en": "name looks like row {rows} (different email): check, not merged",
        "zh": "姓名与第 {rows} 行相似（邮箱不同）：请核对，未合并",
    },
    # field names as a coordinator sees them
    "field.name": {"en": "name", "zh": "姓名"},
    "field.email": {"en": "email", "zh": "邮箱"},
    "field.interests": {"en": "interests", "zh": "兴趣"},
    "field.region": {"en": "region", "zh": "地区"},
    "field.language": {"en": "language", "zh": "语言"},
    "field.organisation": {"en": "organisation", "zh": "机构"},
    "field.org_type": {"en": "organisation type", "zh": "机构类型"},
    "field.joined": {"en": "join date", "zh": "加入日期"},
    "field.consent": {"en": "consent", "zh": "同意接收"},
    "field.phone": {"en": "phone", "zh": "电话"},
    "field.fee": {"en": "membership fee", "zh": "会费"},
    "field.paid_until": {"en": "paid until", "zh": "会费缴至"},
    # member-sync report
    "sync.title": {"en": "Member sync", "zh": "成员同步"},
    "sync.dry_run": {"en": "Dry run: nothing was changed", "zh": "演练：未做任何更改"},
    "sync.rows_read": {"en": "Rows read", "zh": "读取行数"},
    "sync.blank": {"en": "Blank rows skipped", "zh": "跳过的空行"},
    "sync.valid": {"en": "Valid members", "zh": "有效成员"},
    "sync.merged": {"en": "Duplicate rows merged", "zh": "合并的重复行"},
    "sync.quarantined": {"en": "Rows quarantined", "zh": "隔离的行"},
    "sync.added": {"en": "Added", "zh": "新增"},
    "sync.changed": {"en": "Changed", "zh": "变更"},
    "sync.gone": {"en": "No longer in the sheet", "zh": "已从表格移除"},
    "sync.unchanged": {"en": "Unchanged", "zh": "未变"},
    "sync.cells": {"en": "Cells written back", "zh": "回写单元格"},
    "sync.warnings": {"en": "Warnings", "zh": "提醒"},
    "sync.quarantine_table": {"en": "Quarantined rows", "zh": "隔离的行"},
    "sync.warning_table": {"en": "Rows to check", "zh": "需要核对的行"},
    "col.row": {"en": "Row", "zh": "行"},
    "col.reason": {"en": "Reason", "zh": "原因"},
    "col.count": {"en": "Count", "zh": "数量"},
    "col.what": {"en": "What", "zh": "项目"},
    # --- group-mixer and the attendance tab (issue 10) ---------------------------------------------------
    "attendance.no_event": {"en": "event id is missing", "zh": "缺少活动编号"},
    "attendance.bad_date": {"en": "date is not a date", "zh": "日期无效"},
    "attendance.bad_status": {
        "en": "status not recognised (registered, attended, no-show, cancelled)",
        "zh": "状态无法识别（已报名、出席、缺席、取消）",
    },
    "attendance.not_member": {
        "en": "no synced member has this email or member id",
        "zh": "找不到此邮箱或成员编号对应的成员",
    },
    "mix.title": {"en": "Group mix", "zh": "活动分组"},
    "mix.dry_run": {"en": "Dry run: nothing was written or sent", "zh": "演练：未写入、未发送"},
    "mix.unknown_event": {
        "en": "event {event!r} is not in the attendance tab (events: {known}); give attendees to mix it anyway",
        "zh": "出席表中没有活动 {event!r}（已有：{known}）；如仍要分组，请提供参加者",
    },
    "mix.no_event": {
        "en": "no event with registrations in the attendance tab: give an event id and attendees",
        "zh": "出席表中没有已报名的活动：请提供活动编号和参加者",
    },
    "mix.no_members": {"en": "no synced members: run member-sync first", "zh": "尚无已同步的成员：请先运行成员同步"},
    "mix.role.facilitator": {"en": "facilitator", "zh": "主持人"},
    "mix.card.title": {"en": "Round {round} · Table {group}", "zh": "第 {round} 轮 · 第 {group} 桌"},
    "mix.card.topics": {"en": "You share", "zh": "共同关注"},
    "mix.card.heading": {"en": "Table cards: {event} ({date})", "zh": "桌卡：{event}（{date}）"},
    "mix.s.event": {"en": "Event", "zh": "活动"},
    "mix.s.date": {"en": "Date", "zh": "日期"},
    "mix.s.attendees": {"en": "People mixed", "zh": "参与分组人数"},
    "mix.s.rounds": {"en": "Rounds", "zh": "轮数"},
    "mix.s.sizes": {"en": "Group sizes", "zh": "每组人数"},
    "mix.s.seed": {"en": "Seed (same seed, same groups)", "zh": "随机种子（种子相同，分组相同）"},
    "mix.s.search": {"en": "Search", "zh": "搜索"},
    "mix.s.cells": {"en": "Cells written to the groups tab", "zh": "写入分组表的单元格"},
    "mix.s.emails": {"en": "Participant emails", "zh": "参加者邮件"},
    "mix.s.cards": {"en": "Table cards", "zh": "桌卡"},
    "mix.m.new_pairs": {"en": "Pairs meeting for the first time", "zh": "首次同组的两人组合"},
    "mix.m.repeat_pairs": {"en": "Pairs who had met before", "zh": "此前已相遇的组合"},
    "mix.m.history_repeats": {"en": "… met at an earlier occasion", "zh": "…… 在以往活动中相遇"},
    "mix.m.round_repeats": {"en": "… met in an earlier round", "zh": "…… 在本次前几轮已同组"},
    "mix.m.no_facilitator": {"en": "Groups without a facilitator", "zh": "没有主持人的小组"},
    "mix.m.imbalance": {
        "en": "Imbalance (0 = every group mirrors the room)",
        "zh": "不均衡度（0 = 每组与全场构成一致）",
    },
    "mix.t.metrics": {"en": "Our groups beside a random split of the same people", "zh": "本次分组与随机分组对比"},
    "mix.t.groups": {"en": "Groups (member ids)", "zh": "分组（成员编号）"},
    "mix.t.rejected": {"en": "Attendance rows not used", "zh": "未使用的出席记录"},
    "mix.t.notes": {"en": "Notes", "zh": "说明"},
    "col.ours": {"en": "Ours", "zh": "本次分组"},
    "col.random": {"en": "Random split", "zh": "随机分组"},
    "col.round": {"en": "Round", "zh": "轮次"},
    "col.group": {"en": "Group", "zh": "组"},
    "col.members": {"en": "Members", "zh": "成员"},
    "mix.notice.absent_in_constraint": {
        "en": "named in a constraint but not attending: {ids}",
        "zh": "约束中提到但未参加：{ids}",
    },
    "mix.notice.few_facilitators": {
        "en": "{facilitators} facilitators for {groups} groups: some groups have none",
        "zh": "{groups} 个小组只有 {facilitators} 位主持人：部分小组没有主持人",
    },
    "mix.notice.apart_impossible": {
        "en": "{count} pair meetings of people to keep apart could not be avoided",
        "zh": "有 {count} 次需分开的人不得不同组",
    },
    "mix.notice.unknown_attendee": {
        "en": "not a synced member, left out: {ids}",
        "zh": "不是已同步的成员，未参与分组：{ids}",
    },
    # --- engagement-review (issue 10) ---------------------------------------------------------------------
    "eng.col.engagement": {"en": "Engagement", "zh": "参与度"},
    "eng.col.last_active": {"en": "Last active", "zh": "最近活跃"},
    "eng.title": {"en": "Engagement review", "zh": "参与度回顾"},
    "eng.dry_run": {"en": "Dry run: nothing was written or sent", "zh": "演练：未写入、未发送"},
    "eng.reason.newcomer": {"en": "newcomer, not yet engaged", "zh": "新成员，尚未参与"},
    "eng.reason.drifting": {"en": "drifting away", "zh": "逐渐疏远"},
    "eng.reason.engaged": {"en": "engaged", "zh": "活跃"},
    "eng.reason.quiet": {"en": "never active", "zh": "从未参与"},
    "eng.s.members_scored": {"en": "Members scored", "zh": "已评分成员"},
    "eng.s.engaged": {"en": "Engaged", "zh": "活跃"},
    "eng.s.drifting": {"en": "Drifting away", "zh": "逐渐疏远"},
    "eng.s.newcomer": {"en": "Newcomers not yet engaged", "zh": "尚未参与的新成员"},
    "eng.s.quiet": {"en": "Never active (not new)", "zh": "从未参与（非新成员）"},
    "eng.s.checkins_assigned": {"en": "Check-ins assigned", "zh": "已分派的回访"},
    "eng.s.checkins_waiting": {"en": "Check-ins waiting (every weaver full)", "zh": "待分派的回访（织网人已满）"},
    "eng.s.introductions": {"en": "Introductions made", "zh": "促成的介绍"},
    "eng.s.followups_due": {"en": '"Did you meet?" asks due', "zh": "到期的“见面了吗？”回访"},
    "eng.s.followups_planned": {"en": '"Did you meet?" asks planned', "zh": "已计划的“见面了吗？”回访"},
    "eng.s.cells": {"en": "Cells written back", "zh": "回写单元格"},
    "eng.s.sources": {
        "en": "Records read (attendance rows, inbox RSVPs, inbox surveys, ties)",
        "zh": "读取的记录（出席行、收件箱报名、收件箱问卷、关系）",
    },
    "eng.s.emails": {"en": "Emails", "zh": "邮件"},
    "eng.s.export": {"en": "Tie graph for Kumu", "zh": "关系网络（Kumu 格式）"},
    "eng.t.weavers": {"en": "Check-ins per weaver", "zh": "各织网人的回访"},
    "eng.t.flagged": {"en": "Members to check in with", "zh": "需要回访的成员"},
    "eng.t.new_ties_month": {"en": "New ties per month", "zh": "每月新建立的关系"},
    "eng.t.new_ties_quarter": {"en": "New ties per quarter", "zh": "每季度新建立的关系"},
    "eng.t.followups": {"en": '"Did you meet?" asks planned', "zh": "已计划的“见面了吗？”回访"},
    "eng.t.rejected": {"en": "Attendance rows not used", "zh": "未使用的出席记录"},
    "col.weaver": {"en": "Weaver", "zh": "织网人"},
    "col.load": {"en": "Check-ins / capacity", "zh": "回访 / 上限"},
    "col.member": {"en": "Member", "zh": "成员"},
    "col.status": {"en": "Why", "zh": "原因"},
    "col.score": {"en": "Score", "zh": "分数"},
    "col.last_active": {"en": "Last active", "zh": "最近活跃"},
    "col.suggested": {"en": "Suggested", "zh": "建议活动"},
    "col.period": {"en": "Period", "zh": "时段"},
    "col.new_ties": {"en": "New ties", "zh": "新关系"},
    "col.by_source": {"en": "By how they met", "zh": "结识方式"},
    "col.introduction": {"en": "Introduction", "zh": "介绍"},
    "col.due": {"en": "Due", "zh": "到期"},
}


def t(key: str, lang: str = "en", **values: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    return t(f"field.{field}", lang) if f"field.{field}" in CATALOGUE else field
