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
    "invites.file.written": {"en": "written", "zh": "已更新"},
    "invites.file.unchanged": {"en": "unchanged", "zh": "无变化"},
    "invites.file.would write": {"en": "would be written", "zh": "将会更新"},
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
    # member-intake (issue 9): join-form submissions added to the members tab
    "intake.title": {"en": "Member intake from join forms", "zh": "入会表单登记"},
    "intake.submissions": {"en": "Join submissions", "zh": "入会表单提交"},
    "intake.added": {"en": "Added to the members tab", "zh": "已加入成员表"},
    "intake.already_added": {"en": "Added on an earlier run", "zh": "此前已加入"},
    "intake.already_members": {"en": "Already members (same email)", "zh": "已是成员（邮箱相同）"},
    "intake.rejected": {"en": "Rejected", "zh": "未受理"},
    "intake.unknown": {"en": "Outcome unknown (check the sheet)", "zh": "结果未知（请核对表格）"},
    "intake.added_table": {"en": "New rows", "zh": "新增的行"},
    "intake.known_table": {"en": "Already members", "zh": "已是成员"},
    "intake.rejected_table": {"en": "Rejected submissions", "zh": "未受理的提交"},
    "col.submission": {"en": "Submission", "zh": "提交编号"},
    # messaging: the approval gate (tasks/approval.py) ------------------------------------------------
    "approval.title": {"en": "Approve the {flow} send", "zh": "批准发送：{flow}"},
    "approval.explain": {
        "en": "Messages to {n} recipients are ready. Check the previews, then tick 'approve' and resume to send "
        "them; resume without ticking to send none.",
        "zh": "有发给 {n} 位收件人的邮件待发送。请先查看预览，勾选“approve”后继续运行即发送；不勾选继续运行则不发送。",
    },
    "approval.what": {"en": "What", "zh": "项目"},
    "approval.recipients": {"en": "Recipients", "zh": "收件人"},
    "approval.messages": {"en": "Messages", "zh": "邮件数"},
    "approval.templates": {"en": "Templates", "zh": "模板"},
    "approval.languages": {"en": "Languages", "zh": "语言"},
    "approval.previews": {"en": "Previews", "zh": "预览"},
    "approval.waiting": {
        "en": "{flow}: a send to {n} recipients waits for a coordinator's approval (resume this run in the UI)",
        "zh": "{flow}：发给 {n} 位收件人的邮件等待协调人批准（请在 Prefect 界面中继续此运行）",
    },
    "approval.under-threshold": {"en": "not needed ({n} recipients)", "zh": "无需批准（{n} 位收件人）"},
    "approval.auto-approved": {"en": "approved automatically ({n} recipients)", "zh": "已自动批准（{n} 位收件人）"},
    "approval.dry-run": {
        "en": "a real run would wait for approval ({n} recipients)",
        "zh": "正式运行时需要批准（{n} 位收件人）",
    },
    "approval.approved": {"en": "approved by a coordinator ({n} recipients)", "zh": "协调人已批准（{n} 位收件人）"},
    "approval.declined": {"en": "declined by a coordinator: nothing sent", "zh": "协调人未批准：未发送"},
    "approval.needs-approval": {
        "en": "a send to {n} recipients needs approval and nothing was sent: check {previews}, then run it from "
        "a deployment and approve it in the Prefect UI, or rerun with --param auto_approve=true",
        "zh": "发给 {n} 位收件人的邮件需要批准，未发送：请查看 {previews}，然后通过部署运行并在 Prefect 界面批准，"
        "或加上 --param auto_approve=true 重新运行",
    },
    # onboarding (tasks/onboarding.py) -----------------------------------------------------------------
    "onb.title": {"en": "Onboarding", "zh": "新成员入会"},
    "onb.newcomers": {"en": "Newcomers welcomed this run", "zh": "本次欢迎的新成员"},
    "onb.not_contacted_no_consent": {
        "en": "Newcomers not contacted (no consent to email)",
        "zh": "未联系的新成员（未同意接收邮件）",
    },
    "onb.buddies_matched": {"en": "Buddies matched", "zh": "已匹配伙伴"},
    "onb.no_buddy_found": {"en": "No buddy found (pick one by hand)", "zh": "未找到伙伴（请手动指定）"},
    "onb.welcomes_sent": {"en": "Welcome emails sent", "zh": "已发送欢迎邮件"},
    "onb.buddy_intros_sent": {"en": "Buddy introductions sent", "zh": "已发送伙伴介绍"},
    "onb.followups_sent": {"en": "Follow-ups sent", "zh": "已发送跟进邮件"},
    "onb.digests_sent": {"en": "Digests to the weaver", "zh": "发给网络协调人的摘要"},
    "onb.followups_planned": {"en": "Follow-ups planned", "zh": "已安排的跟进邮件"},
    "onb.table": {"en": "Newcomers and their buddies", "zh": "新成员及其伙伴"},
    "onb.col.newcomer": {"en": "Newcomer", "zh": "新成员"},
    "onb.col.buddy": {"en": "Buddy", "zh": "伙伴"},
    "onb.col.shared": {"en": "Shared", "zh": "共同点"},
    "onb.none": {"en": "none found", "zh": "未找到"},
    "onb.no_consent": {"en": "not contacted: no consent", "zh": "未联系：未同意接收邮件"},
    "onb.dry_run": {"en": "Dry run: nothing was sent or recorded", "zh": "演练：未发送、未记录任何内容"},
    "onb.first_run": {
        "en": "First run in this workspace: members who joined in the last {days} days count as new",
        "zh": "本工作区首次运行：最近 {days} 天内加入的成员视为新成员",
    },
    "onb.no_weaver": {
        "en": "No digest: set [onboarding] weaver_email to receive one",
        "zh": "未发送摘要：请设置 [onboarding] weaver_email",
    },
    "onb.approval": {"en": "Approval: {how}", "zh": "批准：{how}"},
    # member-facing fragments: what a newcomer shares with their buddy
    "onb.shared.interests": {"en": "an interest in {items}", "zh": "同样关注{items}"},
    "onb.shared.region": {"en": "the region {region}", "zh": "同在{region}"},
    "onb.shared.language": {"en": "the same language", "zh": "使用同一种语言"},
    "onb.list_sep": {"en": ", ", "zh": "、"},
    "onb.list_last": {"en": " and ", "zh": "、"},
    "onb.parts_sep": {"en": ", ", "zh": "，"},
    "onb.parts_last": {"en": " and ", "zh": "，"},
    "onb.kind.interests": {"en": "interests ({n})", "zh": "兴趣（{n}）"},
    "onb.kind.region": {"en": "region", "zh": "地区"},
    "onb.kind.language": {"en": "language", "zh": "语言"},
    # audience sync and newsletter (issue 6) ----------------------------------------------------------------
    "audience.pulled": {"en": "Audience contacts pulled from Mailchimp", "zh": "从 Mailchimp 拉取的联系人"},
    "audience.left_audience": {
        "en": "Left the audience (unsubscribed or cleaned)",
        "zh": "已退出受众（退订或地址失效）",
    },
    "audience.consent_marked": {"en": "Members whose consent was set to no", "zh": "同意状态改为不同意的成员"},
    "audience.to_push": {"en": "Members to push (new or changed)", "zh": "需推送的成员（新增或变更）"},
    "audience.pushed": {"en": "Pushed to the audience", "zh": "已推送到受众"},
    "audience.failed": {"en": "Pushes that failed", "zh": "推送失败"},
    "audience.would_push": {"en": "Would push (dry run)", "zh": "将推送（演练）"},
    "audience.calls": {"en": "Mailchimp calls", "zh": "Mailchimp 调用次数"},
    "audience.member": {"en": "Member", "zh": "成员"},
    "audience.consent_table": {"en": "Consent set from Mailchimp", "zh": "依据 Mailchimp 更新的同意状态"},
    "audience.failed_table": {"en": "Audience pushes that failed", "zh": "推送失败的成员"},
    "audience.consent_unmapped": {
        "en": "Some addresses left the Mailchimp audience, but [members.columns] maps no consent column, so the "
        "sheet cannot show it. They are on the suppression list: no flow emails them.",
        "zh": "部分地址已退出 Mailchimp 受众，但 [members.columns] 未映射同意列，表格无法显示。"
        "这些地址已加入屏蔽名单，任何流程都不会再给他们发邮件。",
    },
    "newsletter.title": {"en": "Newsletter {period}", "zh": "网络通讯 {period}"},
    "newsletter.preview": {
        "en": "Newsletter {period}: review before it goes out",
        "zh": "网络通讯 {period}：发送前预览",
    },
    "newsletter.period": {"en": "Period", "zh": "期号"},
    "newsletter.as_of": {"en": "Compiled as of", "zh": "编辑日期"},
    "newsletter.section.events": {"en": "Upcoming events", "zh": "近期活动"},
    "newsletter.section.opportunities": {"en": "Open opportunities", "zh": "开放机会"},
    "newsletter.section.news": {"en": "News items", "zh": "网络动态"},
    "newsletter.delivery": {"en": "Delivered by", "zh": "发送方式"},
    "newsletter.new_editions": {"en": "Editions issued now", "zh": "本次发布的版本"},
    "newsletter.earlier_editions": {"en": "Editions issued earlier", "zh": "此前已发布的版本"},
    "newsletter.sent": {"en": "Emails sent", "zh": "已发送邮件"},
    "newsletter.already_sent": {"en": "Already sent earlier", "zh": "此前已发送"},
    "newsletter.suppressed": {"en": "Not sent: no consent or unsubscribed", "zh": "未发送：未同意或已退订"},
    "newsletter.failed": {"en": "Failed", "zh": "失败"},
    "newsletter.outcome_unknown": {"en": "Outcome unknown (check the outbox)", "zh": "结果未知（请检查发件箱）"},
    "newsletter.would_send": {"en": "Would send (dry run)", "zh": "将发送（演练）"},
    "newsletter.other_language": {
        "en": "Skipped: had this issue in another language",
        "zh": "跳过：已收到另一语言版本",
    },
    "newsletter.campaigns_created": {"en": "Mailchimp campaigns ready", "zh": "已就绪的 Mailchimp 活动"},
    "newsletter.campaigns_sent": {
        "en": "Mailchimp campaigns sent or scheduled",
        "zh": "已发送或已排期的 Mailchimp 活动",
    },
    "newsletter.campaign": {"en": "Campaign action", "zh": "活动操作"},
    "newsletter.dry_run": {
        "en": "Dry run: previews written, nothing archived or sent",
        "zh": "演练：已生成预览，未归档、未发送",
    },
    "newsletter.earlier": {
        "en": "Already issued for this period ({langs}): the archived edition is used, no second issue is made.",
        "zh": "本期（{langs}）已发布：使用已归档的版本，不会再发第二期。",
    },
    "newsletter.missing_tab": {
        "en": "Tab '{tab}' not found: its section has nothing new.",
        "zh": "未找到工作表“{tab}”：该栏目本期无内容。",
    },
    "newsletter.missing_column": {
        "en": "Tab '{tab}' has no '{column}' column: its section has nothing new.",
        "zh": "工作表“{tab}”缺少“{column}”列：该栏目本期无内容。",
    },
    "newsletter.editions": {"en": "Editions", "zh": "各语言版本"},
    "newsletter.rejected": {"en": "Rows left out", "zh": "未采用的行"},
    "newsletter.col.lang": {"en": "Language", "zh": "语言"},
    "newsletter.col.subject": {"en": "Subject", "zh": "主题"},
    "newsletter.col.file": {"en": "File", "zh": "文件"},
    "newsletter.col.tab": {"en": "Tab", "zh": "工作表"},
    "newsletter.reason.no_title": {"en": "no title", "zh": "缺少标题"},
    "newsletter.reason.bad_date": {"en": "{column} is not a date", "zh": "{column} 不是有效日期"},
    # grant-pipeline ---------------------------------------------------------------------------------------
    "stage.research": {"en": "research", "zh": "调研"},
    "stage.qualifying": {"en": "qualifying", "zh": "资格评估"},
    "stage.writing": {"en": "writing", "zh": "撰写中"},
    "stage.submitted": {"en": "submitted", "zh": "已提交"},
    "stage.awarded": {"en": "awarded", "zh": "已获批"},
    "stage.declined": {"en": "declined", "zh": "未获批"},
    "grants.stale_cell": {"en": "{days} days in this stage", "zh": "本阶段已 {days} 天"},
    "grants.overdue_cell": {"en": "{days} days overdue", "zh": "逾期 {days} 天"},
    "grants.no_date": {"en": "no deadline", "zh": "无截止日期"},
    "grants.problem.missing": {"en": "funder or title is blank", "zh": "资助方或项目名称为空"},
    "grants.problem.no_stage": {"en": "stage is blank: counted as research", "zh": "阶段为空，按调研计算"},
    "grants.problem.stage": {
        "en": "stage not recognised (research, qualifying, writing, submitted, awarded, declined): not counted",
        "zh": "无法识别的阶段（调研、资格评估、撰写中、已提交、已获批、未获批），未计入",
    },
    "grants.problem.amount": {"en": "amount is not a number: not counted", "zh": "金额不是数字，未计入"},
    "grants.problem.currency": {"en": "currency not recognised: not counted", "zh": "无法识别的币种，未计入"},
    "grants.problem.no_currency": {"en": "amount has no currency: not counted", "zh": "金额缺少币种，未计入"},
    "grants.problem.probability": {
        "en": "probability is not 0-100 %: the stage's default is used",
        "zh": "成功概率不在 0-100% 之间，使用该阶段的默认值",
    },
    "grants.problem.deadline": {"en": "deadline is not a date", "zh": "截止日期不是有效日期"},
    "grants.problem.next_action_date": {"en": "next-action date is not a date", "zh": "下一步日期不是有效日期"},
    "grants.problem.owner": {"en": "owner is not an email address: no reminder", "zh": "负责人不是邮箱地址，无法提醒"},
    "grants.problem.duplicate": {
        "en": "same opportunity as row {row}: counted once",
        "zh": "与第 {row} 行是同一机会，只计一次",
    },
    "grants.title": {"en": "Grant pipeline", "zh": "资助项目进展"},
    "grants.dry_run": {"en": "Dry run: nothing was written or sent", "zh": "演练：未写入、未发送任何内容"},
    "grants.opportunities": {"en": "Opportunities in the pipeline", "zh": "进展表中的机会"},
    "grants.imported": {"en": "Imported this run", "zh": "本次导入"},
    "grants.known": {"en": "Found again (already in the sheet)", "zh": "再次找到（已在表中）"},
    "grants.removed": {"en": "Removed by a coordinator: not imported again", "zh": "已被协调人删除，不再导入"},
    "grants.duplicate": {"en": "Duplicates within the import", "zh": "导入中的重复项"},
    "grants.waiting": {"en": "Waiting for the next run (import limit)", "zh": "等待下次导入（数量上限）"},
    "grants.kept_edits": {"en": "Coordinator edits kept", "zh": "保留的协调人修改"},
    "grants.refreshed": {"en": "Cells updated from their source", "zh": "根据来源更新的单元格"},
    "grants.cells": {"en": "Cells written", "zh": "回写单元格"},
    "grants.stale": {"en": "Stale (unchanged for more than {days} days)", "zh": "停滞（超过 {days} 天未变）"},
    "grants.overdue": {"en": "Next actions overdue", "zh": "下一步已逾期"},
    "grants.due_soon": {"en": "Deadlines within {days} days", "zh": "{days} 天内截止"},
    "grants.digests": {"en": "Owner reminders sent", "zh": "已发送负责人提醒"},
    "grants.to_check": {"en": "Cells to check", "zh": "需核对的单元格"},
    "grants.awarded": {"en": "Awarded", "zh": "已获批资助"},
    "grants.pipeline": {"en": "Pipeline, weighted", "zh": "加权预期资助"},
    "grants.fees_expected": {"en": "Membership fees expected (12 months)", "zh": "预期会费收入（12 个月）"},
    "grants.fees_overdue": {"en": "Membership fees overdue", "zh": "逾期未缴会费"},
    "grants.fees_note": {
        "en": "Membership fees: {expected} members renew within 12 months (x {rate}), {overdue} are overdue, "
        "{undated} have a fee but no paid-until date (members tab as last synced).",
        "zh": "会费：{expected} 位成员将在 12 个月内续费（乘以 {rate}），{overdue} 位已逾期，"
        "{undated} 位有会费但没有缴至日期（以最近一次成员同步为准）。",
    },
    "grants.source_error": {
        "en": "{source}: nothing imported this run ({problem})",
        "zh": "{source}：本次未导入（{problem}）",
    },
    "grants.truncated": {
        "en": "Grants.gov: {found} of {total} hits read (page limit); narrow the keywords or raise max_pages",
        "zh": "Grants.gov：共 {total} 条，只读取了 {found} 条（页数上限）；请缩小关键词或提高 max_pages",
    },
    "grants.rates_note": {
        "en": "Converted into {base} at the configured rates ({rates}){when}. Amounts are never added across "
        "currencies without a rate.",
        "zh": "按配置的汇率（{rates}）折算为 {base}{when}。没有汇率的币种绝不相加。",
    },
    "grants.rates_when": {"en": ", checked {date}", "zh": "，汇率日期 {date}"},
    "grants.unconverted": {
        "en": "No rate for {currencies}: shown in their own currency, never added to other currencies.",
        "zh": "{currencies} 没有汇率：按原币种单独显示，不与其他币种相加。",
    },
    "grants.chart_stage": {"en": "Weighted pipeline by stage", "zh": "按阶段的加权金额"},
    "grants.chart_quarter": {"en": "Weighted pipeline by deadline quarter", "zh": "按截止季度的加权金额"},
    "grants.chart_income": {"en": "Income by source", "zh": "按来源的收入"},
    "grants.deadlines_table": {"en": "Deadlines in the next {days} days", "zh": "{days} 天内的截止日期"},
    "grants.imported_table": {"en": "Imported this run", "zh": "本次导入"},
    "grants.check_table": {"en": "Cells to check", "zh": "需核对的单元格"},
    "grants.edits_table": {
        "en": "Coordinator edits kept (the source has a different value)",
        "zh": "保留的协调人修改（来源的值不同）",
    },
    "grants.stage_table": {"en": "By stage", "zh": "按阶段"},
    "grants.quarter_table": {"en": "Weighted, by deadline quarter", "zh": "加权金额，按截止季度"},
    "grants.income_table": {"en": "Income by source", "zh": "按来源的收入"},
    "grants.stale_table": {"en": "Stale and overdue", "zh": "停滞与逾期"},
    "col.cell": {"en": "Cell", "zh": "单元格"},
    "col.funder": {"en": "Funder", "zh": "资助方"},
    "col.title": {"en": "Title", "zh": "项目名称"},
    "col.deadline": {"en": "Deadline", "zh": "截止日期"},
    "col.days": {"en": "Days", "zh": "天数"},
    "col.stage": {"en": "Stage", "zh": "阶段"},
    "col.source": {"en": "Source", "zh": "来源"},
    "col.amount": {"en": "Amount", "zh": "金额"},
    "col.weighted": {"en": "Weighted", "zh": "加权金额"},
    "col.in_base": {"en": "In {base}", "zh": "折合 {base}"},
    "col.quarter": {"en": "Quarter", "zh": "季度"},
    "col.field": {"en": "Field", "zh": "字段"},
    "col.note": {"en": "Note", "zh": "说明"},
    "digest.when_days": {"en": "in {days} days", "zh": "还有 {days} 天"},
    "digest.today": {"en": "today", "zh": "今天"},
    "digest.tomorrow": {"en": "tomorrow", "zh": "明天"},
    # --- surveys (survey-distribution) ---------------------------------------------------------------------
    # rejected rows of the surveys tab: the cell is named next to the reason
    "survey.missing_columns": {"en": "the tab has no column(s) {columns}", "zh": "缺少列：{columns}"},
    "survey.missing": {"en": "{column} is empty", "zh": "{column} 为空"},
    "survey.bad_id": {
        "en": "survey_id may hold only letters, digits, '-' and '_' (at most 64)",
        "zh": "问卷编号只能包含字母、数字、- 和 _（最多 64 个字符）",
    },
    "survey.duplicate_id": {"en": "survey_id {id} is used by an earlier row", "zh": "问卷编号 {id} 已被前面的行使用"},
    "survey.bad_link": {"en": "form_link is not an http(s) link", "zh": "表单链接不是 http(s) 链接"},
    "survey.bad_provider": {"en": "unknown provider (known: {known})", "zh": "无法识别的平台（可选：{known}）"},
    "survey.short_link": {
        "en": "a forms.gle short link cannot carry a prefilled token: use the full docs.google.com/forms link",
        "zh": "forms.gle 短链接无法预填令牌：请使用完整的 docs.google.com/forms 链接",
    },
    "survey.bad_entry": {
        "en": "token_field must be the prefill parameter entry.NNN (Google Forms: ⋮ > Get pre-filled link)",
        "zh": "令牌字段须为预填参数 entry.NNN（Google 表单：⋮ > 获取预填链接）",
    },
    "survey.bad_field": {
        "en": "token_field must be the hidden field's name (letters, digits, '-' and '_')",
        "zh": "令牌字段须为隐藏字段名（字母、数字、- 和 _）",
    },
    "survey.bad_date": {"en": "{column} is not a date", "zh": "{column} 不是有效日期"},
    "survey.closes_before_opens": {"en": "closes is before opens", "zh": "截止日期早于开始日期"},
    "survey.bad_reminder": {
        "en": "reminder {value!r} is not a whole number of days",
        "zh": "提醒 {value!r} 不是整数天数",
    },
    "survey.reminder_outside": {
        "en": "reminder {value} falls outside the days the survey is open",
        "zh": "提醒 {value} 不在问卷开放期内",
    },
    "survey.bad_audience": {
        "en": "audience clause {clause!r} is not 'field = value | value' with a member field",
        "zh": "对象条件 {clause!r} 应为「字段 = 值 | 值」，字段须为成员字段",
    },
    "survey.bad_segment": {"en": "segment_by must be a member field ({known})", "zh": "分组须为成员字段（{known}）"},
    # rejected responses
    "survey.no_answers": {"en": "the submission has no answers", "zh": "提交内容没有答案"},
    "survey.bad_payload": {"en": "the submission's {field} is malformed", "zh": "提交内容的 {field} 格式不正确"},
    "survey.csv_missing": {"en": "the file does not exist", "zh": "文件不存在"},
    "survey.csv_unreadable": {"en": "the file is not UTF-8 CSV text", "zh": "文件不是 UTF-8 CSV 文本"},
    "survey.csv_bad_time": {"en": "the timestamp {value!r} is not a date and time", "zh": "时间戳 {value!r} 无法识别"},
    "survey.no_forms_api": {
        "en": "survey {id}: a Google Forms id is set but [surveys.google_forms] is not configured: not polled",
        "zh": "问卷 {id}：设置了 Google 表单编号，但未配置 [surveys.google_forms]，未拉取回复",
    },
    "survey.inbox_unmatched": {
        "en": "{count} survey submission(s) in the inbox for form {form!r}, which no survey row names: left waiting",
        "zh": "收件箱中有 {count} 份表单 {form!r} 的问卷提交，没有问卷行对应：暂不处理",
    },
    "survey.no_token_question": {
        "en": "survey {id}: the Google Form has no token question ({field}, or one titled 'token'): "
        "its responses are anonymous",
        "zh": "问卷 {id}：Google 表单中没有令牌问题（{field}，或标题为 token 的问题）：回复均为匿名",
    },
    "survey.throwaway_key": {
        "en": "Dry run on a new workspace: the links in the previews use a temporary key",
        "zh": "在新工作区演练：预览中的链接使用临时密钥",
    },
    # the report
    "survey.title": {"en": "Surveys", "zh": "问卷"},
    "survey.dry_run": {"en": "Dry run: nothing was sent or recorded", "zh": "演练：未发送、未记录任何内容"},
    "survey.section": {"en": "{title} ({id})", "zh": "{title}（{id}）"},
    "survey.status": {"en": "Status", "zh": "状态"},
    "survey.status.open": {"en": "open", "zh": "进行中"},
    "survey.status.closed": {"en": "closed", "zh": "已截止"},
    "survey.status.upcoming": {"en": "not open yet", "zh": "尚未开始"},
    "survey.window": {"en": "Open", "zh": "开放时间"},
    "survey.audience": {"en": "Audience", "zh": "对象人数"},
    "survey.invited": {"en": "Invited", "zh": "已邀请"},
    "survey.responded": {"en": "Members who answered", "zh": "已回复成员"},
    "survey.anonymous": {"en": "Anonymous responses (no or unknown token)", "zh": "匿名回复（无令牌或令牌无效）"},
    "survey.rate": {"en": "Response rate", "zh": "回复率"},
    "survey.invites_sent": {"en": "Invitations sent now", "zh": "本次发出的邀请"},
    "survey.reminders_sent": {"en": "Reminders sent now", "zh": "本次发出的提醒"},
    "survey.reminder_due": {"en": "Reminder due", "zh": "当前提醒"},
    "survey.none": {"en": "none", "zh": "无"},
    "survey.not_sent": {
        "en": "Not sent (no consent, unsubscribed, failed or outcome unknown)",
        "zh": "未发送（未同意、已退订、失败或结果未知）",
    },
    "survey.new_responses": {"en": "Responses recorded now", "zh": "本次记录的回复"},
    "survey.by_segment": {"en": "Response rate by {segment}", "zh": "按{segment}的回复率"},
    "survey.question": {"en": "Question", "zh": "问题"},
    "survey.answer": {"en": "Answer", "zh": "答案"},
    "survey.distribution": {"en": "Answers to choice questions", "zh": "选择题答案分布"},
    "survey.free_text": {"en": "Free-text answers", "zh": "开放式回答"},
    "survey.free_text_note": {
        "en": "Free-text answers are in the report file only (they may name people).",
        "zh": "开放式回答仅在报告文件中显示（其中可能提到他人）。",
    },
    "survey.member": {"en": "Member", "zh": "成员"},
    "survey.anonymous_one": {"en": "anonymous", "zh": "匿名"},
    "survey.segment": {"en": "Segment", "zh": "分组"},
    "survey.blank_segment": {"en": "(not given)", "zh": "（未填写）"},
    "survey.rejected": {"en": "Rejected input", "zh": "被拒绝的输入"},
    "survey.where": {"en": "Where", "zh": "位置"},
    "survey.share": {"en": "Share", "zh": "占比"},
    "survey.count": {"en": "Answers", "zh": "回答数"},
}


def t(key: str, lang: str = "en", **values: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    return t(f"field.{field}", lang) if f"field.{field}" in CATALOGUE else field
