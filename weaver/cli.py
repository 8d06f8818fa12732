"""`weaver`: the command line. Runs the same flows as the deployments, without a Prefect server.

Errors we expect (bad config, unreadable source, failed connector) end with exit code 1 and one line on
stderr, no traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from weaver.errors import WeaverError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Network Weaver: run a network's operations.")
ledger_app = typer.Typer(no_args_is_help=True, help="Look at the action ledger.")
app.add_typer(ledger_app, name="ledger")
ties_app = typer.Typer(no_args_is_help=True, help="The weaving ledger: who has met whom.")
app.add_typer(ties_app, name="ties")

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
    if not isinstance(summary, dict):
        typer.echo(f"  {summary}")
        return
    for key, value in summary.items():
        if isinstance(value, dict):
            typer.echo(f"  {key}:" + ("" if value else " none"))
            for sub, count in value.items():
                typer.echo(f"    {sub}: {count}")
        elif isinstance(value, list):
            typer.echo(f"  {key}: " + (", ".join(map(str, value)) or "none"))
        else:
            typer.echo(f"  {key}: {value}")


def preflight(config: Path) -> Path:
    """Validate the config and the tables source before paying Prefect's start-up."""
    from connectors import build_tables
    from weaver.workspace import Workspace

    ws = Workspace.open(config)
    cfg = ws.config.tables
    if cfg.backend in ("workbook", "csv"):
        source = ws.path(cfg.path or "")
        if not source.exists():
            raise WeaverError(f"{source}: the tables source in {ws.root / 'weaver.toml'} does not exist")
    build_tables(ws)
    return ws.root


def run_flows(names: list[str], config: Path, dry_run: bool, params: dict[str, str]) -> dict[str, Any]:
    from flows import FLOWS, load_flow

    for name in names:
        if name not in FLOWS:
            raise WeaverError(f"unknown flow {name!r} (see 'weaver flows')")
    root = preflight(config)
    results: dict[str, Any] = {}
    for name in names:
        results[name] = load_flow(name)(workspace=str(root), dry_run=dry_run, **params)
        _print_summary(name + (" (dry run)" if dry_run else ""), results[name])
    return results


@app.command()
def run(
    flow: Annotated[str, typer.Argument(help="The operation, e.g. member-sync (see 'weaver flows')")],
    config: ConfigOpt = Path("weaver.toml"),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan; change and send nothing")] = False,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="A flow parameter, key=value")] = None,
) -> None:
    """Run one operation now (Prefect's ephemeral mode unless PREFECT_API_URL is set)."""
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
    force: Annotated[bool, typer.Option(help="Overwrite the demo files if they exist")] = False,
) -> None:
    """Create a workspace from the demo template: weaver.toml and a members workbook."""
    from demo.build import create_workspace

    try:
        create_workspace(directory, force=force)
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(f"workspace ready: {directory.resolve()}")
    typer.echo(f"next: edit weaver.toml, then 'weaver run member-sync -c {directory}'")


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Demo workspace")] = Path("demo-network"),
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
) -> None:
    """Run the weekly cycle on the embedded demo network (created if missing), in one process."""
    from demo.build import create_workspace
    from demo.history import seed_history
    from flows import WEEKLY_CYCLE

    try:
        if not (directory / "weaver.toml").exists():
            create_workspace(directory)
            seed_history(directory)  # the demo's recent past: a survey sent four days ago, answers since
            typer.echo(f"created the demo workspace {directory}")
        run_flows(WEEKLY_CYCLE, directory, dry_run, {})
    except WeaverError as exc:
        _fail(str(exc))
    typer.echo(f"\nreports: {(directory / 'reports').resolve()}")


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
        serve_webhooks(Workspace.open(config), host, port)
    except WeaverError as exc:
        _fail(str(exc))


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

    from tasks.ties import save_ties, tie
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
    out: Annotated[Path, typer.Option(help="Where to write Kumu's connections CSV")] = Path("ties-kumu.csv"),
    config: ConfigOpt = Path("weaver.toml"),
) -> None:
    """Write the tie graph as a Kumu connections sheet (From, To, Type, Date, Occasion), by member id."""
    from tasks.ties import kumu_csv, load_ties, new_ties
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    try:
        ws = Workspace.open(config)
        ties = load_ties(StateDB(ws.state_url))
    except WeaverError as exc:
        _fail(str(exc))
    out.write_text(kumu_csv(ties), encoding="utf-8")
    typer.echo(f"{len(ties)} ties written to {out}")
    for period, counts in new_ties(ties, "quarter").items():
        typer.echo(f"  new ties {period}: {sum(counts.values())}")


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    # Before Prefect is imported: its ephemeral server can need more than the 20 s default on a busy machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")  # Chinese output on any terminal
    app()


if __name__ == "__main__":
    main()
