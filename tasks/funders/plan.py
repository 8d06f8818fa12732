"""funder-stewardship, plan (pure, no I/O): which owner hears about which funder today, and the prep sheets.
Exactly what a dry run shows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.funders.funders import Funder, Funders, PipelineItem, of_funder
from weaver.config import WeaverConfig
from weaver.i18n import t

KINDS = ("contact", "report", "prep")


@dataclass(frozen=True)
class Nudge:
    kind: str  # contact (keep in touch), report (a report falls due), prep (a meeting soon)
    funder: Funder
    day: date  # when contact fell due, the report is due, the meeting is
    days: int  # days since contact fell due; days left before the report or the meeting
    step: int = 0  # the report threshold reached

    @property
    def key(self) -> str:
        tail = f":{self.step}" if self.kind == "report" else ""
        return f"funder-{self.kind}:{self.funder.fid}:{self.day.isoformat()}{tail}"


@dataclass
class FunderPlan:
    today: date
    funders: Funders
    nudges: list[Nudge] = field(default_factory=list)
    no_owner: list[Nudge] = field(default_factory=list)  # due, but the row names no owner to tell
    messages: list[Message] = field(default_factory=list)


def due_nudges(funder: Funder, today: date, report_days: tuple[int, ...], prep_days: int) -> list[Nudge]:
    out = []
    if funder.cadence is not None:
        due = funder.last_contact + timedelta(days=funder.cadence) if funder.last_contact else today
        if due <= today:
            out.append(Nudge("contact", funder, due, (today - due).days))
    if funder.report_due is not None:
        left = (funder.report_due - today).days
        reached = [d for d in report_days if 0 <= left <= d]
        if reached:
            out.append(Nudge("report", funder, funder.report_due, left, min(reached)))
    if funder.next_meeting is not None and 0 <= (funder.next_meeting - today).days <= prep_days:
        out.append(Nudge("prep", funder, funder.next_meeting, (funder.next_meeting - today).days))
    return out


def plan_funders(funders: Funders, pipeline: list[PipelineItem], fact_sheet: str, config: WeaverConfig,
                 today: date) -> FunderPlan:  # fmt: skip
    cfg = config.funders
    plan = FunderPlan(today, funders)
    for funder in funders.funders:
        for nudge in due_nudges(funder, today, cfg.report_days, cfg.prep_days):
            (plan.nudges if "@" in funder.owner else plan.no_owner).append(nudge)
    plan.messages = [_message(n, pipeline, fact_sheet, config) for n in plan.nudges]
    return plan


def _message(nudge: Nudge, pipeline: list[PipelineItem], fact_sheet: str, config: WeaverConfig) -> Message:
    lang = config.network.default_language
    f = nudge.funder
    items = of_funder(pipeline, f.name)
    context = {
        "network_name": config.network.name, "kind": nudge.kind, "funder": f.name, "day": nudge.day.isoformat(),
        "days": nudge.days, "last_contact": f.last_contact.isoformat() if f.last_contact else "",
        "cadence": f.cadence or 0, "notes": f.notes, "tab": config.funders.tab,
        "report_due": f.report_due.isoformat() if f.report_due else "",
        "open_items": [_item(i, lang) for i in items if i.open],
        "awards": [_item(i, lang) for i in items if i.stage == "awarded"],
        "fact_sheet": fact_sheet,
    }  # fmt: skip
    name = "funder_prep" if nudge.kind == "prep" else "funder_reminder"
    text = render(name, lang, context, default_language=lang)
    return Message(key=nudge.key, to_email=f.owner, to_name="", subject=text.subject, text=text.text,
                   html=text.html, language=text.language, member_id=None, purpose=f"funder_{nudge.kind}")  # fmt: skip


def _item(item: PipelineItem, lang: str) -> dict[str, str]:
    stage = t(f"stage.{item.stage}", lang) if item.stage else ""
    return {"title": item.title, "amount": item.amount, "stage": stage, "deadline": item.deadline}


plan_funders_task = task(name="plan-funder-stewardship", cache_policy=NO_CACHE)(plan_funders)
