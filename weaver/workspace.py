"""A network's workspace folder: its config, state database, outbox, reports and calendar file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from weaver.config import CONFIG_NAME, WeaverConfig, load_config


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: WeaverConfig

    @classmethod
    def open(cls, config_path: Path | str) -> Workspace:
        """Open the workspace of a `weaver.toml` (or of a folder holding one)."""
        path = Path(config_path).expanduser().resolve()
        if path.is_dir():
            path = path / CONFIG_NAME
        return cls(root=path.parent, config=load_config(path))

    def path(self, relative: str) -> Path:
        """A path inside the workspace (absolute paths pass through)."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else self.root / candidate

    @property
    def state_url(self) -> str:
        return self.config.state.url or f"sqlite:///{self.root / 'weaver.db'}"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def outbox(self) -> Path:
        return self.path(self.config.mail.outbox)

    @property
    def calendar_file(self) -> Path:
        return self.root / "calendar.ics"
