"""`weaver`: the command line. Runs the same flows as the deployments, in this process, against the local
Prefect server (deployments/server.py: started in the background on first use, then reused).

Errors we expect (bad config, unreadable source, failed connector) end with exit code 1 and one line on
stderr, no traceback.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from deployments.rights import member_app
from weaver.errors import WeaverError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Network Weaver: run a network's operations.")
ledger_app = typer.Typer(no_args_is_help=True, help="Look at the action ledger.")
app.add_typer(ledger_app, name="ledger")
ties_app = typer.Typer(no_args_is_help=True, help="The weaving ledger: who has met whom.")
app.add_typer(ties_app, name="ties")
server_app = typer.Typer(no_args_is_help=True, help="The local Prefect server every command and the UI share.")
app.add_typer(server_app, name="server")
db_app = typer.Typer(no_args_is_help=True, help="The state database (SQLite or PostgreSQL).")
app.add_typer(db_app, name="db")
app.add_typer(member_app, name="member")  # data rights: export, forget (deployments/rights.py)

# Set by main() (the installed `weaver` command): flows run against the local server, started if needed.
# `app` called in-process (the tests' CliRunner, under prefect_harness) keeps whatever Prefect API is current.
_LOCAL_SERVER = False

ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="weaver.toml or its workspace folder")]


def _fail(message: str) -> None:
    typer.echo(f"weaver: {message}", err=True)
    raise typer.Exit(1)


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            _fail(f"--param {pair!r}: expected key=value")
        params[key.strip().replace("-", "_")] = value
    return params


def _print_summary(name: str, summary: Any) -> None:
    typer.echo(f"\n== {name} ==")
    if not isinstance(summary, Mapping):
        typer.echo(f"  {summary}")
        return
    for key, value in summary.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            typer.echo(f"  {key}:" + ("" if value else " none"))
            for sub, count in value.items():
                typer.echo(f"    {sub}: {count}")
        elif isinstance(value, list):
            typer.echo(f"  {key}: " + (", ".join(map(str, value)) or "none"))
        else:
            typer.echo(f"  {key}: {value}")


def preflight(config: Path, flows: list[str] | None = None) -> Path:
    """Validate the config, the tables source, the tabs and columns the flows need and the workspace's own
    message templates, before Prefect starts."""
    from deployments.checks import check_tables
    from flows._runtime import build_tables
    from weaver.workspace import Workspace

    ws = Workspace.open(config)
    cfg = ws.config.tables
    if cfg.backend in ("workbook", "csv"):
        source = ws.path(cfg.path or "")
        if not source.exists():
            raise WeaverError(f"{source}: the tables source in {ws.root / 'weaver.toml'} does not exist")
    check_tables(ws, build_tables(ws), flows or [])
    from tasks.common.overrides import check_overrides, workspace_templates

    wording = workspace_templates(ws.root)  # the coordinator's own message templates: usable, or one clear error
    if wording is not None:
        check_overrides(wording)
    return ws.root


def run_flows(
    names: list[str], config: Path, dry_run: bool, params: dict[str, Any], defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run flows in order. `defaults` go only to flows that take them (the demo's auto_approve)."""
    from deployments.checks import check_params
    from flows import FLOWS, load_flow

    for name in names:
        if name not in FLOWS:
            raise WeaverError(f"unknown flow {name!r} (see 'weaver flows')")
    root = preflight(config, names)
    as_of = params.get("as_of") or (defaults or {}).get("as_of")
    if as_of:  # a bad date is one line now, not a traceback after Prefect's start-up
        from weaver.clock import network_clock
        from weaver.workspace import Workspace

        network_clock(Workspace.open(root).config.network.timezone, as_of)
    targets = {name: load_flow(name) for name in names}
    for name, target in targets.items():
        check_params(name, target.fn, params)
    api_url = _api_url()
    results: dict[str, Any] = {}
    with _run_settings(api_url), _quiet_tracebacks(), _one_client():
        for name, target in targets.items():
            accepted = inspect.signature(target.fn).parameters
            extra = {k: v for k, v in (defaults or {}).items() if k in accepted}
            try:
                results[name] = target(workspace=str(root), dry_run=dry_run, **extra, **params)
            except WeaverError:
                raise
            except Exception as exc:
                if os.environ.get("WEAVER_DEBUG"):
                    raise
                raise WeaverError(
                    f"{name} failed: {type(exc).__name__}: {_first_line(exc)} (the run's log in the Prefect UI "
                    "has the details; WEAVER_DEBUG=1 shows the traceback here)"
                ) from None
            _print_summary(name + (" (dry run)" if dry_run else ""), results[name])
    return results


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


class _NoTraceback:
    """A console filter: Prefect's own lines stay, their tracebacks do not (the run's log keeps them)."""

    def filter(self, record: Any) -> bool:
        if record.exc_info and not os.environ.get("WEAVER_DEBUG"):
            record.exc_info = None
            record.exc_text = None
        return True


@contextmanager
def _quiet_tracebacks() -> Iterator[None]:
    """No Prefect traceback reaches the terminal: our one line says what failed. The API log keeps them (its
    handler, on the flow and task run loggers, formats each record before it reaches the root's console)."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    quiet = _NoTraceback()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def _api_url() -> str | None:
    """The Prefect API the flows report to: PREFECT_API_URL if set (it must answer), else the local server."""
    if not _LOCAL_SERVER:
        return None
    from deployments import server

    url = os.environ.get("PREFECT_API_URL")
    if url:
        if not server.healthy(url, timeout=5):
            raise WeaverError(
                f"the Prefect server at PREFECT_API_URL={url} does not answer "
                "(start it, or unset PREFECT_API_URL to use the local one)"
            )
        return url
    url = server.ensure().api_url
    os.environ["PREFECT_API_URL"] = url  # before Prefect is imported, and for any subprocess
    return url


@contextmanager
def _run_settings(api_url: str | None) -> Iterator[None]:
    """Prefect settings for runs in this process.

    Heartbeats off: Prefect's heartbeat thread sleeps in 1 s steps and every flow run joins it at its end, so
    each run (even `return 1`) waited up to a second. Heartbeats only let a server notice a crashed run of a
    deployment on a worker; a run in this process ends with this command. `make serve`'s runs keep them.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    updates: dict[Any, Any] = {PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    if api_url:
        updates[PREFECT_API_URL] = api_url
    with temporary_settings(updates=updates):
        yield


@contextmanager
def _one_client() -> Iterator[None]:
    """One Prefect API client for every flow run of this command.

    Without it each flow run made its own (22 in `weaver demo`): each loaded the CA bundle for TLS (even for
    http://127.0.0.1), asked the server for its version and opened a new connection. Flow and task engines
    take the client of the SyncClientContext that is open, if any.
    """
    from prefect.context import SyncClientContext

    with SyncClientContext.get_or_create():
        yield


@app.command()
def run(
    flow: Annotated[str, typer.Argument(help="The operation, e.g. member-sync (see 'weaver flows')")],
    config: ConfigOpt = Path("weaver.toml"),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change and send nothing")] = False,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="A flow parameter, key=value")] = None,
) -> None:
    """Run one operation now (on the local Prefect server, started if needed, unless PREFECT_API_URL is set)."""
    try:
        run_flows([flow], config, dry_run, _parse_params(param or []))
    except WeaverError as exc:
        _fail(str(exc))


@app.command("flows")
def list_flows() -> None:
    """List the operations and the weekly cycle."""
    from flows import FLOWS, WEEKLY_CYCLE

    for name, (_target, about) in FLOWS.items():
        mark = "*" if name in WEEKLY_CYCLE else " "
        typer.echo(f"{mark} {name:22} {about}")
    typer.echo("\n* part of the weekly cycle that 'weaver demo' runs")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="The new workspace folder")],
    name: Annotated[str, typer.Option(help="Your network's name, as members see it")] = "",
    sender: Annotated[str, typer.Option(help="The address member mail comes from")] = "",
    sender_name: Annotated[str, typer.Option(help="The name member mail comes from (default: --name)")] = "",
    weaver_email: Annotated[str, typer.Option(help="The network weaver's own address (staff digests)")] = "",
    weaver_name: Annotated[str, typer.Option(help="The network weaver's name")] = "",
    postal_address: Annotated[str, typer.Option(help="The postal address in every member email's footer")] = "",
    timezone: Annotated[str, typer.Option(help="The network's time zone, e.g. Europe/Berlin")] = "",
    language: Annotated[str, typer.Option(help="zh or en: reports and the fallback email language")] = "",
    force: Annotated[bool, typer.Option(help="Overwrite the demo files if they exist")] = False,
) -> None:
    """Create a workspace: weaver.toml (your network's identity; the rest from the demo) and an example workbook.

    Without --name, --sender and --weaver-email, a terminal asks for them; elsewhere the demo's stay."""
    from demo.build import create_workspace
    from weaver.workspace import Workspace

    identity = {"name": name, "sender": sender, "sender_name": sender_name or name, "weaver_email": weaver_email,
                "weaver_name": weaver_name, "timezone": timezone, "language": language}  # fmt: skip
    if sys.stdin.isatty() and not (name or sender or weaver_email):
        identity["name"] = typer.prompt("Your network's name")
        identity["sender_name"] = sender_name or identity["name"]
        identity["sender"] = typer.prompt("The address member mail comes from")
        identity["weaver_email"] = typer.prompt("The network weaver's own address")
        postal_address = postal_address or typer.prompt("The postal address for member email footers", default="")
    if identity["name"] or postal_address:  # a network of its own never keeps the demo's postal address
        identity["postal_address"] = postal_address
    from tasks.common.text import is_valid_email

    for flag in ("sender", "weaver_email"):
        if identity[flag] and not is_valid_email(identity[flag]):
            _fail(f"--{flag.replace('_', '-')} {identity[flag]!r}: not an email address")
    try:
        create_workspace(directory, force=force, identity=identity)
        Workspace.open(directory)  # a bad address or time zone is one line now, not at the first run
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(f"workspace ready: {directory.resolve()}")
    typer.echo(f"next: map your sheet's columns in {directory / 'weaver.toml'}, then "
               f"'weaver run member-sync -c {directory} --dry-run'")  # fmt: skip


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Demo workspace")] = Path("demo-network"),
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    as_of: Annotated[str, typer.Option("--as-of", help="Run the cycle as if on this date, YYYY-MM-DD")] = "",
) -> None:
    """Run the weekly cycle on the embedded demo network (created if missing), in one process."""
    from demo.build import create_workspace
    from demo.history import seed_history
    from flows import DEMO_EXTRAS, WEEKLY_CYCLE

    try:
        if not (directory / "weaver.toml").exists():
            create_workspace(directory)
            seed_history(directory)  # the demo's recent past: a survey sent four days ago, answers since
            typer.echo(f"created the demo workspace {directory}")
        # the demo runs unattended: its sends are approved without pausing for a coordinator
        cycle = [*WEEKLY_CYCLE, *DEMO_EXTRAS]  # then the quarter's impact report, with its map and PDF
        run_flows(cycle, directory, dry_run, {}, defaults={"auto_approve": True, **({"as_of": as_of} if as_of else {})})
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(f"\nreports: {(directory / 'reports' / 'index.html').resolve()} (every run, newest first)")


@app.command()
def webhooks(
    config: ConfigOpt = Path("weaver.toml"),
    host: Annotated[str | None, typer.Option(help="Address to listen on (default: [webhooks] host)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: [webhooks] port)")] = None,
) -> None:
    """Receive form webhooks (POST /hooks/FORM) and start the mapped deployments on the Prefect server."""
    from deployments.webhooks import serve_webhooks
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        _api_url()  # the deployments it starts live on the local server unless PREFECT_API_URL says otherwise
        serve_webhooks(ws, host, port)
    except WeaverError as exc:
        _fail(str(exc))


@app.command("door-link")
def door_link(
    event: Annotated[str, typer.Argument(help="The event's id (one event-invites invited to)")],
    config: ConfigOpt = Path("weaver.toml"),
) -> None:
    """Print the door page's address for EVENT: a QR code walk-ins scan to check in with their email."""
    from deployments.pages.door import DOOR, SUBJECT
    from weaver.links import LinkSigner, link_secret, link_url
    from weaver.state import StateDB
    from weaver.state.checkins import checkin_event
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        db = StateDB(ws.state_url)
        found = checkin_event(db, event)
        if found is None or found["status"] != "scheduled":
            _fail(f"door-link: no event {event!r} that event-invites invited to (or it was cancelled)")
        secret, _ = link_secret(db, ws.config, False, str(ws.root / "weaver.toml"))
        db.close()
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(link_url(ws.config, DOOR, LinkSigner(secret).token(DOOR, SUBJECT, event)))


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = Path("weaver.toml")) -> None:
    """Move the workspace's state database to this weaver's schema (keeps every row; safe to repeat)."""
    from weaver.state import StateDB, migrations
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        db = StateDB(ws.state_url)  # opening applies what is missing, under a lock
        version = migrations.current_version(db.engine)
        db.close()
    except WeaverError as exc:
        _fail(str(exc))
    for step in db.upgraded:
        typer.echo(f"applied {step.version}: {step.name}")
    typer.echo(f"schema version {version} ({db.engine.dialect.name})" + ("" if db.upgraded else ", already current"))


@app.command()
def reconcile(
    config: Annotated[list[Path], typer.Option("--config", "-c", help="a network's weaver.toml or folder (repeat)")],
    every: Annotated[float, typer.Option(help="repeat every SECONDS (0: one pass)")] = 0.0,
    grace: Annotated[float, typer.Option(help="seconds a run without a lease may take to start")] = 900.0,
) -> None:
    """Mark Crashed the flow runs left Running by a killed process (needs PREFECT_API_URL), freeing their slot."""
    import time
    from datetime import timedelta

    from deployments.reconcile import reconcile as reconcile_once
    from weaver.workspace import Workspace

    try:
        workspaces = [Workspace.open(path) for path in config]
        while True:
            done = reconcile_once(workspaces, timedelta(seconds=grace))
            for run_id, why in done.crashed:
                typer.echo(f"crashed {run_id}: {why}")
            typer.echo(f"{len(done.crashed)} crashed, {done.alive} alive, {done.waiting} starting")
            if every <= 0:
                return
            time.sleep(every)
    except WeaverError as exc:
        _fail(str(exc))


@app.command()
def networks(
    registry: Annotated[
        Path, typer.Option("--registry", "-r", help="networks.toml: one [[network]] per workspace")
    ] = Path("networks.toml"),
) -> None:
    """Every network of a registry: its deployments' name, state database, last run, runs now, unknown outcomes."""
    import tomllib

    from deployments import network_slug
    from weaver.ledger import Ledger
    from weaver.state import StateDB
    from weaver.state.runs import network_overview
    from weaver.workspace import Workspace

    try:
        entries = tomllib.loads(registry.read_text(encoding="utf-8")).get("network", [])
    except (OSError, tomllib.TOMLDecodeError) as exc:
        _fail(f"{registry}: {exc}")
    rows = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("workspace"):
            _fail(f"{registry}: network {number} has no 'workspace'")
        try:
            ws = Workspace.open(registry.parent / str(entry["workspace"]))
            db = StateDB(ws.state_url)
            seen = network_overview(db, Ledger(db, "networks").now())
            dialect = db.engine.dialect.name
            db.close()
        except WeaverError as exc:
            _fail(f"{registry}: network {number} ({entry['workspace']}): {exc}")
        last = (
            f"{seen['last_operation']} {seen['last_finished']:%Y-%m-%d %H:%M} UTC" if seen["last_finished"] else "never"
        )
        rows.append(f"{network_slug(ws.config):20} {dialect:10} last: {last:40} running: {seen['running']}"
                    f"  unknown: {seen['unknown']}  ({ws.root})")  # fmt: skip
    for row in rows:
        typer.echo(row)
    typer.echo(f"{len(rows)} networks")


@ledger_app.command("list")
def ledger_list(
    config: ConfigOpt = Path("weaver.toml"),
    status: Annotated[str | None, typer.Option(help="done, failed, retry, unknown, claimed")] = None,
    kind: Annotated[str | None, typer.Option(help="e.g. sheet-write, email")] = None,
) -> None:
    """List ledger entries (keys, status, detail)."""
    from weaver.ledger import Ledger
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        entries = Ledger(StateDB(ws.state_url), "cli").entries(status=status, kind=kind)
    except WeaverError as exc:
        _fail(str(exc))
    for e in entries:
        typer.echo(f"{e['status']:8} {e['kind']:14} {e['key']}  {e['detail'] or ''}")
    typer.echo(f"{len(entries)} entries")


@ledger_app.command("unknown")
def ledger_unknown(config: ConfigOpt = Path("weaver.toml")) -> None:
    """Emails whose outcome is unknown (the sender died while handing them over): check them, then confirm or
    resend. Shows each recipient's name and address on your terminal (never in a log) and its Message-ID."""
    from connectors.mail import message_id
    from weaver.ledger import CLAIMED, HANDED, UNKNOWN, Ledger
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        ledger = Ledger(StateDB(ws.state_url), "cli")
        unknown = ledger.entries(status=UNKNOWN, kind="email")
        held = ledger.entries(status=CLAIMED, kind="email") + ledger.entries(status=HANDED, kind="email")
        live = {e["key"] for e in ledger.live_claims(e["key"] for e in held)}
    except WeaverError as exc:
        _fail(str(exc))
    sender = ws.config.mail.from_address
    for e in unknown:
        about = e["payload"] or {}
        when = e["updated_at"].strftime("%Y-%m-%d %H:%M") if e["updated_at"] else ""
        to = f"{about.get('to_name', '')} <{about.get('to_email', '?')}>".strip()
        typer.echo(f"{e['key']}  {about.get('purpose', '')} to {to} ({about.get('language', '')})  {when}  "
                   f"Message-ID {message_id(e['key'], sender)}")  # fmt: skip
    typer.echo(f"{len(unknown)} emails with an unknown outcome")
    if live:
        runs = ", ".join(sorted({e["run_id"] or "?" for e in held if e["key"] in live}))
        typer.echo(f"{len(live)} more are being sent now (run {runs}): their run holds a live lease")
    dead = [e for e in held if e["key"] not in live]
    if dead:
        handed = sum(e["status"] == HANDED for e in dead)
        typer.echo(f"{len(dead)} more were held by a run that died: rerun the operation to settle them")
        typer.echo(f"  ({len(dead) - handed} never handed over are sent then; {handed} handed over become unknown)")
    if unknown:
        typer.echo(f"check whether they arrived: {_where_to_check(ws)}")
        typer.echo(f"then: weaver ledger confirm KEY... -c {ws.root}   (those that arrived)")
        typer.echo(f"      weaver ledger resend KEY... -c {ws.root}    (those that did not)")


def _where_to_check(ws: Any) -> str:
    """Where an email handed over shows up: the SMTP server's log (by Message-ID), or the outbox folder."""
    mail = ws.config.mail
    if mail.backend == "smtp":
        return f"the log of the SMTP server {mail.host}:{mail.smtp_port}, by Message-ID"
    return f"the outbox folder {ws.outbox} (the files carry the same Message-ID)"


@ledger_app.command("confirm")
def ledger_confirm(
    keys: Annotated[list[str], typer.Argument(help="Keys of unknown emails you checked arrived")],
    config: ConfigOpt = Path("weaver.toml"),
) -> None:
    """Mark unknown emails as delivered after you checked they arrived (server log or outbox, by Message-ID)."""
    from weaver.ledger import UNKNOWN, Ledger
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        ledger = Ledger(StateDB(ws.state_url), "cli")
        found = {e["key"]: e["status"] for e in ledger.entries(kind="email", keys=keys)}
        wanted = [k for k in dict.fromkeys(keys) if found.get(k) == UNKNOWN]
        confirmed = ledger.confirm(wanted)
    except WeaverError as exc:
        _fail(str(exc))
    for key in dict.fromkeys(keys):
        if key not in found:
            typer.echo(f"not confirmed  {key}: no such email in the ledger")
        elif found[key] != UNKNOWN:
            typer.echo(f"not confirmed  {key}: status is {found[key]}, only unknown emails are confirmed")
        else:
            typer.echo(f"confirmed      {key}: delivered")
    typer.echo(f"{confirmed} of {len(set(keys))} confirmed as delivered")
    if confirmed < len(set(keys)):
        raise typer.Exit(1)


@ledger_app.command("resend")
def ledger_resend(
    keys: Annotated[list[str], typer.Argument(help="Keys of emails to send again (see 'weaver ledger unknown')")],
    config: ConfigOpt = Path("weaver.toml"),
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Send again, exactly as recorded, emails you checked did not arrive (unknown or failed ones only)."""
    from flows._runtime import build_mail
    from tasks.common.delivery import resend
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    if not yes and not typer.confirm(f"Send {len(keys)} email(s) again? Recipients who got them will get a copy"):
        raise typer.Exit(1)
    try:
        ws = Workspace.open(config)
        outcome = resend(keys, build_mail(ws), StateDB(ws.state_url))
    except WeaverError as exc:
        _fail(str(exc))
    for key, why in outcome.refused.items():
        typer.echo(f"not resent  {key}: {why}")
    if outcome.delivery is not None:
        result = outcome.delivery.result
        for action in result.done:
            typer.echo(f"resent      {action.key}")
        for action, detail in result.failed:
            typer.echo(f"failed      {action.key}: {detail}")
        for item in outcome.delivery.suppressed:
            typer.echo(f"not resent  {item.message.key}: {item.reason}")
    sent = len(outcome.delivery.result.done) if outcome.delivery else 0
    typer.echo(f"{sent} of {len(keys)} resent")
    if sent < len(keys):
        raise typer.Exit(1)


@ties_app.command("add")
def ties_add(
    first: Annotated[str, typer.Argument(help="A member id (for an introduction: the newcomer)")],
    second: Annotated[str, typer.Argument(help="Another member id, or a weaver's id for a check-in")],
    source: Annotated[str, typer.Option(help="introduction, checkin, buddy or group")] = "introduction",
    on: Annotated[str, typer.Option(help="The date, YYYY-MM-DD (default today)")] = "",
    config: ConfigOpt = Path("weaver.toml"),
) -> None:
    """Log a tie made by hand; an introduction also gets its "did you meet?" ask planned."""
    from datetime import date

    from tasks.common.ties import save_ties, tie
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        day = date.fromisoformat(on) if on else date.today()
        ref = f"intro:{first}:{second}" if source == "introduction" else f"{source}:{first}:{second}:{day.isoformat()}"
        save_ties(StateDB(ws.state_url), [tie(first, second, source, ref, day)])
    except ValueError as exc:
        _fail(str(exc))
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(f"recorded: {first} - {second} ({source}, {day.isoformat()})")
    if source == "introduction":
        due = day.toordinal() + ws.config.engagement.followup_days
        typer.echo(f"'did you meet?' planned for {date.fromordinal(due).isoformat()} (sent by engagement-review)")


@ties_app.command("export")
def ties_export(
    out: Annotated[Path, typer.Option(help="Where to write Kumu's connections CSV (relative to the workspace)")] = Path(
        "reports/ties-kumu.csv"
    ),
    config: ConfigOpt = Path("weaver.toml"),
) -> None:
    """Write the tie graph as a Kumu connections sheet (From, To, Type, Date, Occasion), by member id."""
    from tasks.common.ties import INTRODUCTIONS, kumu_csv, load_ties, new_ties
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        ties = load_ties(StateDB(ws.state_url))
    except WeaverError as exc:
        _fail(str(exc))
    out = ws.path(str(out))  # into the workspace (where engagement-review writes it), not wherever we stand
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(kumu_csv(ties), encoding="utf-8")
    typer.echo(f"{len(ties)} ties written to {out}")
    met, introduced = new_ties(ties, "quarter"), new_ties(ties, "quarter", INTRODUCTIONS)
    for period in sorted(set(met) | set(introduced)):  # meetings, with introductions (not yet meetings) apart
        pairs, intros = sum(met.get(period, {}).values()), sum(introduced.get(period, {}).values())
        typer.echo(f"  new ties {period}: {pairs} met, {intros} introduced")


@server_app.command("start")
def server_start() -> None:
    """Start the local Prefect server in the background (if it is not running) and show where it is."""
    from deployments import server

    try:
        info = server.ensure()
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(f"Prefect server running: UI {info.ui_url}  API {info.api_url}  (pid {info.pid}, home {info.home})")


@server_app.command("url")
def server_url() -> None:
    """Print the local server's API URL, starting it if needed (for PREFECT_API_URL=$(weaver server url))."""
    from deployments import server

    try:
        typer.echo(server.ensure().api_url)
    except WeaverError as exc:
        _fail(str(exc))


@server_app.command("status")
def server_status() -> None:
    """Is the local Prefect server running? Exit 0 if it answers, 1 if not."""
    from deployments import server

    info, state = server.status()
    if info is None:
        typer.echo(f"no local Prefect server (home {server.home_dir()}); the next 'weaver run' starts one")
        raise typer.Exit(1)
    typer.echo(f"{state}: UI {info.ui_url}  API {info.api_url}  (pid {info.pid}, log {info.log})")
    if state != "running":
        raise typer.Exit(1)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local Prefect server (runs and history stay in its database)."""
    from deployments import server

    info = server.stop()
    typer.echo(f"stopped the Prefect server on port {info.port}" if info else "no local Prefect server was running")


def main() -> None:
    global _LOCAL_SERVER
    from deployments.server import configure_environment

    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    configure_environment()  # before Prefect is imported: our home, no telemetry (same as `make`)
    _LOCAL_SERVER = True
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # Chinese output on any terminal
    app()


if __name__ == "__main__":
    main()
