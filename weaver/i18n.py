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
