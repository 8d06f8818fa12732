"""chat-prompts, report: what was posted to chat (by kind and title), what waits, what was missed."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.prompts.prompts import PromptPlan
from weaver.i18n import t
from weaver.ledger import Action, ApplyResult
from weaver.report import Report, Table
from weaver.summary import Summary

KINDS = ("prompt", "digest", "reminder")
SUMMARY_KEYS = ("questions", "digests", "reminders", "already_posted", "failed", "unknown", "waiting", "missed")


@dataclass(kw_only=True)
class PromptsSummary(Summary):
    questions: int
    digests: int
    reminders: int
    already_posted: int
    failed: int
    unknown: int
    waiting: int
    missed: int
    chat: str = ""


def summarise_prompts(plan: PromptPlan, result: ApplyResult, chat: str) -> PromptsSummary:
    kinds = [a.kind.removeprefix("chat-") for a in result.done]
    return PromptsSummary(
        questions=kinds.count("prompt"),
        digests=kinds.count("digest"),
        reminders=kinds.count("reminder"),
        already_posted=len(result.already_done),
        failed=len(result.failed),
        unknown=len(result.unknown),
        waiting=plan.waiting,
        missed=len(plan.missed),
        chat=chat,
    )


def build_prompts_report(plan: PromptPlan, result: ApplyResult, summary: PromptsSummary, lang: str,
                         dry_run: bool) -> Report:  # fmt: skip
    report = Report("chat-prompts", t("prompts.title", lang), lang)
    report.summary = [(t(f"prompts.s.{key}", lang), str(summary[key])) for key in SUMMARY_KEYS]
    if dry_run:
        report.notes.append(t("prompts.dry_run", lang))
    if plan.missed:
        report.notes.append(t("prompts.missed", lang, prompts=", ".join(plan.missed)))
    kind = {f"chat-{k}": t(f"prompts.kind.{k}", lang) for k in KINDS}
    cols = [t("prompts.col.kind", lang), t("prompts.col.message", lang), t("prompts.col.outcome", lang)]

    def first(a: Action) -> str:
        return str(a.payload["body"]).split("\n")[0]

    rows = [[kind[a.kind], first(a), t("prompts.posted", lang)] for a in result.done]
    rows += [[kind[a.kind], first(a), why] for a, why in result.failed]
    rows += [[kind[a.kind], first(a), t("prompts.would_post", lang)] for a in result.skipped]
    report.tables.append(Table(t("prompts.table", lang), cols, rows))
    report.tables.append(
        Table(t("prompts.problems", lang), [t("prompts.col.problem", lang)], [[p] for p in plan.problems])
    )
    return report
