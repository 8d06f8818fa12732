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
    # messaging: the approval gate (tasks/approval.py) ------------------------------------------------
    "approval.title": {"en": "Approve the {flow} send", "zh": "批准发送：{flow}"},
    "approval.explain": {
        "en": "{n} messages are ready. Check the previews, then tick 'approve' and resume to send them; "
        "resume without ticking to send none.",
        "zh": "有 {n} 封邮件待发送。请先查看预览，勾选“approve”后继续运行即发送；不勾选继续运行则不发送。",
    },
    "approval.what": {"en": "What", "zh": "项目"},
    "approval.recipients": {"en": "Messages", "zh": "邮件数"},
    "approval.templates": {"en": "Templates", "zh": "模板"},
    "approval.languages": {"en": "Languages", "zh": "语言"},
    "approval.previews": {"en": "Previews", "zh": "预览"},
    "approval.waiting": {
        "en": "{flow}: {n} messages wait for a coordinator's approval (resume this run in the Prefect UI)",
        "zh": "{flow}：{n} 封邮件等待协调人批准（请在 Prefect 界面中继续此运行）",
    },
    "approval.under-threshold": {"en": "not needed ({n} messages)", "zh": "无需批准（{n} 封）"},
    "approval.auto-approved": {"en": "approved automatically ({n} messages)", "zh": "已自动批准（{n} 封）"},
    "approval.dry-run": {
        "en": "a real run would wait for approval ({n} messages)",
        "zh": "正式运行时需要批准（{n} 封）",
    },
    "approval.approved": {"en": "approved by a coordinator ({n} messages)", "zh": "协调人已批准（{n} 封）"},
    "approval.declined": {"en": "declined by a coordinator: nothing sent", "zh": "协调人未批准：未发送"},
    "approval.needs-approval": {
        "en": "{n} messages need approval and nothing was sent: check {previews}, then run it from a deployment "
        "and approve it in the Prefect UI, or rerun with --param auto_approve=true",
        "zh": "{n} 封邮件需要批准，未发送：请查看 {previews}，然后通过部署运行并在 Prefect 界面批准，"
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
}


def t(key: str, lang: str = "en", **values: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    return t(f"field.{field}", lang) if f"field.{field}" in CATALOGUE else field
