"""newsletter, plan (pure): compile the period's issue, render an edition per language, and decide which
edition of each language goes out: the one archived for the period, unless there is none yet or a
coordinator asked to recompile it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from prefect.cache_policies import NO_CACHE

from tasks.common.prefect_task import task
from tasks.newsletter.compile import Edition, Issue, compile_issue, render_edition


@dataclass
class EditionPlan:
    editions: list[Edition]  # what goes out, one per language
    new: list[str] = field(default_factory=list)  # languages whose fresh edition this run would issue
    earlier: list[str] = field(default_factory=list)  # languages that go out as archived earlier
    replaced: list[str] = field(default_factory=list)  # languages whose archived edition a recompile replaces


def plan_editions(fresh: Sequence[Edition], archived: Mapping[str, Edition], recompile: bool = False) -> EditionPlan:
    """The archived edition stands (one issue per period) unless `recompile`; an identical one stands too."""
    plan = EditionPlan([])
    for edition in fresh:
        earlier = archived.get(edition.lang)
        if earlier is not None and (not recompile or earlier == edition):
            plan.editions.append(earlier)
            plan.earlier.append(edition.lang)
            continue
        plan.editions.append(edition)
        plan.new.append(edition.lang)
        if earlier is not None:
            plan.replaced.append(edition.lang)
    return plan


def render_editions(issue: Issue, languages: Sequence[str], network_name: str, unsubscribe: str) -> list[Edition]:
    return [render_edition(issue, lang, network_name, unsubscribe) for lang in languages]


compile_issue_task = task(name="compile-newsletter", cache_policy=NO_CACHE)(compile_issue)
render_editions_task = task(name="render-newsletter", cache_policy=NO_CACHE)(render_editions)
