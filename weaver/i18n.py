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
}


def t(key: str, lang: str = "en", **values: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    return t(f"field.{field}", lang) if f"field.{field}" in CATALOGUE else field
