"""The action ledger: plan -> apply with keyed actions, so nothing finished is ever repeated.

A plan is a list of `Action`s with stable keys (`invite:evt-42:m-1a2b3c`, `sheet-write:Members:<hash>`).
`Ledger.apply` skips keys already done, claims the rest (INSERT ... ON CONFLICT DO NOTHING), performs them
in batches through a performer and marks each outcome. A dry run computes the same plan and claims nothing.

Emails carry one more mark. Just before a message's DATA goes to the server (after MAIL FROM and RCPT TO were
accepted) the performer calls `Ledger.hand_over(key)`: the claim becomes `handed`, durably, in the same
transaction that records the outcomes of the messages before it. A claim that never reached that mark was never
handed over, so after a crash it is simply claimed and sent again; only a `handed` one (the process died while
the server held it, or before its outcome was written) becomes `unknown`. Claims can therefore be made in
batches: what makes a crash safe is the hand-over mark, one transaction per message, not the claim.

Claims have owners that can die. A claim records its run (`run_id`) and a lease (`lease_until`) that the
claiming process renews from a background thread while it performs (every third of the lease, default 60 s,
`WEAVER_CLAIM_LEASE_SECONDS`). Another run that meets a claim whose lease is live leaves it alone: its owner is
at work (skipped, never marked, never taken over). Only a claim whose lease expired was left by a process that
died between performing and marking: an idempotent action, or an email that was never handed over, is then simply
performed again; a non-idempotent one that may have happened (an email marked `handed`, or a claim made
before hand-over marks existed) becomes `unknown`, is reported, and is only repeated on a coordinator's word
(`Ledger.release`) or settled as delivered once the coordinator checked it arrived (`Ledger.confirm`).
On PostgreSQL leases are read against the database server's clock, so workers on several machines agree.

Actions can also be planned for later (`Ledger.schedule`, with `due_at`): a follow-up email in 30 days is
a `planned` row until a later run finds it due (`Ledger.due`) and applies it like any other action.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, func, or_, select, update

from weaver.errors import WeaverError
from weaver.state import StateDB, as_utc, chunked, insert_ignore, ledger, utcnow

DONE, CLAIMED, FAILED, RETRY, UNKNOWN = "done", "claimed", "failed", "retry", "unknown"
HANDED = "handed"  # an email's claim, durably marked just before its DATA went to the server
HELD = (CLAIMED, HANDED)  # statuses of a row some run holds (with a lease)
PLANNED, CANCELLED = "planned", "cancelled"  # scheduled for its due_at; dropped before it was performed
_LOOKUP_CHUNK = 500
DEFAULT_LEASE_SECONDS = 60.0


def default_lease() -> timedelta:
    """How long a claim stays live without renewal: `WEAVER_CLAIM_LEASE_SECONDS`, else 60 s."""
    raw = os.environ.get("WEAVER_CLAIM_LEASE_SECONDS", "")
    try:
        seconds = float(raw) if raw else DEFAULT_LEASE_SECONDS
    except ValueError:
        raise WeaverError(f"WEAVER_CLAIM_LEASE_SECONDS={raw!r} is not a number of seconds") from None
    if seconds <= 0:
        raise WeaverError(f"WEAVER_CLAIM_LEASE_SECONDS={raw!r} must be more than 0")
    return timedelta(seconds=seconds)


def current_run_id() -> str:
    """The Prefect flow run this process is in, else this process (host:pid): who a claim belongs to."""
    if "prefect" in sys.modules:  # never import Prefect just to ask
        from prefect.context import FlowRunContext

        context = FlowRunContext.get()
        if context is not None and context.flow_run is not None:
            return str(context.flow_run.id)
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass(frozen=True)
class Action:
    """One external side effect. `summary` is shown in reports and must carry no personal data."""

    key: str
    kind: str
    summary: str
    payload: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    idempotent: bool = False
    due_at: datetime | None = None
    # the performer calls `Ledger.hand_over` at the point of no return (an email: just before DATA), so an
    # expired claim without that mark never happened and is performed again instead of becoming unknown
    marks_hand_over: bool = False


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str = ""
    retry: bool = False  # a failure worth trying again on a later run (transient)
    # the performer cannot tell whether the effect happened (e.g. the connection dropped after the
    # message was handed over): recorded as unknown, never repeated without a coordinator's word
    uncertain: bool = False
    # the claim was no longer ours when the performer asked to hand it over (`Ledger.hand_over` said no):
    # nothing was done, and the row is left to the run that holds it now
    lost: bool = False

    @classmethod
    def success(cls, detail: str = "") -> Outcome:
        return cls(True, detail)

    @classmethod
    def failure(cls, detail: str, retry: bool = False) -> Outcome:
        return cls(False, detail, retry)

    @classmethod
    def unknown(cls, detail: str) -> Outcome:
        return cls(False, detail, False, True)

    @classmethod
    def lost_claim(cls) -> Outcome:
        return cls(False, "not sent: another run holds this claim now", lost=True)


class Performer(Protocol):
    """Performs a batch and returns one Outcome per action, in order.

    Raise a WeaverError only when nothing in the batch happened (e.g. the connection or login failed):
    the claims are then released for a later run. Any other exception leaves them claimed.
    """

    def __call__(self, batch: Sequence[Action]) -> Sequence[Outcome]: ...


@dataclass
class ApplyResult:
    planned: list[Action] = field(default_factory=list)
    already_done: list[Action] = field(default_factory=list)
    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    unknown: list[Action] = field(default_factory=list)
    skipped: list[Action] = field(default_factory=list)  # planned but not performed (dry run, or not claimed)
    in_flight: list[Action] = field(default_factory=list)  # claimed by another live run: skipped, left alone
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {
            "planned": len(self.planned),
            "already_done": len(self.already_done),
            "done": len(self.done),
            "failed": len(self.failed),
            "unknown": len(self.unknown),
            "skipped": len(self.skipped),
        }


ProgressFn = Callable[[int, int], None]


class Ledger:
    def __init__(self, db: StateDB, flow: str, run_id: str | None = None, lease: timedelta | None = None) -> None:
        self.db = db
        self.flow = flow
        self.owner = uuid.uuid4().hex  # this ledger's claim token
        self.run_id = (run_id or current_run_id())[:64]
        self.lease = lease if lease is not None else default_lease()
        self._skew: timedelta | None = None
        # outcomes noted by the performer (`settle`) and not yet written: they go with the next hand-over
        self._unwritten: dict[str, tuple[str, str]] = {}
        self._written: set[str] = set()  # keys whose outcome a hand-over transaction already wrote
        self._lock = threading.Lock()  # a pool of connections hands over from several threads
        self._hot: _Hot | None = None  # the hand-over and outcome statements, on a connection held while applying

    # the clock of leases ----------------------------------------------------------------------------
    def now(self) -> datetime:
        """The database's time: this machine's clock, corrected once by the PostgreSQL server's."""
        if self._skew is None:
            self._skew = timedelta(0)
            if self.db.engine.dialect.name == "postgresql":
                with self.db.engine.connect() as conn:
                    self._skew = as_utc(conn.execute(select(func.now())).scalar_one()) - utcnow()
        return utcnow() + self._skew

    def renew(self) -> int:
        """Move the lease of every claim this ledger holds forward; the number of claims renewed."""
        with self.db.begin() as conn:
            res = conn.execute(_RENEW, {"b_owner": self.owner, "b_until": self.now() + self.lease})
            return res.rowcount or 0

    @contextmanager
    def _renewing(self) -> Iterator[None]:
        """Renew this ledger's claims every third of the lease while the body runs (a daemon thread)."""
        stop = threading.Event()

        def keep() -> None:
            while not stop.wait(self.lease.total_seconds() / 3):
                try:
                    self.renew()
                except Exception:  # a missed renewal is retried; a long outage lets the lease lapse, as it should
                    continue

        thread = threading.Thread(target=keep, name=f"lease-{self.flow}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(5)

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """Close the connection the hand-over statements held (if any) when applying ends."""
        try:
            yield
        finally:
            with self._lock:
                if self._hot is not None:
                    self._hot.close()
                    self._hot = None

    def _hot_path(self) -> _Hot:
        if self._hot is None:
            self._hot = _Hot(self.db)
        return self._hot

    # reading -----------------------------------------------------------------------------------------
    def statuses(self, keys: Iterable[str]) -> dict[str, str]:
        """key -> status for the keys the ledger has seen; absent keys are new."""
        return {key: status for key, (status, _) in self._lookup(keys).items()}

    def _lookup(self, keys: Iterable[str]) -> dict[str, tuple[str, datetime | None]]:
        """key -> (status, lease_until) for the keys the ledger has seen."""
        found: dict[str, tuple[str, datetime | None]] = {}
        cols = (ledger.c.key, ledger.c.status, ledger.c.lease_until)
        with self.db.engine.connect() as conn:
            for part in chunked(list(keys), _LOOKUP_CHUNK):
                rows = conn.execute(select(*cols).where(ledger.c.key.in_(part)))
                found.update({r.key: (r.status, as_utc(r.lease_until) if r.lease_until else None) for r in rows})
        return found

    def pending(self, actions: Sequence[Action]) -> list[Action]:
        """The actions `apply` would perform now (new, retry, due, or an expired claim never handed over)."""
        return self._triage(_unique(actions), ApplyResult(), dry_run=True)

    def live_claims(self, keys: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Claims whose lease has not expired (their run is at work), with run_id and lease_until."""
        query = select(ledger).where(ledger.c.status.in_(HELD), ledger.c.lease_until >= self.now())
        with self.db.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query.order_by(ledger.c.updated_at))]
        wanted = set(keys) if keys is not None else None
        return [r for r in rows if wanted is None or r["key"] in wanted]

    def entries(
        self, status: str | None = None, kind: str | None = None, keys: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        query = select(ledger).order_by(ledger.c.updated_at)
        if status:
            query = query.where(ledger.c.status == status)
        if kind:
            query = query.where(ledger.c.kind == kind)
        with self.db.engine.connect() as conn:
            if keys is None:
                return [dict(r._mapping) for r in conn.execute(query)]
            found: list[dict[str, Any]] = []
            for part in chunked(list(keys), _LOOKUP_CHUNK):
                found += [dict(r._mapping) for r in conn.execute(query.where(ledger.c.key.in_(part)))]
            return found

    # applying ----------------------------------------------------------------------------------------
    def apply(
        self,
        actions: Sequence[Action],
        perform: Performer,
        *,
        batch_size: int = 100,
        dry_run: bool = False,
        on_progress: ProgressFn | None = None,
    ) -> ApplyResult:
        """Perform every action not already done, in batches; return what happened to each."""
        result = ApplyResult(planned=list(actions), dry_run=dry_run)
        pending = self._triage(_unique(actions), result, dry_run)
        if dry_run:
            result.skipped.extend(pending)
            return result
        finished = 0
        with self._renewing(), self._holding():
            for batch in chunked(pending, batch_size):
                claimed = self._claim(batch)
                result.skipped.extend(a for a in batch if a.key not in claimed)
                todo = [a for a in batch if a.key in claimed]
                if todo:
                    self._perform(todo, perform, result)
                finished += len(batch)
                if on_progress:
                    on_progress(finished, len(pending))
        return result

    def _triage(self, actions: Sequence[Action], result: ApplyResult, dry_run: bool) -> list[Action]:
        """Split actions into done / unknown / in flight / pending using one status lookup.

        A claim is orphaned only once its lease expired; a live one belongs to a run at work (in flight). An
        expired claim that was never handed over is pending: it is claimed again and performed.
        """
        found = self._lookup(a.key for a in actions)
        now = self.now()
        pending: list[Action] = []
        orphaned: list[str] = []
        for action in actions:
            status, lease_until = found.get(action.key, (None, None))
            if status in HELD and lease_until is not None and lease_until >= now:
                result.in_flight.append(action)
                result.skipped.append(action)
            elif status == DONE:
                result.already_done.append(action)
            elif status == FAILED:
                result.failed.append((action, "failed on an earlier run"))
            elif status == CANCELLED:
                result.skipped.append(action)
            elif status == UNKNOWN or (
                status in HELD
                and not action.idempotent
                and (status == HANDED or not action.marks_hand_over or lease_until is None)
            ):  # it may have happened: handed over, or a claim without hand-over marks (or made before leases)
                result.unknown.append(action)
                if status != UNKNOWN:
                    orphaned.append(action.key)
            else:
                pending.append(action)
        if orphaned and not dry_run:
            self._orphan(orphaned, now)
        return pending

    def _orphan(self, keys: Sequence[str], now: datetime) -> None:
        """Mark expired claims unknown, each only if it is still an expired claim (its owner may have just
        marked it done: a mark is never overwritten)."""
        detail = "the process died after claiming (its lease expired); outcome unknown"
        params = [{"b_key": k, "b_detail": detail, "b_now": now} for k in keys]
        with self.db.begin() as conn:
            for part in chunked(params, _LOOKUP_CHUNK):
                conn.execute(_ORPHAN, list(part))

    def _claim(self, batch: Sequence[Action]) -> set[str]:
        now = self.now()
        rows = [self._new_row(a, now) for a in batch]
        # rows that exist already and may be taken again: retry, planned and now due, or an idempotent
        # claim whose lease expired; a new payload replaces the old (what is sent now, for a later resend)
        again = [
            {"b_key": a.key, "b_owner": self.owner, "b_now": now, "b_payload": a.payload,
             "b_also": CLAIMED if a.idempotent or a.marks_hand_over else RETRY, "b_run": self.run_id,
             "b_until": now + self.lease}
            for a in batch
        ]  # fmt: skip
        if len(batch) == 1:
            return self._claim_one(rows[0], again[0])
        with self.db.begin() as conn:
            conn.execute(insert_ignore(conn, ledger), rows)
            with_payload = [r for r in again if r["b_payload"]]
            if with_payload:
                conn.execute(_RECLAIM_WITH_PAYLOAD, with_payload)
            if len(with_payload) < len(again):
                conn.execute(_RECLAIM, [r for r in again if not r["b_payload"]])
            owned = conn.execute(_OWNED, {"b_keys": [a.key for a in batch], "b_owner": self.owner})
            return {r.key for r in owned}

    def _claim_one(self, row: dict[str, Any], again: dict[str, Any]) -> set[str]:
        """One action (every email): a single statement when it is new; the row count says if we own it."""
        with self.db.begin() as conn:
            if conn.execute(insert_ignore(conn, ledger), row).rowcount == 1:
                return {row["key"]}
            reclaim = _RECLAIM_WITH_PAYLOAD if again["b_payload"] else _RECLAIM
            return {row["key"]} if conn.execute(reclaim, again).rowcount == 1 else set()

    def _new_row(self, action: Action, now: datetime) -> dict[str, Any]:
        return {
            "key": action.key,
            "kind": action.kind,
            "flow": self.flow,
            "status": CLAIMED,
            "payload": action.payload or None,
            "detail": self.owner,
            "attempts": 1,
            "created_at": now,
            "updated_at": now,
            "due_at": action.due_at,
            "run_id": self.run_id,
            "lease_until": now + self.lease,
        }

    def _perform(self, todo: list[Action], perform: Performer, result: ApplyResult) -> None:
        try:
            outcomes = list(perform(todo))
        except WeaverError:
            with self._lock:  # outcomes noted before the failure are kept; only the rest go back to retry
                self._flush_noted()
                untouched = [a.key for a in todo if a.key not in self._written]
                self._written.difference_update(a.key for a in todo)
            self._give_back(untouched)
            raise
        if len(outcomes) != len(todo):
            raise RuntimeError(f"performer returned {len(outcomes)} outcomes for {len(todo)} actions")
        marks: list[tuple[str, str, str]] = []
        for action, outcome in zip(todo, outcomes, strict=True):
            if outcome.lost:
                result.in_flight.append(action)
                result.skipped.append(action)
                continue
            if outcome.ok:
                result.done.append(action)
            elif outcome.uncertain:
                result.unknown.append(action)
            else:
                result.failed.append((action, outcome.detail))
            marks.append((action.key, *_mark_of(outcome)))
        with self._lock:  # what a hand-over transaction already wrote is not written again
            self._unwritten.clear()
            marks = [m for m in marks if m[0] not in self._written]
            self._written.difference_update(a.key for a in todo)
        self._mark(marks)

    # handing an email over -----------------------------------------------------------------------------
    def hand_over(self, key: str) -> bool:
        """Durably mark our claim of `key` as handed to the server; call it just before the message's DATA.

        A crash before this point leaves a claim that is simply sent again later; after it, the message is
        unknown until its outcome is written (`settle`). Outcomes not yet written go in the same transaction,
        so a mark is always durable before the next message is handed over. False when the claim is no
        longer ours (its lease lapsed and another run took it): the message must not be sent.
        """
        now = utcnow()
        with self._lock:
            hot = self._hot_path()
            with hot.transaction():
                self._write_noted(hot, now)
                handed = hot.run("hand", [{"b_key": key, "b_owner": self.owner, "b_now": now}])
            self._written.update(self._unwritten)
            self._unwritten.clear()
        return handed == 1

    def settle(self, key: str, outcome: Outcome) -> None:
        """Write an outcome as soon as it is known, in its own commit: a message the server took is `handed`
        (unknown after a crash) only between the server's answer and this commit, never until the next one."""
        if outcome.lost:
            return
        with self._lock:
            self._unwritten[key] = _mark_of(outcome)
            self._flush_noted()

    def _flush_noted(self) -> None:
        if self._unwritten:
            hot = self._hot_path()
            with hot.transaction():
                self._write_noted(hot, utcnow())
            self._written.update(self._unwritten)
            self._unwritten.clear()

    def _write_noted(self, hot: _Hot, now: datetime) -> None:
        if self._unwritten:
            hot.run("mark", [
                {"b_key": k, "b_status": status, "b_detail": detail, "b_now": now}
                for k, (status, detail) in self._unwritten.items()
            ])  # fmt: skip

    def _mark(self, marks: Sequence[tuple[str, str, str]]) -> None:
        now = utcnow()
        params = [{"b_key": key, "b_status": status, "b_detail": detail, "b_now": now} for key, status, detail in marks]
        with self.db.begin() as conn:
            for part in chunked(params, _LOOKUP_CHUNK):
                conn.execute(_MARK, list(part))

    def _give_back(self, keys: Sequence[str]) -> None:
        """After a batch failed: claims never handed over go back to retry; a handed one may have arrived."""
        now = utcnow()
        with self.db.begin() as conn:
            for part in chunked(list(keys), _LOOKUP_CHUNK):
                for status, detail in (
                    (RETRY, "not performed: the batch failed before sending"),
                    (UNKNOWN, "the batch failed after this message was handed to the server: outcome unknown"),
                ):
                    was = CLAIMED if status == RETRY else HANDED
                    conn.execute(
                        update(ledger)
                        .where(ledger.c.key.in_(list(part)), ledger.c.status == was, ledger.c.detail == self.owner)
                        .values(status=status, detail=detail, updated_at=now, lease_until=None)
                    )

    # planning for later -------------------------------------------------------------------------------
    def schedule(self, actions: Sequence[Action]) -> int:
        """Record actions to perform when due (each needs `due_at`); a key already known is left as it is."""
        now = utcnow()
        rows = [
            {
                "key": a.key,
                "kind": a.kind,
                "flow": self.flow,
                "status": PLANNED,
                "payload": a.payload or None,
                "detail": "planned",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
                "due_at": a.due_at,
            }
            for a in _unique(actions)
            if a.due_at is not None
        ]
        if not rows:
            return 0
        with self.db.begin() as conn:
            keys = [r["key"] for r in rows]
            before = len(_planned_among(conn, keys))
            for part in chunked(rows, _LOOKUP_CHUNK):
                conn.execute(insert_ignore(conn, ledger), list(part))
            return len(_planned_among(conn, keys)) - before

    def due(self, key_prefix: str, now: datetime | None = None) -> list[dict[str, Any]]:
        """Planned entries whose key starts with `key_prefix` and whose due time has come, oldest first.

        A due action that was tried and deferred (`retry`) is still due.
        """
        query = (
            select(ledger)
            .where(and_(ledger.c.status.in_([PLANNED, RETRY]), ledger.c.key.startswith(key_prefix, autoescape=True)))
            .where(ledger.c.due_at <= (now or utcnow()))
            .order_by(ledger.c.due_at, ledger.c.key)
        )
        with self.db.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def cancel(self, keys: Sequence[str], detail: str) -> int:
        """Drop planned actions that must not happen any more (e.g. the member withdrew consent)."""
        count = 0
        with self.db.begin() as conn:
            for part in chunked(list(keys), _LOOKUP_CHUNK):
                res = conn.execute(
                    update(ledger)
                    .where(and_(ledger.c.key.in_(part), ledger.c.status == PLANNED))
                    .values(status=CANCELLED, detail=detail, updated_at=utcnow())
                )
                count += res.rowcount or 0
        return count

    # a coordinator's word ----------------------------------------------------------------------------
    def confirm(self, keys: Sequence[str]) -> int:
        """Settle unknown actions as done: the coordinator checked they happened (e.g. the server's log)."""
        with self.db.begin() as conn:
            res = conn.execute(
                update(ledger)
                .where(and_(ledger.c.key.in_(list(keys)), ledger.c.status == UNKNOWN))
                .values(status=DONE, detail="confirmed delivered by a coordinator", updated_at=utcnow())
            )
            return res.rowcount or 0

    def release(self, keys: Sequence[str]) -> int:
        """Allow unknown or failed actions to be performed again (e.g. resend after checking)."""
        with self.db.begin() as conn:
            res = conn.execute(
                update(ledger)
                .where(and_(ledger.c.key.in_(list(keys)), ledger.c.status.in_([UNKNOWN, FAILED])))
                .values(status=RETRY, detail="released by a coordinator", updated_at=utcnow())
            )
            return res.rowcount or 0


_HELD = or_(ledger.c.status == CLAIMED, ledger.c.status == HANDED)  # no IN (...): these run as executemany

# Statements built once: building them per call cost more than running them (one claim and one mark per
# email, so a 10,000-message send runs each 10,000 times).
_RECLAIM = (
    update(ledger)
    .where(ledger.c.key == bindparam("b_key"))
    # retry or planned rows; claimed ones too when `b_also` says so (an orphaned claim of an idempotent action:
    # a claim of an email by another process is never taken over). No IN (...): it cannot be an executemany.
    .where(
        or_(
            ledger.c.status == RETRY,
            ledger.c.status == PLANNED,
            # a claim is taken over only once its lease expired (or it has none: made before leases)
            and_(
                ledger.c.status == bindparam("b_also"),
                or_(ledger.c.lease_until.is_(None), ledger.c.lease_until < bindparam("b_now")),
            ),
        )
    )
    .where(ledger.c.detail != bindparam("b_owner"))
    .values(
        status=CLAIMED,
        detail=bindparam("b_owner"),
        updated_at=bindparam("b_now"),
        attempts=ledger.c.attempts + 1,
        run_id=bindparam("b_run"),
        lease_until=bindparam("b_until"),
    )
)
_RECLAIM_WITH_PAYLOAD = _RECLAIM.values(payload=bindparam("b_payload", type_=ledger.c.payload.type))
_OWNED = select(ledger.c.key).where(
    ledger.c.key.in_(bindparam("b_keys", expanding=True)),
    ledger.c.status == CLAIMED,
    ledger.c.detail == bindparam("b_owner"),
)
_MARK = (
    update(ledger)
    .where(ledger.c.key == bindparam("b_key"))
    .values(status=bindparam("b_status"), detail=bindparam("b_detail"), updated_at=bindparam("b_now"), lease_until=None)
)
_RENEW = update(ledger).where(ledger.c.detail == bindparam("b_owner"), _HELD).values(lease_until=bindparam("b_until"))
_HAND_OVER = (
    update(ledger)
    # HANDED too: a message deferred (4xx) after DATA is handed over again on its next try
    .where(ledger.c.key == bindparam("b_key"), ledger.c.detail == bindparam("b_owner"), _HELD)
    .values(status=HANDED, updated_at=bindparam("b_now"))
)
_ORPHAN = (
    update(ledger)
    .where(ledger.c.key == bindparam("b_key"), _HELD)
    .where(or_(ledger.c.lease_until.is_(None), ledger.c.lease_until < bindparam("b_now")))
    .values(status=UNKNOWN, detail=bindparam("b_detail"), updated_at=bindparam("b_now"), lease_until=None)
)


_OURS = object()  # a bind parameter the caller gives (b_*), as opposed to a literal of the statement


class _Hot:
    """The two statements every email runs (its hand-over mark and its outcome) on one DBAPI connection held
    while applying, compiled once for the database's dialect: SQLAlchemy's per-call machinery (a connection
    from the pool, an execution context, parameter processing) cost several times SQLite's own commit.
    Values pass through the same bind processors SQLAlchemy uses, so the rows are the same."""

    def __init__(self, db: StateDB) -> None:
        dialect = db.engine.dialect
        self.raw = db.engine.raw_connection()
        self.positional = dialect.positional
        self.sql: dict[str, str] = {}
        # per statement: (bind name, its fixed value or _OURS for a caller's b_* value, its bind processor)
        self.binds: dict[str, list[tuple[str, Any, Any]]] = {}
        for name, stmt in (("hand", _HAND_OVER), ("mark", _MARK)):
            compiled = stmt.compile(dialect=dialect)
            dummy = {k: None for k in compiled.binds if k.startswith("b_")}
            fixed = compiled.construct_params(dummy)  # literals of the statement (statuses); the b_* are ours
            processors = compiled._bind_processors
            order = compiled.positiontup if self.positional else list(fixed)
            self.sql[name] = str(compiled)
            self.binds[name] = [(k, _OURS if k.startswith("b_") else fixed[k], processors.get(k)) for k in order or ()]

    def _bind(self, name: str, row: dict[str, Any]) -> Any:
        values = []
        for key, fixed, process in self.binds[name]:
            value = row[key] if fixed is _OURS else fixed
            values.append(process(value) if process is not None else value)
        if self.positional:
            return values
        return {key: value for (key, _, _), value in zip(self.binds[name], values, strict=True)}

    def run(self, name: str, rows: Sequence[dict[str, Any]]) -> int:
        """Run one statement for each row; the number of rows it changed."""
        cursor = self.raw.cursor()
        try:
            if len(rows) == 1:
                cursor.execute(self.sql[name], self._bind(name, rows[0]))
            else:
                cursor.executemany(self.sql[name], [self._bind(name, r) for r in rows])
            return int(cursor.rowcount)
        finally:
            cursor.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            self.raw.rollback()
            raise
        self.raw.commit()

    def close(self) -> None:
        self.raw.close()


def _mark_of(outcome: Outcome) -> tuple[str, str]:
    """The ledger status and detail an outcome is recorded as."""
    if outcome.ok:
        return DONE, outcome.detail
    if outcome.uncertain:
        return UNKNOWN, outcome.detail
    return (RETRY if outcome.retry else FAILED), outcome.detail


def _planned_among(conn: Any, keys: Sequence[str]) -> set[str]:
    rows = conn.execute(select(ledger.c.key).where(and_(ledger.c.key.in_(keys), ledger.c.status == PLANNED)))
    return {r.key for r in rows}


def _unique(actions: Sequence[Action]) -> list[Action]:
    """Drop repeated keys within one plan (the first wins), so one key is never performed twice."""
    seen: set[str] = set()
    out: list[Action] = []
    for action in actions:
        if action.key not in seen:
            seen.add(action.key)
            out.append(action)
    return out
