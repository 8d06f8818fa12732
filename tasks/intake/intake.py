"""Member intake, pure logic: join-form submissions from the inbox -> new rows at the end of the members tab.

Rules a coordinator can rely on:

* A submission adds one row below the last filled row of the members tab, with the mapped columns only
  (`[members.columns]`), written as literal text (a value like `=HYPERLINK(...)` stays text).
* Each row is a ledger action keyed by the submission (`intake:<provider>:<id>`) and never retried: a rerun,
  a retry or a replayed webhook never adds a second row for one submission.
* Someone whose email is already in the tab (ignoring case and width) is not added again: the submission is
  marked processed with the row that holds them. Two submissions with one email in a batch add one row.
* A submission without the required fields or with an invalid email is rejected with the reason, and
  stays in the inbox as `failed`, visible in the report; nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from connectors.tables import Cell, Grid, TableBackend
from tasks.common.dates import parse_date
from tasks.common.text import is_valid_email, normalise_email, normalise_text
from tasks.members.plan import locate_columns
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import field_label, t
from weaver.ledger import Action, ApplyResult, Ledger, Outcome
from weaver.report import Report, Table
from weaver.state import StateDB
from weaver.state.submissions import INBOX_FAILED, PROCESSED, inbox_entries, inbox_mark


@dataclass(frozen=True)
class Joiner:
    """One join submission waiting in the inbox: its inbox id and the member fields it carries."""

    entry_id: str
    fields: Mapping[str, str]
    submitted_at: str = ""


@dataclass
class IntakePlan:
    tab: str
    joiners: list[Joiner]
    added: dict[str, int] = field(default_factory=dict)  # entry id -> the row it is written to
    known: dict[str, int] = field(default_factory=dict)  # entry id -> the row already holding that email
    rejected: dict[str, str] = field(default_factory=dict)  # entry id -> reason (no personal data)
    cells: dict[str, list[Cell]] = field(default_factory=dict)  # action key -> the row's cells

    @property
    def actions(self) -> list[Action]:
        """One non-idempotent action per new row: a crash between write and mark is reported, not redone."""
        return [
            Action(_key(entry), "sheet-append", f"add row {row} to {self.tab} ({entry})", {"row": row})
            for entry, row in self.added.items()
        ]


def _key(entry_id: str) -> str:
    return f"intake:{entry_id}"


def joiners_from(entries: Sequence[Mapping[str, Any]]) -> list[Joiner]:
    """Inbox rows (payload in the shape of `deployments.submissions`) -> joiners."""
    out: list[Joiner] = []
    for entry in entries:
        payload = entry.get("payload") or {}
        fields = dict(payload.get("fields") or {})
        for name in ("email", "name"):
            if payload.get(name) and not fields.get(name):
                fields[name] = payload[name]
        out.append(Joiner(entry["id"], fields, str(payload.get("submitted_at") or "")))
    return out


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
            plan.cells[_key(joiner.entry_id)] = [Cell(next_row, cols[k] + 1, v) for k, v in fields.items()]
            next_row += 1
    return plan


def apply_intake(plan: IntakePlan, tables: TableBackend, db: StateDB, dry_run: bool) -> ApplyResult:
    """Write the new rows in one batch through the ledger, then move the inbox entries on."""

    def write(batch: Sequence[Action]) -> list[Outcome]:
        tables.write_cells(plan.tab, [cell for action in batch for cell in plan.cells[action.key]])
        return [Outcome.success(f"row {action.payload['row']}") for action in batch]

    result = Ledger(db, "member-intake").apply(plan.actions, write, dry_run=dry_run)
    if not dry_run:
        _mark_inbox(plan, result, db)
    return result


def _mark_inbox(plan: IntakePlan, result: ApplyResult, db: StateDB) -> None:
    by_key = {_key(entry): entry for entry in plan.added}
    for action in (*result.done, *result.already_done):
        entry = by_key[action.key]
        inbox_mark(db, [entry], PROCESSED, f"added as row {plan.added[entry]}")
    for entry, row in plan.known.items():
        inbox_mark(db, [entry], PROCESSED, f"already a member (row {row})")
    for entry, reason in plan.rejected.items():
        inbox_mark(db, [entry], INBOX_FAILED, reason)


def load_joiners(db: StateDB, submission: str = "") -> list[Joiner]:
    """Join submissions not yet taken in: one by id, or all that wait."""
    return joiners_from(inbox_entries(db, "join", ids=[submission] if submission else ()))


def intake_summary(plan: IntakePlan, result: ApplyResult) -> dict[str, Any]:
    return {
        "submissions": len(plan.joiners),
        "added": len(result.done),
        "already_added": len(result.already_done),
        "already_members": len(plan.known),
        "rejected": len(plan.rejected),
        "unknown": len(result.unknown),
        "rows": sorted(plan.added[a.key.removeprefix("intake:")] for a in result.done),
    }


def build_intake_report(plan: IntakePlan, result: ApplyResult, lang: str, dry_run: bool) -> Report:
    s = intake_summary(plan, result)
    report = Report("member-intake", t("intake.title", lang), lang)
    labels = ("submissions", "added", "already_added", "already_members", "rejected", "unknown")
    report.summary = [(t(f"intake.{k}", lang), str(s[k])) for k in labels]
    if dry_run:
        report.notes.append(t("sync.dry_run", lang))
    cols = [t("col.submission", lang), t("col.row", lang)]
    done = {a.key.removeprefix("intake:") for a in (*result.done, *result.already_done, *result.skipped)}
    added = [[e, str(r)] for e, r in plan.added.items() if e in done]
    report.tables.append(Table(t("intake.added_table", lang), cols, added))
    report.tables.append(Table(t("intake.known_table", lang), cols, [[e, str(r)] for e, r in plan.known.items()]))
    reasons = [[e, why] for e, why in plan.rejected.items()]
    report.tables.append(Table(t("intake.rejected_table", lang), [cols[0], t("col.reason", lang)], reasons))
    return report


# Thin Prefect wrappers: one task per phase, over the whole batch of submissions.
load_joiners_task = task(name="load-join-submissions", cache_policy=NO_CACHE)(load_joiners)
plan_intake_task = task(name="plan-member-intake", cache_policy=NO_CACHE)(plan_intake)
apply_intake_task = task(name="apply-member-intake", cache_policy=NO_CACHE)(apply_intake)
