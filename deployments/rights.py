"""`weaver member export EMAIL` and `weaver member forget EMAIL`: a person's data rights, run by a coordinator.

export: everything the workspace's state holds about one person, as JSON and a readable HTML page, in the
workspace's `exports/` folder (file names carry a short hash, never the address), plus the sheet rows that
hold the address. forget: the same rows erased (`weaver.state.rights`), the workspace's files scrubbed
(reports and previews redacted, outbox messages to or about them and their export files deleted), a keyed
hash kept on the suppression
list, then a check that no row of any table still holds the address or a name, and the sheet rows the
coordinator must delete (member-sync refuses them as forgotten until then). Neither command prints more
personal data than the address the coordinator typed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from weaver.errors import WeaverError

if TYPE_CHECKING:
    from weaver.state import StateDB
    from weaver.state.rights import Found, Person
    from weaver.workspace import Workspace

member_app = typer.Typer(no_args_is_help=True, help="A person's data rights: export what we hold, forget them.")
ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="weaver.toml or its workspace folder")]


@dataclass
class Lookup:
    person: Person
    found: Found
    sheet_rows: list[int]
    tab: str


def _lookup(config: Path, email: str) -> tuple[Workspace, StateDB, Lookup]:
    from flows._runtime import build_tables
    from tasks.members.rights import sheet_rows_of
    from weaver.state import StateDB
    from weaver.state.rights import person_of, rows_about
    from weaver.workspace import Workspace

    ws = Workspace.open(config)
    db = StateDB(ws.state_url)
    person = person_of(db, email)
    found = rows_about(db, person)
    tab = ws.config.members.tab
    grid = build_tables(ws).read_tab(tab)
    rows = sheet_rows_of(grid, ws.config, [person.email], str(ws.root / "weaver.toml")).get(person.email, [])
    return ws, db, Lookup(person, found, rows, tab)


def export_person(config: Path, email: str, out: Path | None = None) -> tuple[Path, Path, int]:
    """Write the export files; returns (json, html, rows found)."""
    from tasks.members.rights import export_document, export_html
    from weaver.clock import utcnow

    ws, db, found = _lookup(config, email)
    document = export_document(found.person, found.found, found.sheet_rows, found.tab, utcnow())
    folder = out or ws.root / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    stem = _stem(found.person.email)
    data, page = folder / f"{stem}.json", folder / f"{stem}.html"
    data.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    network = ws.config.network
    page.write_text(export_html(document, network.default_language, network.name), encoding="utf-8")
    db.close()
    return data, page, found.found.count()


def forget_person(config: Path, email: str) -> tuple[dict[str, int], list[int], str, int]:
    """Erase the person; returns (rows changed by table, sheet rows to delete, tab, rows still found)."""
    from tasks.members.rights import scrub_files
    from weaver.clock import utcnow
    from weaver.state.rights import erase_person, rows_about

    ws, db, found = _lookup(config, email)
    changed = erase_person(db, found.person, found.found, utcnow())
    left = rows_about(db, found.person, by_id=False).count()  # no address or name anywhere now
    db.close()
    files = scrub_files(ws.reports, ws.outbox, ws.root / "exports", found.person.needles, _stem(found.person.email))
    changed.update({f"files: {kind}": n for kind, n in files.items() if n})
    return changed, found.sheet_rows, found.tab, left


def _stem(address: str) -> str:
    """The export files' name: a short hash of the address, never the address."""
    return "member-" + hashlib.sha256(address.encode()).hexdigest()[:12]


@member_app.command("export")
def export(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    config: ConfigOpt = Path("weaver.toml"),
    out: Annotated[Path | None, typer.Option(help="Folder for the files (default: the workspace's exports/)")] = None,
) -> None:
    """Everything the workspace holds about one person: JSON plus a readable HTML page."""
    try:
        data, page, count = export_person(config, email, out)
    except WeaverError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{count} rows about this person")
    typer.echo(f"json: {data}")
    typer.echo(f"page: {page}")


@member_app.command("forget")
def forget(
    email: Annotated[str, typer.Argument(help="The person's email address")],
    config: ConfigOpt = Path("weaver.toml"),
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Erase one person from the state database, ledger payloads and inbox; keep only a keyed hash so the
    address is never added or mailed again; name the sheet rows to delete."""
    if not yes:
        typer.confirm(f"Erase everything about {email} from this workspace? This cannot be undone", abort=True)
    try:
        changed, rows, tab, left = forget_person(config, email)
    except WeaverError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    files = {k: v for k, v in changed.items() if k.startswith("files: ")}
    rows_changed = {k: v for k, v in changed.items() if k not in files}
    for table, count in sorted(rows_changed.items()):
        typer.echo(f"  {table}: {count} rows erased or cleared")
    for kind, count in sorted(files.items()):
        typer.echo(f"  {kind}: {count} files scrubbed or deleted")
    typer.echo(f"{sum(rows_changed.values())} rows changed; {left} rows still mention this person")
    if rows:
        typer.echo(f"now delete row {', '.join(map(str, rows))} of the tab {tab!r} in the members sheet: until then "
                   "member-sync refuses it as forgotten")  # fmt: skip
    else:
        typer.echo(f"the tab {tab!r} holds no row with this address")
    if left:
        raise typer.Exit(1)
