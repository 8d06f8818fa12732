"""The catalogue (weaver/catalogue/*.toml) against itself and against the code that asks it for texts.

A key the code asks for but the catalogue lacks raises MissingText at run time, in front of a coordinator: these
tests find it first. The code is read with `ast`: literal keys are checked directly, a key built from a variable
must come from a family whose values are declared (DECLARED below names the tuple next to the call).
"""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from deployments.forms import PARAMETERS
from deployments.pages.met import ANSWERS
from tasks.asks_offers.report import SUMMARY_KEYS as ASKS_SUMMARY_KEYS
from tasks.common.approval import APPROVAL_STATES
from tasks.common.delivery import Delivery
from tasks.common.unsubscribe import TOPICS
from tasks.decisions.report import CHOICES as DECISION_CHOICES
from tasks.decisions.report import KINDS as DECISION_KINDS
from tasks.decisions.report import RESULTS as DECISION_RESULTS
from tasks.decisions.report import ROW_PROBLEMS as DECISION_PROBLEMS
from tasks.decisions.report import STATUSES as DECISION_STATUSES
from tasks.decisions.report import SUMMARY_KEYS as DECISION_SUMMARY_KEYS
from tasks.engagement.report import SUMMARY_KEYS
from tasks.engagement.score import STATUSES
from tasks.events.events import CHANGES
from tasks.events.report import CALENDAR_FILE_OUTCOMES, SENT_KINDS
from tasks.fees.report import MEMBER_PROBLEMS, OUTCOMES, PAYMENT_PROBLEMS
from tasks.fees.report import SUMMARY_KEYS as FEE_SUMMARY_KEYS
from tasks.finance.report import BANK_PROBLEMS, ROW_PROBLEMS
from tasks.finance.report import SUMMARY_KEYS as FINANCE_SUMMARY_KEYS
from tasks.funders.report import KINDS as FUNDER_KINDS
from tasks.funders.report import OUTCOMES as FUNDER_OUTCOMES
from tasks.funders.report import ROW_PROBLEMS as FUNDER_PROBLEMS
from tasks.funders.report import SUMMARY_KEYS as FUNDER_SUMMARY_KEYS
from tasks.grants.pipeline import DATE_COLUMNS
from tasks.grants.report import SKIP_REASONS
from tasks.harvest.harvest import CONSENTS as HARVEST_CONSENTS
from tasks.harvest.harvest import RATINGS as HARVEST_RATINGS
from tasks.harvest.harvest import STATUSES as HARVEST_STATUSES
from tasks.harvest.harvest import TAGS as HARVEST_TAGS
from tasks.harvest.report import SUMMARY_KEYS as HARVEST_SUMMARY_KEYS
from tasks.health_digest.plan import SECTIONS as HEALTH_SECTIONS
from tasks.ideas.ideas import ROW_PROBLEMS as IDEA_PROBLEMS
from tasks.ideas.report import STATUSES as IDEA_STATUSES
from tasks.ideas.report import SUMMARY_KEYS as IDEA_SUMMARY_KEYS
from tasks.impact.render import MAP_LEGEND, METRIC_KEYS
from tasks.members.self_service import OUTCOMES as EDIT_OUTCOMES
from tasks.mixing.mix import NOTICE_CODES
from tasks.newsletter.compile import REJECT_REASONS, SECTIONS
from tasks.newsletter.delivery import OUTCOME_KEYS
from tasks.posts.posts import REASONS as POST_REASONS
from tasks.posts.report import SUMMARY_KEYS as POST_SUMMARY_KEYS
from tasks.prompts.report import KINDS as PROMPT_KINDS
from tasks.prompts.report import SUMMARY_KEYS as PROMPT_SUMMARY_KEYS
from tasks.site.plan import LABELS as SITE_LABELS
from tasks.site.plan import PAGES as SITE_PAGES
from tasks.stories.report import STATUSES as STORY_STATUSES
from tasks.stories.report import SUMMARY_KEYS as STORY_SUMMARY_KEYS
from tasks.stories.stories import ANSWERS as STORY_ANSWERS
from tasks.surveys.surveys import SURVEY_STATUSES
from weaver import i18n
from weaver.config import DIRECTORY_FIELDS, STAGES
from weaver.i18n import LANGUAGES, MissingText, catalogue, field_label, t

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("weaver", "tasks", "flows", "connectors", "deployments")

# every key family the code builds from a variable it cannot name statically: pattern -> the declared values
DECLARED: dict[str, Iterable[str]] = {
    "approval.{}": APPROVAL_STATES,
    "eng.reason.{}": STATUSES,
    "eng.s.{}": SUMMARY_KEYS,
    "ask.s.{}": ASKS_SUMMARY_KEYS,
    "sync.edit.{}": EDIT_OUTCOMES,
    "details.lang.{}": ("zh", "en"),
    "details.report.{}": ("asked", "asked_before", "later"),
    "invites.sent.{}": SENT_KINDS,
    "invites.file.{}": CALENDAR_FILE_OUTCOMES,
    "invites.change.{}": CHANGES,
    "event.held_in.{}": LANGUAGES,  # an event's language, once recognised, is zh or en
    "prefs.topic.{}": TOPICS,  # the preference page's topics
    "prefs.language.{}": LANGUAGES,
    "stage.{}": STAGES,
    "grants.{}": SKIP_REASONS,
    "grants.problem.{}": DATE_COLUMNS,
    "mix.notice.{}": NOTICE_CODES,
    "newsletter.section.{}": SECTIONS,
    "newsletter.{}": OUTCOME_KEYS,
    "newsletter.reason.{}": REJECT_REASONS,
    "survey.status.{}": SURVEY_STATUSES,
    "impact.legend.{}": MAP_LEGEND,
    "impact.n.{}": METRIC_KEYS,
    "met.ask.{}": ANSWERS,
    "met.button.{}": ANSWERS,
    "met.done.{}": ANSWERS,
    "fees.s.{}": FEE_SUMMARY_KEYS,
    "fees.problem.{}": PAYMENT_PROBLEMS,
    "fees.member.bad_{}": MEMBER_PROBLEMS,
    "fees.outcome.{}": OUTCOMES,
    "fin.s.{}": FINANCE_SUMMARY_KEYS,
    "fin.problem.{}": ROW_PROBLEMS,
    "fin.bank.{}": BANK_PROBLEMS,
    "funders.s.{}": FUNDER_SUMMARY_KEYS,
    "dec.s.{}": DECISION_SUMMARY_KEYS,
    "ideas.s.{}": IDEA_SUMMARY_KEYS,
    "ideas.status.{}": IDEA_STATUSES,
    "ideas.problem.{}": IDEA_PROBLEMS,
    "ideas.page.{}": ("over_budget", "not_a_number", "unknown_idea"),
    "dec.kind.{}": DECISION_KINDS,
    "dec.status.{}": DECISION_STATUSES,
    "dec.result.{}": DECISION_RESULTS,
    "dec.choice.{}": DECISION_CHOICES,
    "dec.problem.{}": DECISION_PROBLEMS,
    "funders.kind.{}": FUNDER_KINDS,
    "funders.outcome.{}": FUNDER_OUTCOMES,
    "funders.problem.{}": FUNDER_PROBLEMS,
    "site.{}": SITE_LABELS,
    "posts.s.{}": POST_SUMMARY_KEYS,
    "prompts.s.{}": PROMPT_SUMMARY_KEYS,
    "prompts.kind.{}": PROMPT_KINDS,
    "posts.reason.{}": POST_REASONS,
    "site.nav_{}": SITE_PAGES,
    "site.field.{}": DIRECTORY_FIELDS,
    "harvest.s.{}": HARVEST_SUMMARY_KEYS,
    "harvest.tag.{}": HARVEST_TAGS,
    "harvest.consent.{}": HARVEST_CONSENTS,
    "harvest.status.{}": HARVEST_STATUSES,
    "harvest.rating.{}": [str(r) for r in HARVEST_RATINGS],
    "stories.s.{}": STORY_SUMMARY_KEYS,
    "stories.status.{}": STORY_STATUSES,
    "stories.consent.{}": STORY_ANSWERS,
    "stories.consent.done.{}": STORY_ANSWERS,
    "health.section.{}": HEALTH_SECTIONS,
    "param.{}": PARAMETERS,  # the run forms' titles and descriptions (deployments/forms.py)
    "param.{}.about": PARAMETERS,
}
# t(variable) where the variable carries a key written as a literal elsewhere (checked by the literal sweep)
PASS_THROUGH = {
    ("deployments/pages/harvest.py", "_message"),  # self._message(ctx, event, "harvest.page.<x>")
    ("tasks/grants/pipeline.py", "problem_rows"),  # opp.problems: ("column", "grants.problem.<x>")
    ("tasks/mixing/report.py", "row"),  # row("mix.m.<x>", ...)
    ("tasks/surveys/surveys.py", "fail"),  # fail(column, "survey.<x>")
    ("tasks/surveys/responses.py", "_collect_csv"),  # "survey.csv_missing" or "survey.csv_unreadable"
    ("tasks/grants/report.py", "_summary_rows"),  # for key, amounts in (("grants.awarded", ...), ...)
    ("tasks/grants/report.py", "_money_table"),  # _money_table("grants.quarter_table", "col.quarter", ...)
    ("tasks/prompts/plan.py", "_both"),  # _both("prompts.digest.title", languages): one key in every language
}
# families only probed with a default (catalogue().get(...)), never asked of t()
PROBED = {"field.{}"}
# literals that look like a key (an area, a dot) but name a file or a site
NOT_KEYS = {"chat.log", "calendar.ics", "grants.gov"}
# field_label falls back to the field's own name by design (a column the network added): its keys are not checked
TRANSLATORS = ("t",)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _areas() -> set[str]:
    return {key.split(".")[0] for key in catalogue()}


# --- the catalogue itself ------------------------------------------------------------------------------------
def test_every_key_has_both_languages_non_empty() -> None:
    bad = [key for key, texts in catalogue().items() if set(texts) != set(LANGUAGES) or not all(texts.values())]
    assert not bad, f"keys without exactly a non-empty en and zh text: {bad}"


def test_both_languages_take_the_same_placeholders() -> None:
    bad = {key: (_placeholders(x["en"]), _placeholders(x["zh"])) for key, x in catalogue().items()
           if _placeholders(x["en"]) != _placeholders(x["zh"])}  # fmt: skip
    assert not bad


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_formats_with_its_placeholders(lang: str) -> None:
    for key, texts in catalogue().items():
        values = {name: "x" for name in _placeholders(texts[lang])}
        assert t(key, lang, **values), key


def test_a_missing_key_raises_naming_the_key_and_never_returns_it() -> None:
    with pytest.raises(MissingText, match="no.such.key"):
        t("no.such.key", "zh")
    with pytest.raises(LookupError):
        t("newsletter.nope", "en", n=1)


def test_a_language_the_catalogue_lacks_falls_back_to_english() -> None:
    assert t("sync.title", "fr") == t("sync.title", "en") == "Member sync"
    assert t("sync.title", "zh") == "成员同步"


def test_field_label_names_known_fields_and_keeps_the_name_of_others() -> None:
    assert field_label("region", "zh") == "地区"
    assert field_label("favourite_tea", "zh") == "favourite_tea"


def test_the_catalogue_is_read_only() -> None:
    with pytest.raises(TypeError):
        catalogue()["sync.title"] = {"en": "x", "zh": "x"}  # type: ignore[index]


def test_nothing_is_read_at_import_time() -> None:
    """The module defines catalogue() lazily: importing weaver.i18n must not parse the TOML files."""
    tree = ast.parse(Path(i18n.__file__).read_text(encoding="utf-8"))
    calls = [n for n in tree.body if isinstance(n, ast.Expr | ast.Assign) and "catalogue()" in ast.unparse(n)]
    assert not calls


# --- the code against the catalogue ------------------------------------------------------------------------
def _modules() -> Iterator[tuple[str, ast.Module]]:
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _scopes(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """The module and each function, with the name of the innermost function (for PASS_THROUGH)."""
    yield "<module>", tree
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes of a scope, not those of functions nested in it (they are scopes of their own)."""
    for child in ast.iter_child_nodes(scope):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield child
            yield from _own_nodes(child)
        elif isinstance(child, ast.ClassDef):
            yield from _own_nodes(child)


def _strings(node: ast.AST | None) -> list[str] | None:
    """The strings an expression can be, when it is written out: a literal, a tuple/list of them, an if-else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        parts = [_strings(e) for e in node.elts]
        return None if any(p is None for p in parts) else [s for p in parts for s in p or []]
    if isinstance(node, ast.IfExp):
        a, b = _strings(node.body), _strings(node.orelse)
        return None if a is None or b is None else a + b
    return None


def _values_of(name: str, scope: ast.AST) -> list[str] | None:
    """What a local name can be, if every binding of it in the scope is written out (loop over literals too)."""
    bindings: list[ast.AST | None] = []
    assigned: dict[str, ast.AST] = {}
    stores = 0  # every binding of the name, to see that none is one we cannot follow (say `for k, v in ...`)
    for node in _own_nodes(scope):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            stores += 1
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, node.value)
            if node.targets[0].id == name:
                bindings.append(node.value)
        elif isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
            if node.target.id == name:
                it = node.iter
                if isinstance(it, ast.Name) and it.id in assigned:
                    it = assigned[it.id]
                values = _strings(it)
                bindings.append(ast.Tuple([ast.Constant(v) for v in values]) if values is not None else None)
    if not bindings or len(bindings) != stores:
        return None
    parts = [_strings(b) for b in bindings]
    return None if any(p is None for p in parts) else [s for p in parts for s in p or []]


def _pattern(node: ast.JoinedStr) -> str:
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def _from_comprehension(name: str, node: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[str] | None:
    """What `name` is in the innermost comprehension around `node` that binds it over written-out strings."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            for gen in node.generators:
                if isinstance(gen.target, ast.Name) and gen.target.id == name:
                    return _strings(gen.iter)
    return None


def _expand(node: ast.JoinedStr, scope: ast.AST, parents: dict[ast.AST, ast.AST]) -> list[str] | None:
    """Every string an f-string can be, if each value in it is a local name bound to written-out strings."""
    out = [""]
    for part in node.values:
        if isinstance(part, ast.Constant):
            out = [o + str(part.value) for o in out]
            continue
        assert isinstance(part, ast.FormattedValue)
        name = part.value.id if isinstance(part.value, ast.Name) else None
        values = name and (_from_comprehension(name, node, parents) or _values_of(name, scope))
        if values is None:
            return None
        out = [o + v for o in out for v in values]
    return out


def _looks_like_key(text: str, areas: set[str]) -> bool:
    return bool(re.fullmatch(r"[a-z]+\.[^\s]+", text)) and text.split(".")[0] in areas and text not in NOT_KEYS


def _used_keys() -> tuple[set[str], set[str], list[str]]:
    """(keys the code asks for, declared families it uses, problems: uses no test can follow)."""
    areas, keys, families, problems = _areas(), set(), set(), []
    for path, tree in _modules():
        if path == "weaver/i18n.py":
            continue
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        for fn, scope in _scopes(tree):
            for node in _own_nodes(scope):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if _looks_like_key(node.value, areas) and not isinstance(parents.get(node), ast.JoinedStr):
                        keys.add(node.value)
                elif isinstance(node, ast.JoinedStr) and _looks_like_key(_pattern(node), areas):
                    expanded = _expand(node, scope, parents)
                    if expanded is not None:
                        keys.update(expanded)
                    elif _pattern(node) in DECLARED:
                        families.add(_pattern(node))
                    elif _pattern(node) not in PROBED:
                        problems.append(f"{path}:{node.lineno}: key f-string {_pattern(node)!r} is not declared")
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in TRANSLATORS:
                    arg = node.args[0] if node.args else None
                    if isinstance(arg, ast.Name) and _values_of(arg.id, scope) is not None:
                        keys.update(_values_of(arg.id, scope) or [])
                    elif isinstance(arg, ast.Name) and (path, fn) not in PASS_THROUGH:
                        problems.append(f"{path}:{node.lineno}: t({arg.id}) with a key no test can know")
                    elif not isinstance(arg, ast.Name | ast.Constant | ast.JoinedStr):
                        problems.append(f"{path}:{node.lineno}: t({ast.unparse(arg) if arg else ''}) unknowable")
    return keys, families, problems


def test_every_key_the_code_uses_exists() -> None:
    keys, _, problems = _used_keys()
    assert not problems
    missing = sorted(k for k in keys if k not in catalogue())
    assert not missing, f"keys the code asks for that the catalogue lacks: {missing}"


def test_every_declared_family_is_used_and_complete() -> None:
    _, families, _ = _used_keys()
    assert families == set(DECLARED), "a DECLARED family the code no longer builds: remove it"
    missing = sorted(p.format(v) for p, values in DECLARED.items() for v in values if p.format(v) not in catalogue())
    assert not missing, f"declared values without a text: {missing}"


def test_the_newsletter_outcome_is_declared() -> None:
    """flows/newsletter.py puts the Delivery summary (less "planned") in the outcome it labels newsletter.<key>."""
    summary_keys = set(Delivery.summary.__code__.co_consts) & {"sent", "already_sent", "failed", "outcome_unknown",
                                                                 "suppressed", "would_send", "planned"}  # fmt: skip
    assert summary_keys - {"planned"} <= set(OUTCOME_KEYS)
