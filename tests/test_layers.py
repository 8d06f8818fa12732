"""The layers: each package imports only the ones below it, so the core stays a leaf and the shape holds.

deployments  (entry points: CLI, serve, webhooks, dispatch)
flows        (the operations, and the composition root flows/_runtime.py)
tasks        (one package per operation, over tasks/common)
connectors   (one module per external service)
weaver       (the core: config, state, ledger, clock, i18n, reports)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["weaver", "connectors", "tasks", "flows", "deployments"]
OPERATIONS = sorted(p.name for p in (ROOT / "tasks").iterdir() if (p / "__init__.py").is_file() and p.name != "common")


def imports_of(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, with its line, including imports inside functions."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_no_import_runs_back_up_the_layers(package: str) -> None:
    above = LAYERS[LAYERS.index(package) + 1 :] + (["demo"] if package != "deployments" else [])
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(package)
        for line, module in imports_of(path)
        if module.split(".")[0] in above
    ]
    assert wrong == []


def test_the_shared_vocabulary_imports_no_operation() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("tasks/common")
        for line, module in imports_of(path)
        if module.startswith("tasks.") and module.split(".")[1] in OPERATIONS
    ]
    assert wrong == []


def test_tasks_hold_one_package_per_operation_plus_common() -> None:
    loose = [p.name for p in (ROOT / "tasks").iterdir() if p.suffix == ".py" and p.name != "__init__.py"]
    assert loose == []
    assert OPERATIONS == sorted(
        [
            "members",
            "intake",
            "onboarding",
            "events",
            "mixing",
            "engagement",
            "grants",
            "surveys",
            "newsletter",
            "asks_offers",
            "details",
            "impact",
            "fees",
            "finance",
            "funders",
            "decisions",
            "ideas",
            "site",
            "posts",
            "prompts",
            "harvest",
            "stories",
            "bounces",
            "health_digest",
        ]
    )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_package_has_the_same_rooms(operation: str) -> None:
    rooms = {p.stem for p in (ROOT / "tasks" / operation).glob("*.py")}
    assert {"read", "plan", "apply", "report"} <= rooms


def test_flows_never_import_a_client_library() -> None:
    clients = {"gspread", "googleapiclient", "mailchimp_marketing", "smtplib", "openpyxl", "apprise", "requests"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("flows")
        for line, module in imports_of(path)
        if module.split(".")[0] in clients
    ]
    assert wrong == []


def test_no_task_module_imports_sqlalchemy() -> None:
    """Tasks call the accessors in weaver/state with plain data: the SQL, and its dialects, live in one place."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources("tasks")
        for line, module in imports_of(path)
        if module.split(".")[0] == "sqlalchemy"
    ]
    assert wrong == []
