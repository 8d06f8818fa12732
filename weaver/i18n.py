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
}


def t(key: str, lang: str = "en", **values: object) -> str:
    entry = CATALOGUE.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text


def field_label(field: str, lang: str) -> str:
    return t(f"field.{field}", lang) if f"field.{field}" in CATALOGUE else field
