"""decision-rounds, read: the Proposals and Decisions tabs (one read each), members, the responses recorded by
the page, and what earlier runs did (invitations sent, outcomes recorded)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.decisions.decisions import Proposals, parse_proposals
from weaver.config import WeaverConfig
from weaver.state import StateDB, ledger_keys_like
from weaver.state.decisions import responses


@dataclass
class DecisionState:
    proposals: Proposals
    decisions_grid: Grid | None
    members: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    invited: set[str] = field(default_factory=set)
    recorded: set[str] = field(default_factory=set)


def read_decisions(tables: TableBackend, db: StateDB, config: WeaverConfig) -> DecisionState:
    cfg = config.decisions
    names = set(tables.tab_names())
    grid = tables.read_tab(cfg.proposals_tab) if cfg.proposals_tab in names else None
    proposals = parse_proposals(grid, cfg, tables.describe())
    decisions = tables.read_tab(cfg.decisions_tab) if cfg.decisions_tab in names else None
    state = DecisionState(proposals, decisions, db.member_rows("active"))
    state.answers = responses(db, [p.proposal_id for p in proposals.proposals])
    state.invited = {k for k, _ in ledger_keys_like(db, ["decision-invite:"])}
    state.recorded = {k.removeprefix("decision-outcome:") for k, _ in ledger_keys_like(db, ["decision-outcome:"])}
    return state


read_decisions_task = task(name="read-decision-rounds", cache_policy=NO_CACHE)(read_decisions)
