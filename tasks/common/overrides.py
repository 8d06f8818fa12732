"""Coordinator-editable wording: a workspace `templates/` folder overrides the package's message templates.

A coordinator copies a message's files from the package's `templates/<lang>/` into the workspace's
`templates/<lang>/` and edits them: `templates/en/event_invite.subject`, `.txt` and optionally `.html`. Each
language is its own override (changing the English invitation leaves the Chinese one as the package has it).
Rules, checked when a run starts (`check_overrides`, from `weaver run`'s preflight before Prefect starts, and
again when an operation opens), all problems in one error that names each file:

- only `zh/` and `en/` folders, and only `.subject`, `.txt` and `.html` files of a message the package has;
- an override of a message needs its `.subject` beside its text; `.html` without `.txt` is refused (the text
  part must say what the HTML part says); a `.txt` without `.html` gets an HTML part made from that text
  (in the package's layout), so the two parts never disagree;
- a template may use only the variables the package's version of that message uses (in any language or
  part, with its layout and includes), and must be valid Jinja.

While an operation runs, `render` (tasks/common/messages.py) prefers the workspace's files (`using`): the
real send, the dry run's previews and the approval previews all show the override.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, TemplateSyntaxError, meta

from weaver.errors import ConfigError

LANGUAGES = ("en", "zh")
PARTS = (".subject", ".txt", ".html")
FOLDER = "templates"
PACKAGE = Path(__file__).resolve().parents[2] / "templates"  # the package's own (tasks.common.messages.TEMPLATES)
_ACTIVE: ContextVar[Path | None] = ContextVar("weaver_template_overrides", default=None)


def workspace_templates(workspace_root: Path) -> Path | None:
    """The workspace's `templates/` folder, when it has one."""
    folder = Path(workspace_root) / FOLDER
    return folder if folder.is_dir() else None


def active() -> Path | None:
    """The override folder of the operation running in this context, if any."""
    return _ACTIVE.get()


@contextmanager
def using(workspace_root: Path, package: Path = PACKAGE) -> Iterator[Path | None]:
    """Check the workspace's overrides and let `render` use them until the block ends."""
    folder = workspace_templates(workspace_root)
    if folder is not None:
        check_overrides(folder, package)
    token = _ACTIVE.set(folder)
    try:
        yield folder
    finally:
        _ACTIVE.reset(token)


def overridden(folder: Path, lang: str, name: str) -> set[str]:
    """Which parts (".subject", ".txt", ".html") of one message the folder overrides in one language."""
    return {part for part in PARTS if (folder / lang / f"{name}{part}").is_file()}


def check_overrides(folder: Path, package: Path = PACKAGE) -> None:
    """One ConfigError listing every problem of the override folder, each naming its file; else nothing."""
    problems: list[str] = []
    env = _package_environment(str(package))
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir() or entry.name not in LANGUAGES:
            problems.append(f"{entry}: only the folders {' and '.join(LANGUAGES)} are read here (one per language)")
            continue
        names: dict[str, set[str]] = {}
        for path in sorted(entry.iterdir()):
            if path.name.startswith("."):
                continue
            if path.suffix not in PARTS or not path.is_file():
                problems.append(f"{path}: not a message template (expected .subject, .txt or .html)")
                continue
            name = path.name.removesuffix(path.suffix)
            if not (package / entry.name / path.name).is_file():
                problems.append(f"{path}: the package has no {entry.name}/{path.name} to override "
                                f"(the names are those in {package / entry.name})")  # fmt: skip
                continue
            names.setdefault(name, set()).add(path.suffix)
            problems += _check_variables(env, path, entry.name, name)
        for name, parts in sorted(names.items()):
            if name.startswith("_"):  # a partial (facts, layout): included by messages, no subject of its own
                continue
            base = entry / name
            if ".subject" not in parts:
                problems.append(f"{base}.subject is missing: an override of {name} needs its subject beside its text")
            if ".html" in parts and ".txt" not in parts:
                problems.append(f"{base}.txt is missing: an override with an HTML part needs its text part too")
    if problems:
        raise ConfigError(f"{folder}: the message templates that override the package's are not usable:\n  - "
                          + "\n  - ".join(problems))  # fmt: skip


def _check_variables(env: Environment, path: Path, lang: str, name: str) -> list[str]:
    source = path.read_text(encoding="utf-8")
    try:
        tree = env.parse(source, name=path.name, filename=str(path))
    except TemplateSyntaxError as exc:
        return [f"{path}:{exc.lineno}: not a valid template ({exc.message})"]
    used = meta.find_undeclared_variables(tree) - {"lang"}
    known = known_variables(env, name)
    unknown = sorted(used - known)
    if not unknown:
        return []
    return [f"{path}: unknown variable{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"(this message knows: {', '.join(sorted(known)) or 'none'})"]  # fmt: skip


def known_variables(env: Environment, name: str) -> set[str]:
    """Every variable the package's version of a message reads, in any language and part, with what it
    extends and includes (a partial: every variable any package template reads)."""
    loader = env.loader
    assert isinstance(loader, FileSystemLoader)
    root = Path(loader.searchpath[0])
    if name.startswith("_"):
        starts = [str(p.relative_to(root)) for p in root.glob("*/*") if p.suffix in PARTS]
    else:
        files = [f"{lang}/{name}{part}" for lang in LANGUAGES for part in PARTS]
        starts = [f for f in files if (root / f).is_file()]
    return _variables(env, tuple(sorted(starts)))


@lru_cache(maxsize=512)
def _variables(env: Environment, starts: tuple[str, ...]) -> set[str]:
    found: set[str] = set()
    todo, seen = list(starts), set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        source = env.loader.get_source(env, current)[0]  # type: ignore[union-attr]
        tree = env.parse(source)
        found |= meta.find_undeclared_variables(tree)
        todo += [t for t in meta.find_referenced_templates(tree) if t]
    return found - {"lang"}


@lru_cache(maxsize=4)
def _package_environment(package: str) -> Environment:
    return Environment(loader=FileSystemLoader(package), trim_blocks=True, lstrip_blocks=True)
