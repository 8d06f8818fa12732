"""finance, read: the Budget and Transactions tabs (one read each; a workspace without them has no budget yet)
and the bank exports in each import's folder."""

from __future__ import annotations

from pathlib import Path

from prefect.cache_policies import NO_CACHE

from connectors.tables import Grid, TableBackend
from tasks.common.prefect_task import task
from tasks.finance.finance import BankFile
from weaver.config import WeaverConfig
from weaver.state import StateDB, ledger_keys_like
from weaver.workspace import Workspace


def read_finance_tabs(tables: TableBackend, config: WeaverConfig) -> tuple[Grid | None, Grid | None]:
    """(budget, transactions), None for a tab the workspace does not have."""
    names = set(tables.tab_names())
    cfg = config.finance
    budget = tables.read_tab(cfg.budget_tab) if cfg.budget_tab in names else None
    transactions = tables.read_tab(cfg.transactions_tab) if cfg.transactions_tab in names else None
    return budget, transactions


def read_bank_files(ws: Workspace, config: WeaverConfig) -> dict[str, list[BankFile]]:
    """Every *.csv of each import's folder, in name order, as text in the export's encoding."""
    found: dict[str, list[BankFile]] = {}
    for imp in config.finance.bank_imports:
        folder = ws.path(imp.folder)
        files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
        found[imp.name] = [_read(path, imp.encoding) for path in files]
    return found


def _read(path: Path, encoding: str) -> BankFile:
    try:
        return BankFile(path.name, path.read_text(encoding=encoding))
    except UnicodeDecodeError:
        return BankFile(path.name, None, "encoding")
    except OSError:
        return BankFile(path.name, None, "unreadable")


def read_imported_ids(db: StateDB) -> set[str]:
    """Ids of bank rows earlier runs appended: a row a coordinator then deleted from the tab stays deleted."""
    return {key.removeprefix("finance-import:") for key, _ in ledger_keys_like(db, ["finance-import:"])}


read_finance_tabs_task = task(name="read-finance-tabs", cache_policy=NO_CACHE)(read_finance_tabs)
read_bank_files_task = task(name="read-bank-files", cache_policy=NO_CACHE)(read_bank_files)
read_imported_ids_task = task(name="read-imported-ids", cache_policy=NO_CACHE)(read_imported_ids)
