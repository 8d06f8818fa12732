"""A hand-written Starter that records what it was asked to start (and can fail or block on demand)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from weaver.errors import RetriableError


@dataclass
class RecordingStarter:
    down_for: int = 0  # the first N calls find the Prefect API unreachable
    gate: threading.Event | None = None  # when set up, each start waits for the gate (a slow Prefect)
    started: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)
    calls: int = 0

    def start(self, deployment: str, parameters: dict[str, Any], idempotency_key: str) -> str:
        self.calls += 1
        if self.calls <= self.down_for:
            raise RetriableError("Prefect API unreachable (ConnectError)")
        if self.gate is not None:
            self.gate.wait(30)
        self.started.append((deployment, parameters, idempotency_key))
        return f"run-{len(self.started)}"
