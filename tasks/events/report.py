"""event-invites, report: the typed summary and the report a coordinator reads (titles and names, not ids).

The event id stands next to the title in the events table only because the `event` parameter takes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from tasks.events.apply import Applied
from tasks.events.plan import EventLine, InvitesPlan
from weaver.i18n import t
from weaver.ledger import Action
from weaver.report import Report, Table
from weaver.summary import Summary

_PURPOSES = ("event_invite", "event_update", "event_cancel", "event_reminder", "event_seat_confirmed",
             "event_seat_waitlisted")  # fmt: skip
SENT_KINDS = tuple(p.removeprefix("event_") for p in _PURPOSES)  # the report's invites.sent.<kind> rows
CALENDAR_FILE_OUTCOMES = ("written", "unchanged", "would write", "held")  # the report says invites.file.<outcome>


def _by_purpose(actions: Sequence[Action]) -> Counter[str]:
    return Counter(str(a.payload.get("purpose", "")) for a in actions)


@dataclass(kw_only=True)
class InvitesSummary(Summary):
    """The figures the CLI prints and the report shows: counts, never names or addresses."""

    events: int
    rejected: int
    new: int
    changed: int
    cancelled: int
    past: int
    sent: dict[str, int] | None = None  # a real run: messages by purpose
    would_send: dict[str, int] | None = None  # a dry run: the same, planned
    already_sent: int
    suppressed: int
    failed: int
    outcome_unknown: int
    rsvps_read: int
    rsvps_unusable: int
    waitlisted: int
    chat_posts: int
    calendar_file: str  # written | unchanged | would write | held
    problems: list[str] = field(default_factory=list)
    held_messages: int = 0  # emails the approval gate held back: nothing of this run was recorded
    checkins: int = 0  # check-ins by link written (or, on a dry run, to write) to the Attendance tab

    def _keys(self) -> list[str]:
        # a run either sent or would send: only that one of the two is part of the summary
        return [k for k in super()._keys() if not (k in ("sent", "would_send") and getattr(self, k) is None)]


def summarise_invites(plan: InvitesPlan, applied: Applied, dry_run: bool) -> InvitesSummary:
    result = applied.delivery.result
    sent = _by_purpose(result.skipped if dry_run else result.done)
    if applied.calendar is not None:
        done = applied.calendar.skipped if dry_run else applied.calendar.done
        sent.update(f"event_{a.key.split(':', 1)[0]}" for a in done)
    by_purpose = {p.removeprefix("event_"): sent[p] for p in _PURPOSES}
    changes = Counter(line.decision.change for line in plan.lines)
    delivery = applied.delivery.summary()
    calendar = applied.calendar
    return InvitesSummary(
        events=len(plan.lines),
        rejected=len(plan.problems),
        new=changes["new"],
        changed=changes["changed"],
        cancelled=changes["cancelled"],
        past=changes["past"],
        sent=None if dry_run else by_purpose,
        would_send=by_purpose if dry_run else None,
        already_sent=delivery["already_sent"] + (len(calendar.already_done) if calendar else 0),
        suppressed=delivery["suppressed"] + applied.calendar_suppressed,
        failed=delivery["failed"] + (len(calendar.failed) if calendar else 0),
        outcome_unknown=delivery["outcome_unknown"],
        rsvps_read=plan.rsvps_read,
        rsvps_unusable=len(plan.rsvp_unusable),
        waitlisted=sum(line.waitlisted for line in plan.lines),
        chat_posts=len((applied.chat.skipped if dry_run else applied.chat.done) if applied.chat else []),
        calendar_file=applied.calendar_file,
        problems=[p.message() for p in plan.problems],
        held_messages=applied.delivery.held,
        checkins=len(applied.checkins.written),
    )


def build_invites_report(plan: InvitesPlan, applied: Applied, summary: InvitesSummary, lang: str,
                         dry_run: bool) -> Report:  # fmt: skip
    report = Report("event-invites", t("invites.title", lang), lang)
    if dry_run:
        report.notes.append(t("sync.dry_run", lang))
    if summary.held_messages:
        report.notes.append(t("invites.held", lang, n=summary.held_messages))
    report.notes += [t("invites.missing_tab", lang, tab=tab) for tab in plan.missing_tabs]
    sent = summary.sent or summary.would_send or {}
    report.summary = [(t("invites.events", lang), str(summary.events)),
                      (t("invites.rejected", lang), str(summary.rejected))]  # fmt: skip
    report.summary += [(t(f"invites.sent.{k}", lang), str(v)) for k, v in sent.items()]
    for key in ("already_sent", "suppressed", "failed", "outcome_unknown", "rsvps_read", "rsvps_unusable",
                "waitlisted", "chat_posts", "checkins"):  # fmt: skip
        report.summary.append((t(f"invites.{key}", lang), str(summary[key])))
    if applied.checkins.from_forms or applied.checkins.form_refused:
        report.notes.append(t("invites.form_checkins", lang, n=applied.checkins.from_forms,
                              refused=applied.checkins.form_refused))  # fmt: skip
    if applied.checkins.missing_tab:
        report.notes.append(t("invites.checkins_missing_tab", lang, tab=applied.checkins.missing_tab))
    if applied.checkins.written:  # names and titles, never ids
        head = [t("col.member", lang), t("invites.col.event", lang), t("invites.col.start", lang)]
        rows = [[c.name or "-", c.title, c.day] for c in applied.checkins.written]
        report.tables.append(Table(t("invites.checkins_table", lang), head, rows))
    report.summary.append((t("invites.calendar_file", lang), t(f"invites.file.{summary.calendar_file}", lang)))
    report.tables.append(_events_table(plan, lang))
    problems = [[p.cell or str(p.row), p.event_id, p.reason] for p in plan.problems]
    report.tables.append(Table(t("invites.problems_table", lang), [t("invites.col.cell", lang), "id",
                                                                   t("col.reason", lang)], problems))  # fmt: skip
    unusable = [[u.where, u.reason] for u in plan.rsvp_unusable]
    report.tables.append(Table(t("invites.rsvp_table", lang), [t("invites.col.where", lang), t("col.reason", lang)],
                               unusable))  # fmt: skip
    trouble = _trouble_rows(plan, applied, lang)
    if trouble:
        head = [t("col.what", lang), t("invites.col.event", lang), t("col.member", lang), t("col.reason", lang)]
        report.tables.append(Table(t("invites.trouble_table", lang), head, trouble))
    return report


def _events_table(plan: InvitesPlan, lang: str) -> Table:
    """One line per event by its title; the id beside it is what the `event` parameter takes."""
    head = [t("invites.col.event", lang), "id", t("col.row", lang), t("invites.col.change", lang), "SEQUENCE",
            t("invites.col.start", lang), t("invites.col.audience", lang), t("invites.col.seats", lang)]  # fmt: skip
    rows = [[ln.event.title, ln.event.event_id, str(ln.event.row), t(f"invites.change.{ln.decision.change}", lang),
             str(ln.decision.sequence), ln.event.start.strftime("%Y-%m-%d %H:%M ") + ln.event.timezone,
             str(ln.audience), _seats_text(ln)] for ln in plan.lines]  # fmt: skip
    return Table(t("invites.events_table", lang), head, rows)


def _trouble_rows(plan: InvitesPlan, applied: Applied, lang: str) -> list[list[str]]:
    """Messages that failed or whose outcome is unknown: what, about which event, to whom (by name), why."""
    result = applied.delivery.result
    failed = [(a, detail) for a, detail in result.failed] + [(a, t("invites.unknown", lang)) for a in result.unknown]
    if not failed:
        return []
    messages = {m.key: m for m in plan.messages}
    events = {i.key: i.event_id for i in plan.intents}
    titles = {ln.event.event_id: ln.event.title for ln in plan.lines}
    rows = []
    for action, detail in failed:
        message, event_id = messages.get(action.key), events.get(action.key, "")
        if message is None:
            rows.append([action.summary, titles.get(event_id, event_id), "", detail])
            continue
        what = t(f"invites.sent.{message.purpose.removeprefix('event_')}", lang)
        rows.append([what, titles.get(event_id, event_id), message.to_name or str(message.member_id), detail])
    return rows


def _seats_text(line: EventLine) -> str:
    cap = line.event.capacity
    text = f"{line.confirmed}/{cap}" if cap else str(line.confirmed)
    return text + (f" (+{line.waitlisted})" if line.waitlisted else "")
