"""What a flow needs at the start of a run, built once from the workspace: config, tables, state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from connectors import build_mail, build_tables
from connectors.mail import MailTransport
from connectors.tables import TableBackend
from weaver.state import StateDB
from weaver.workspace import Workspace


@dataclass
class Runtime:
    ws: Workspace
    tables: TableBackend
    db: StateDB
    dry_run: bool
    _mail: MailTransport | None = field(default=None, repr=False)

    @property
    def lang(self) -> str:
        return self.ws.config.network.default_language

    @property
    def mail(self) -> MailTransport:
        """The configured mail transport, built on first use (flows that send nothing never build it)."""
        if self._mail is None:
            self._mail = build_mail(self.ws)
        return self._mail

    def previews_dir(self, flow: str) -> Path:
        return self.ws.reports / "previews" / flow

    def close(self) -> None:
        self.db.close()


def open_runtime(workspace: str, dry_run: bool = False) -> Runtime:
    ws = Workspace.open(workspace)
    db = StateDB.for_dry_run(ws.state_url) if dry_run else StateDB(ws.state_url)
    return Runtime(ws, build_tables(ws), db, dry_run)
