"""The one operation shape, checked on the source: short flow bodies on the runner, nothing copied."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parents[2] / "flows"
MODULES = sorted(p for p in FLOWS.glob("*.py") if not p.name.startswith("_") and p.name != "__init__.py")


def flow_functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(isinstance(d, ast.Call) and getattr(d.func, "id", "") == "flow" for d in node.decorator_list)
    ]


def code_lines(path: Path, fn: ast.FunctionDef) -> int:
    """Lines of the body that hold code: not the docstring, not blank lines, not comment-only lines."""
    body = fn.body[1:] if ast.get_docstring(fn) else fn.body
    first, last = body[0].lineno, fn.end_lineno or body[-1].lineno
    source = path.read_text(encoding="utf-8")
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if first <= token.start[0] <= last and token.type not in (
            tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
        ):  # fmt: skip
            lines.add(token.start[0])
    return len(lines)


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_a_flow_module_is_one_short_flow_on_the_runner(path: Path) -> None:
    [fn] = flow_functions(path)
    assert code_lines(path, fn) <= 30
    tree = ast.parse(path.read_text(encoding="utf-8"))
    helpers = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name != fn.name]
    assert helpers == []  # report builders and helpers live in the operation's package
    assert "Operation(" in ast.unparse(fn)


def test_every_registered_operation_has_its_flow_module() -> None:
    from flows import FLOWS

    assert sorted(target.split(":")[0].removeprefix("flows.") for target, _ in FLOWS.values()) == [
        p.stem for p in MODULES
    ]


@pytest.mark.parametrize("path", MODULES, ids=[p.stem for p in MODULES])
def test_a_flow_sends_only_through_the_runner(path: Path) -> None:
    """The one delivery path (consent, suppression, the approval gate, the ledger) is Operation.send."""
    bypasses = {"deliver", "deliver_task", "approve_send", "resend"}
    imported = {
        alias.asname or alias.name
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported & bypasses == set()
