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
    # --- event-invites (events, audience filters, RSVPs, calendar) -------------------------------------
    "audience.empty_part": {"en": "an 'or' or 'and' has nothing on one side", "zh": "“或”或“并且”的一侧是空的"},
    "audience.no_value": {"en": "'{clause}' has no value", "zh": "“{clause}”缺少取值"},
    "audience.date_op": {
        "en": "'{clause}': dates compare with since / before, and only join date or paid until are dates",
        "zh": "“{clause}”：日期只能用“晚于/早于”比较，且只有加入日期、会费缴至是日期",
    },
    "audience.bad_date": {
        "en": "'{value}' is not a date (e.g. 2024-01-01 or 90 days ago)",
        "zh": "“{value}”不是日期（例如 2024-01-01 或 90天前）",
    },  # fmt: skip
    "audience.bad_language": {
        "en": "'{value}' is not a language we know (zh or en)",
        "zh": "无法识别语言“{value}”（可用 中文 或 英文）",
    },  # fmt: skip
    "audience.unknown_field": {
        "en": "unknown field '{field}' (known: {known})",
        "zh": "未知字段“{field}”（可用：{known}）",
    },  # fmt: skip
    "audience.no_operator": {
        "en": "'{clause}' has no operator (use {ops})",
        "zh": "“{clause}”缺少比较词（可用 {ops}）",
    },  # fmt: skip
    # events tab problems (the cell is named by the caller)
    "event.no_id": {
        "en": "event id is missing (give each event a short id that never changes, e.g. 2026-12-climate)",
        "zh": "缺少活动编号（请为每个活动起一个固定不变的短编号，如 2026-12-climate）",
    },  # fmt: skip
    "event.bad_id": {
        "en": "event id must be one word without ':' (up to 100 characters)",
        "zh": "活动编号须为一个词，不含空格和“:”（最多 100 个字符）",
    },  # fmt: skip
    "event.id_reused": {"en": "event id already used by row {row}", "zh": "活动编号已被第 {row} 行使用"},
    "event.no_title": {"en": "title is missing", "zh": "缺少活动名称"},
    "event.bad_zone": {
        "en": "'{value}' is not a time zone (e.g. Asia/Shanghai, Europe/Berlin)",
        "zh": "“{value}”不是有效时区（如 Asia/Shanghai、Europe/Berlin）",
    },  # fmt: skip
    "event.bad_start": {
        "en": "start is not a date and time (e.g. 2026-12-01 19:00)",
        "zh": "开始时间需要日期和时刻（如 2026-12-01 19:00）",
    },  # fmt: skip
    "event.bad_end": {
        "en": "end is not a time or a date and time (e.g. 21:00)",
        "zh": "结束时间无效（如 21:00 或 2026-12-01 21:00）",
    },  # fmt: skip
    "event.end_before_start": {"en": "end is not after the start", "zh": "结束时间早于或等于开始时间"},
    "event.bad_audience": {"en": "audience: {problem}", "zh": "邀请对象：{problem}"},
    "event.no_audience_line": {
        "en": "no 'audience:' line in the description (write 'audience: all' for everyone)",
        "zh": "描述中没有“受众：”一行（邀请所有人请写“受众：全部”）",
    },  # fmt: skip
    "event.bad_capacity": {"en": "capacity is not a whole number above 0", "zh": "名额须为大于 0 的整数"},
    "event.bad_language": {
        "en": "language '{value}' not recognised (zh, en or both)",
        "zh": "无法识别语言“{value}”（中文、英文或双语）",
    },  # fmt: skip
    "event.bad_status": {
        "en": "status '{value}' not recognised (scheduled, cancelled or draft)",
        "zh": "无法识别状态“{value}”（可用：确认、取消、草稿）",
    },  # fmt: skip
    # messages about events
    "event.in_days": {"en": "in {n} days", "zh": "{n} 天后"},
    "event.tomorrow": {"en": "tomorrow", "zh": "明天"},
    "event.in_hours": {"en": "in {n} hours", "zh": "{n} 小时后"},
    "event.held_in.zh": {"en": "Chinese", "zh": "中文"},
    "event.held_in.en": {"en": "English", "zh": "英文"},
    "event.dear_member": {"en": "friend", "zh": "朋友"},
    "calendar.deadline": {"en": "Deadline", "zh": "截止"},
    "chat.new": {"en": "New event: {title}", "zh": "新活动：{title}"},
    "chat.changed": {"en": "Changed: {title}", "zh": "活动变更：{title}"},
    "chat.cancelled": {"en": "Cancelled: {title}", "zh": "活动取消：{title}"},
    # RSVPs
    "rsvp.tab_row": {"en": "{tab} row {row}", "zh": "{tab} 第 {row} 行"},
    "rsvp.inbox_row": {"en": "inbox {id}", "zh": "收件箱 {id}"},
    "rsvp.unknown_event": {"en": "no event with id '{event}'", "zh": "没有编号为“{event}”的活动"},
    "rsvp.unknown_member": {
        "en": "no active member with this email or member id",
        "zh": "没有使用该邮箱或成员编号的在册成员",
    },  # fmt: skip
    "rsvp.unclear": {"en": "answer not recognised (yes, no or maybe)", "zh": "无法识别回复（参加、不参加或待定）"},
    # event-invites report
    "invites.title": {"en": "Event invitations and reminders", "zh": "活动邀请与提醒"},
    "invites.missing_tab": {
        "en": "Tab '{tab}' not found: nothing read from it",
        "zh": "未找到工作表“{tab}”，未从中读取",
    },  # fmt: skip
    "invites.events": {"en": "Events read", "zh": "读取的活动"},
    "invites.rejected": {"en": "Events with a problem (not sent)", "zh": "有问题的活动（未发送）"},
    "invites.sent.invite": {"en": "Invitations", "zh": "邀请"},
    "invites.sent.update": {"en": "Updates (time or place changed)", "zh": "变更通知（时间或地点变更）"},
    "invites.sent.cancel": {"en": "Cancellations", "zh": "取消通知"},
    "invites.sent.reminder": {"en": "Reminders", "zh": "提醒"},
    "invites.sent.seat_confirmed": {"en": "Places confirmed", "zh": "报名成功通知"},
    "invites.sent.seat_waitlisted": {"en": "Waiting-list notices", "zh": "候补通知"},
    "invites.already_sent": {"en": "Already sent earlier", "zh": "此前已发送"},
    "invites.suppressed": {"en": "Not sent (no consent or unsubscribed)", "zh": "未发送（未同意或已退订）"},
    "invites.failed": {"en": "Failed", "zh": "失败"},
    "invites.outcome_unknown": {"en": "Outcome unknown (check before resending)", "zh": "结果未知（重发前请核对）"},
    "invites.rsvps_read": {"en": "RSVPs read", "zh": "读取的回复"},
    "invites.rsvps_unusable": {"en": "RSVPs that could not be used", "zh": "无法使用的回复"},
    "invites.waitlisted": {"en": "On waiting lists", "zh": "候补人数"},
    "invites.chat_posts": {"en": "Chat announcements", "zh": "群聊公告"},
    "invites.calendar_file": {"en": "calendar.ics", "zh": "calendar.ics 日历文件"},
    "invites.events_table": {"en": "Events", "zh": "活动"},
    "invites.problems_table": {"en": "Events with a problem", "zh": "有问题的活动"},
    "invites.rsvp_table": {"en": "RSVPs that could not be used", "zh": "无法使用的回复"},
    "invites.trouble_table": {"en": "Messages failed or with unknown outcome", "zh": "发送失败或结果未知的消息"},
    "invites.unknown": {"en": "outcome unknown: the run stopped while sending", "zh": "结果未知：发送过程中运行中断"},
    "invites.col.change": {"en": "Change", "zh": "变化"},
    "invites.col.start": {"en": "Start", "zh": "开始时间"},
    "invites.col.audience": {"en": "Audience", "zh": "邀请对象人数"},
    "invites.col.seats": {"en": "Confirmed (waiting)", "zh": "已确认（候补）"},
    "invites.col.cell": {"en": "Cell", "zh": "单元格"},
    "invites.col.where": {"en": "Where", "zh": "位置"},
    "invites.change.new": {"en": "new", "zh": "新活动"},
    "invites.change.changed": {"en": "time or place changed", "zh": "时间或地点变更"},
    "invites.change.unchanged": {"en": "unchanged", "zh": "无变化"},
    "invites.change.cancelled": {"en": "cancelled now", "zh": "本次取消"},
    "invites.change.cancelled earlier": {"en": "cancelled", "zh": "已取消"},
    "invites.change.past": {"en": "past", "zh": "已结束"},
    "invites.change.draft": {"en": "draft (not sent)", "zh": "草稿（不发送）"},
}


def t(key: str, lang: str = "en", **values: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    return t(f"field.{field}", lang) if f"field.{field}" in CATALOGUE else field
