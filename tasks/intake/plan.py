"""member-intake, plan (pure, no I/O): which submissions become rows (and where), which are known, which are
rejected. The rules are in `tasks/intake/intake.py`'s docstring.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid
from tasks.common.dates import parse_date
from tasks.common.prefect_task import task
from tasks.common.text import is_valid_email, normalise_email, normalise_text
from tasks.intake.intake import IntakePlan, Joiner, intake_key
from tasks.members.plan import locate_columns
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import field_label, t


def _existing_emails(grid: Grid, header_row: int, email_col: int) -> dict[str, int]:
    found: dict[str, int] = {}
    for offset, raw in enumerate(grid[header_row:]):
        if email_col < len(raw) and raw[email_col].strip():
            found.setdefault(normalise_email(raw[email_col]), header_row + offset + 1)
    return found


def _last_filled_row(grid: Grid, header_row: int) -> int:
    for index in range(len(grid) - 1, header_row - 1, -1):
        if any(str(cell).strip() for cell in grid[index]):
            return index + 1
    return header_row


def _clean(joiner: Joiner, wanted: Sequence[str], default_day: str) -> dict[str, str]:
    fields = {k: normalise_text(str(v)) for k, v in joiner.fields.items() if k in wanted and str(v).strip()}
    if "email" in fields:
        fields["email"] = normalise_email(fields["email"])
    if "joined" in wanted and not fields.get("joined") and default_day:
        fields["joined"] = default_day  # the day they joined is the day they submitted
    return fields


def _problem(fields: Mapping[str, str], required: Sequence[str], lang: str) -> str | None:
    for name in ("email", *required):
        if not fields.get(name):
            return t("reason.missing", lang, field=field_label(name, lang))
    if not is_valid_email(fields["email"]):
        return t("reason.invalid_email", lang)
    return None


def plan_intake(grid: Grid, config: WeaverConfig, joiners: Sequence[Joiner], source: str) -> IntakePlan:
    """Which submissions become new rows (and where), which are known members, which are rejected."""
    cfg, lang = config.members, config.network.default_language
    if not joiners:  # nothing waits: the tab need not even be read
        return IntakePlan(cfg.tab, [])
    if len(grid) < cfg.header_row:
        raise SourceError(f"{source}: tab {cfg.tab!r} has no header row {cfg.header_row}")
    layout = locate_columns(grid[cfg.header_row - 1], cfg, cfg.tab, source)
    emails = _existing_emails(grid, cfg.header_row, layout.field_cols["email"])
    next_row = _last_filled_row(grid, cfg.header_row) + 1
    plan = IntakePlan(cfg.tab, list(joiners))
    for joiner in joiners:
        fields = _clean(joiner, list(layout.field_cols), parse_date(joiner.submitted_at[:10]) or "")
        problem = _problem(fields, cfg.required, lang)
        if problem is not None:
            plan.rejected[joiner.entry_id] = problem
        elif fields["email"] in emails:
            plan.known[joiner.entry_id] = emails[fields["email"]]
        else:
            emails[fields["email"]] = plan.added[joiner.entry_id] = next_row
            cols = layout.field_cols
            plan.cells[intake_key(joiner.entry_id)] = [Cell(next_row, cols[k] + 1, v) for k, v in fields.items()]
            next_row += 1
    return plan


plan_intake_task = task(name="plan-member-intake", cache_policy=NO_CACHE)(plan_intake)
