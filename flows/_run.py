"""The operation shape, written once: open -> read/plan/apply (the flow's own task calls) -> report -> close.

Every flow body is

    with Operation("member-sync", workspace, dry_run, as_of) as op:
        ... read, plan and apply with op.tables, op.db, op.cfg, op.clock ...
        return op.finish(report, summary)

and the runner does the rest the same way for every operation: the network's clock (`as_of`), the state
database (a throwaway copy on a dry run), the one way messages reach people (`op.send`: consent and
suppression, the approval gate, the ledger), a report file of the run's own plus `reports/index.html`, the
Prefect artifact, the run record, one log line, closing what was opened.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from prefect.utilities.annotations import opaque

from connectors.mail import Message
from connectors.tables import TableBackend, TableChanged
from flows._runtime import Runtime, build_chat, open_runtime
from tasks.common import overrides
from tasks.common.approval import Approval, SendPlan, approve_send, decide
from tasks.common.approval_notice import preview_link, tell_approvers
from tasks.common.delivery import Delivery, unknown_note
from tasks.common.messages import deliver_task
from tasks.common.unsubscribe import signed_member_mail
from weaver.clock import Clock, network_clock, utcnow
from weaver.config import WeaverConfig
from weaver.errors import SourceError
from weaver.i18n import t
from weaver.ledger import current_run_id
from weaver.links import LinkSigner, link_secret
from weaver.locks import table_lock
from weaver.progress import StepProgress
from weaver.report import Report, publish_artifact
from weaver.runs import RunLease
from weaver.state import StateDB
from weaver.state.rights import drop_old_payloads
from weaver.summary import Summary

S = TypeVar("S", bound=Summary)
TABLE_TRIES = 3  # read -> plan -> write passes when someone keeps saving the table meanwhile


@dataclass
class Operation:
    """One run of one operation. Use it as a context manager in the flow body."""

    name: str
    workspace: str
    dry_run: bool = False
    as_of: str | date | datetime | None = None  # the flow's as_of: a date, a moment, or None for now
    approvals: list[Approval] = field(default_factory=list)
    _rt: Runtime | None = field(default=None, repr=False)
    _clock: Clock | None = field(default=None, repr=False)
    _started: datetime | None = None
    _lease: RunLease | None = field(default=None, repr=False)
    _wording: AbstractContextManager[Path | None] | None = field(default=None, repr=False)

    # opening and closing ------------------------------------------------------------------------------
    def __enter__(self) -> Operation:
        self._started = started = utcnow()
        self._rt = open_runtime(self.workspace, self.dry_run)
        wording = overrides.using(self._rt.ws.root)  # the workspace's templates/, checked now (one clear error)
        try:
            wording.__enter__()
        except BaseException:
            self._rt.close()
            raise
        self._wording = wording
        self._clock = network_clock(self.cfg.network.timezone, self.as_of or started)
        self._lease = _hold_lease(self.name, self._rt.db, self.dry_run)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self._lease is not None:
            self._lease.end()
        if self._wording is not None:
            self._wording.__exit__(None, None, None)
        if self._rt is not None:
            self._rt.close()

    # what the flow body reads -------------------------------------------------------------------------
    @property
    def rt(self) -> Runtime:
        assert self._rt is not None, "use the Operation as a context manager"
        return self._rt

    @property
    def clock(self) -> Clock:
        assert self._clock is not None, "use the Operation as a context manager"
        return self._clock

    @property
    def cfg(self) -> WeaverConfig:
        return self.rt.ws.config

    @property
    def tables(self) -> TableBackend:
        return self.rt.tables

    @property
    def db(self) -> StateDB:
        return self.rt.db

    @property
    def lang(self) -> str:
        return self.rt.lang

    @property
    def source(self) -> str:
        """The tables source, as error messages and reports name it."""
        return self.rt.tables.describe()

    # reading and writing tables -----------------------------------------------------------------------
    def attempts(self, tries: int = TABLE_TRIES) -> Iterator[TableAttempt]:
        """Read -> plan -> write the tables, again if someone saved them in between (a bounded number of times).

            for attempt in op.attempts():
                with attempt:
                    grid = read...; plan = plan...; apply...

        The workspace's table lock is held meanwhile (weaver/locks.py: operations that write tables take
        turns). When the table was saved by someone else between our read and our write (TableChanged),
        nothing was written: the block runs again on what is there now. After `tries` the run stops with a
        message that says so; nothing of theirs has been overwritten.
        """
        with ExitStack() as stack:  # released by the last attempt's exit, not only when the loop is collected
            if not self.dry_run:
                stack.enter_context(table_lock(self.rt.ws.root, self.name))
            for number in range(1, tries + 1):
                attempt = TableAttempt(self.name, self.source, number, tries, stack.close)
                yield attempt
                if not attempt.retry:
                    return

    # the one way messages reach people ----------------------------------------------------------------
    def approve(self, messages: Sequence[Message], auto_approve: bool = False) -> Approval:
        """The approval gate, for a flow that must know before doing anything else (e.g. record state)."""
        poll = self.cfg.mail.approval_poll_seconds
        approval = approve_send(messages, self.rt, self.name, auto_approve=auto_approve, poll_seconds=poll,
                                notify=self.tell_approvers, link=self.preview_link)  # fmt: skip
        self.approvals.append(approval)
        return approval

    def approve_audience(
        self, recipients: int, purpose: str, previews: Callable[[], Path], auto_approve: bool = False
    ) -> Approval:
        """The same gate for a send an audience service makes for us (a Mailchimp campaign to the list):
        counted in the people it reaches; `previews` writes what the coordinator looks at."""
        plan = SendPlan(self.name, recipients, recipients, {purpose: recipients})
        poll = self.cfg.mail.approval_poll_seconds
        approval = decide(plan, self.rt, previews, auto_approve=auto_approve, poll_seconds=poll,
                          notify=lambda p: self.tell_approvers(p, []))  # fmt: skip
        self.approvals.append(approval)
        return approval

    def tell_approvers(self, plan: SendPlan, pending: Sequence[Message]) -> None:
        """Just before the run pauses: `[mail] approvers` (staff mail) and the chat are told, once per pause."""
        mail = self.cfg.mail
        if not mail.approvers and not mail.approval_chat:
            return
        secret, _ = link_secret(self.db, self.cfg, self.dry_run, str(self.rt.ws.root / "weaver.toml"))
        chat = build_chat(self.rt.ws) if mail.approval_chat else None
        tell_approvers(plan, pending, self.cfg, self.db, self.rt.mail, chat, LinkSigner(secret), current_run_id(),
                       utcnow())  # fmt: skip

    def preview_link(self, plan: SendPlan, pending: Sequence[Message]) -> str:
        """The receiver's preview page of a pause (signed link): the paused run's form links it."""
        secret, _ = link_secret(self.db, self.cfg, self.dry_run, str(self.rt.ws.root / "weaver.toml"))
        return preview_link(plan, pending, self.cfg, self.db, LinkSigner(secret), current_run_id(), utcnow())

    def send(
        self, messages: Sequence[Message], auto_approve: bool = False, approval: Approval | None = None
    ) -> Delivery:
        """Consent and suppression, the approval gate, then each message once through the ledger.

        A send the gate holds back delivers nothing and puts nothing in the ledger: the next run plans
        it again. Pass the `approval` a flow already asked for, so the coordinator is asked once.
        """
        approval = approval or self.approve(messages, auto_approve)
        if not approval.approved:
            return Delivery.held_back(len(messages))
        previews = self.rt.previews_dir(self.name)
        messages = self.member_mail(messages)  # unsubscribe headers and footer, before the ledger records them
        progress = StepProgress(f"{self.name}: sending")  # a log line every 2 s and a progress bar in the UI
        # opaque: Prefect does not visit every message (and leaves the progress object as it is)
        return deliver_task(opaque(messages), self.rt.mail, self.db, self.name, dry_run=self.dry_run,
                            previews_dir=previews, on_progress=opaque(progress))  # fmt: skip

    def member_mail(self, messages: Sequence[Message]) -> list[Message]:
        """Member messages with their RFC 8058 unsubscribe headers, List-Id and footer (staff mail untouched)."""
        return signed_member_mail(messages, self.db, self.cfg, str(self.rt.ws.root / "weaver.toml"), self.dry_run)

    @property
    def held(self) -> bool:
        """Did the gate hold anything back? Then this run is not recorded as done."""
        return any(not a.approved for a in self.approvals)

    # the tail -----------------------------------------------------------------------------------------
    def finish(self, report: Report, summary: S, deliveries: Sequence[Delivery] = ()) -> S:
        """Report file and index, artifact, run record, one log line: the same for every operation."""
        report.timezone = self.cfg.network.timezone
        unevaluated = [c for cells in getattr(self.rt.tables, "unevaluated", {}).values() for c in cells]
        if unevaluated:  # read as formula text: say so, and how to get the results
            shown = ", ".join(unevaluated[:10]) + (" …" if len(unevaluated) > 10 else "")
            report.notes.append(t("tables.formula_without_value", self.lang, n=len(unevaluated), cells=shown))
        note = unknown_note(deliveries, self.lang)  # where to check: the SMTP server's log, or the outbox
        if note:
            report.notes.append(note)
        if self.approvals:
            summary.approval = "; ".join(a.describe(self.lang) for a in self.approvals)
        previews = next((d.previews for d in deliveries if d.previews is not None), None)
        if previews is not None:
            summary.previews = str(previews)
        path = None if self.dry_run else report.write_html(self.rt.ws.reports)
        if path is not None:
            summary.report = str(path)
        publish_artifact(report, path)
        if not self.dry_run and not self.held:
            self.db.record_sync_run(self.name, self._started or utcnow(), summary.as_dict())
        if not self.dry_run:  # retention: old message bodies leave the ledger ([state] ledger_payload_days)
            drop_old_payloads(self.db, utcnow() - timedelta(days=self.cfg.state.ledger_payload_days))
        _log(self.name, self.dry_run, summary)
        return summary


@dataclass
class TableAttempt:
    """One pass of read -> plan -> write; swallows TableChanged (and asks for another pass) unless it is the last."""

    operation: str
    source: str
    number: int
    tries: int
    release: Callable[[], None]
    retry: bool = False

    def __enter__(self) -> TableAttempt:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        if isinstance(error, TableChanged) and self.number < self.tries:
            logging.getLogger(f"weaver.{self.operation}").warning(
                "%s: %s; reading it again (attempt %d of %d)", self.operation, error, self.number + 1, self.tries
            )
            self.retry = True
            return True
        self.release()
        if not isinstance(error, TableChanged):
            return False
        raise SourceError(
            f"{self.source} was saved by someone else each time we were about to write ({self.tries} tries); "
            "nothing of theirs was overwritten. Run again when it is quiet."
        ) from error


def _log(name: str, dry_run: bool, summary: Summary) -> None:
    """One line per run: in the Prefect run's log inside a run, else Python's logging."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        logger: logging.Logger | logging.LoggerAdapter[logging.Logger] = get_run_logger()
    except MissingContextError:
        logger = logging.getLogger(f"weaver.{name}")
    logger.info("%s %s: %s", name, "plan" if dry_run else "done", summary.as_dict())


def _hold_lease(operation: str, db: StateDB, dry_run: bool) -> RunLease | None:
    """The run's proof of life (weaver/runs.py), when it is a Prefect flow run that may change something.

    A dry run works on a throwaway copy of the state: it holds no lease (the reconciler gives a run without
    one a grace period before calling it crashed).
    """
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    if dry_run or context is None or context.flow_run is None:
        return None
    return RunLease.hold(db, str(context.flow_run.id), operation)
