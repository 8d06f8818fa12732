"""Every message template, in both languages: no line is ever glued to the next, en and zh have the same shape.

`trim_blocks` (on, so a block tag alone on its line leaves no blank line) also eats the line end after a block
tag that closes a line of text: `your time{% endif %}` + newline + `Where:` rendered `your timeWhere:`. The lint
below forbids that pattern (a line with text may end in `+%}`, which keeps its line end); the render tests run
every template with every optional value present and absent, in en and zh, and compare the line structure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from jinja2 import meta

from connectors.mail import Sender, build_mime, wire_bytes
from tasks.common.audience import parse_audience
from tasks.common.messages import TEMPLATES, environment, render
from tasks.events.calendar import Person
from tasks.events.events import Event, Intent
from tasks.events.messages import Context, message_for

_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.S)
NAMES = sorted(p.name.removesuffix(".subject") for p in (TEMPLATES / "en").glob("*.subject"))
# message templates: the shared layouts and templates/<lang>/ (other folders hold pages served elsewhere)
LANGUAGES = sorted(p.parent.name for p in TEMPLATES.glob("*/*.subject"))
FILES = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".txt", ".html")
               and (p.parent == TEMPLATES or p.parent.name in LANGUAGES))  # fmt: skip


class Value:
    """Stands for any template variable: every attribute, item and loop exists; `on` says whether it is set."""

    def __init__(self, name: str, on: bool) -> None:
        self._name, self._on = name, on

    def __getattr__(self, attr: str) -> Value:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Value(f"{self._name}.{attr}", self._on)

    def __getitem__(self, key: object) -> Value:
        return Value(f"{self._name}[{key}]", self._on)

    def __iter__(self) -> Iterator[Value]:
        return iter([Value(f"{self._name}#{i}", self._on) for i in range(2)] if self._on else [])

    def __len__(self) -> int:
        return 2 if self._on else 0

    def __bool__(self) -> bool:
        return self._on

    def __str__(self) -> str:
        return f"<{self._name}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Value:
        return Value(f"{self._name}()", self._on)

    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return hash(self._name)


def variables(name: str) -> set[str]:
    """Every variable a template reads, through its layouts and includes."""
    env, found, todo, seen = environment(str(TEMPLATES)), set(), [name], set()
    while todo:
        current = todo.pop()
        if current is None or current in seen:
            continue
        seen.add(current)
        tree = env.parse(env.loader.get_source(env, current)[0])  # type: ignore[union-attr]
        found |= meta.find_undeclared_variables(tree)
        todo += [t for t in meta.find_referenced_templates(tree) if t]
    return found - {"lang"}


LAYOUT = variables("_layout.html")  # a layout picked by a variable (`lang ~ "/_layout.html"`) is not followed


def context(name: str, on: bool) -> dict[str, Value]:
    files = [f"{lang}/{name}.{ext}" for lang in ("en", "zh") for ext in ("subject", "txt", "html")]
    names = set().union(*(variables(f) for f in files))
    return {v: Value(v, on) for v in names | LAYOUT}


def glued(text: str) -> list[str]:
    """Lines where a block tag closes a line of text without keeping the line end."""
    bad = []
    for match in _TAG.finditer(text):
        tag = match.group()
        if not tag.startswith("{%") or tag.endswith(("+%}", "-%}")) or text[match.end() : match.end() + 1] != "\n":
            continue
        start = text.rfind("\n", 0, match.start()) + 1
        if _TAG.sub("", text[start : match.end()]).strip():
            bad.append(text[start : match.end()])
    return bad


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_block_tag_eats_the_end_of_a_line_of_text(path: Path) -> None:
    assert glued(path.read_text(encoding="utf-8")) == []


def test_the_lint_sees_the_old_glue() -> None:
    assert glued("When: {{ when }}{% if when_local %}\n  {{ when_local }}{% endif %}\nWhere: x\n")
    assert not glued("When: {{ when }}\n{% if when_local %}\n  {{ when_local }}\n{% endif %}\nWhere: x\n")
    assert not glued("- {{ a }}{% if b %} {{ b }}{% endif +%}\nnext\n")


def _shape(text: str) -> list[str]:
    return ["" if not line.strip() else "text" for line in text.splitlines()]


def _html_shape(html: str) -> list[str]:
    return re.findall(r"</?([a-z0-9]+)", html.split("<body", 1)[-1])


@pytest.mark.parametrize("on", [True, False], ids=["all-set", "none-set"])
@pytest.mark.parametrize("name", NAMES)
def test_every_template_has_the_same_line_structure_in_both_languages(name: str, on: bool) -> None:
    ctx = context(name, on)
    en, zh = render(name, "en", ctx), render(name, "zh", ctx)
    assert (en.language, zh.language) == ("en", "zh")
    assert _shape(en.text) == _shape(zh.text), f"{name}: the en and zh text parts differ in line structure"
    assert _html_shape(en.html) == _html_shape(zh.html), f"{name}: the en and zh HTML parts differ in structure"
    for out in (en, zh):
        assert "\n\n\n" not in out.text, f"{name} ({out.language}): two blank lines in a row"
        assert "\n" not in out.subject


# invitations: the same facts in both parts ------------------------------------------------------------------
ZONE = ZoneInfo("Asia/Shanghai")
EVENT = Event(
    row=2, event_id="ev-1", title="年终圆桌 Year-end roundtable", start=datetime(2026, 12, 18, 19, 0, tzinfo=ZONE),
    end=datetime(2026, 12, 18, 21, 0, tzinfo=ZONE), timezone="Asia/Shanghai", place="https://meet.example.org/roundtable",
    audience=parse_audience("all"), capacity=40, language="", status="scheduled",
    description="带上一个今年的问题。\nBring one question from this year.",
)  # fmt: skip
CTX = Context("示范网络 Demo", "Asia/Shanghai", "zh", Person("hello@weaving.example.org", "示范网络"),
              "weaving.example.org", "https://forms.example.org/rsvp?e={event_id}",
              datetime(2026, 11, 24, 9, 0, tzinfo=ZONE))  # fmt: skip


def member(lang: str) -> dict[str, Any]:
    fields = {"name": "Ana Lima" if lang == "en" else "张伟", "language": lang, "timezone": "Europe/Lisbon"}
    return {"email": f"{lang}@example.org", "fields": fields}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("purpose", ["invite", "update", "reminder", "seat_confirmed", "seat_waitlisted"])
def test_html_and_text_carry_the_same_facts(purpose: str, lang: str) -> None:
    intent = Intent(purpose, "ev-1", "m-1", 0, "1d" if purpose == "reminder" else "")
    msg = message_for(intent, EVENT, member(lang), CTX)
    facts = ["(Asia/Shanghai)" if lang == "en" else "（Asia/Shanghai）", "Europe/Lisbon", "https://meet.example.org/roundtable",
             "带上一个今年的问题。", "Bring one question from this year."]  # fmt: skip
    if purpose != "seat_waitlisted":
        facts.append("https://forms.example.org/rsvp?e=ev-1")
    if purpose in ("invite", "update"):
        facts.append("40")
        facts.append("waiting list" if lang == "en" else "候补名单")
    for fact in facts:
        assert fact in msg.text, f"{purpose}/{lang}: {fact!r} missing from the text part"
        assert fact in msg.html, f"{purpose}/{lang}: {fact!r} missing from the HTML part"


def test_the_invitation_text_has_one_fact_a_line() -> None:
    msg = message_for(Intent("invite", "ev-1", "m-1", 0), EVENT, member("en"), CTX)
    lines = msg.text.splitlines()
    assert lines[4:12] == [
        "When: Fri 18 Dec 2026, 19:00–21:00 (Asia/Shanghai)",
        "      Fri 18 Dec 2026, 11:00–13:00 (Europe/Lisbon) your time",
        "Where: https://meet.example.org/roundtable",
        "Places: 40 (first come, first served; then a waiting list)",
        "",
        "带上一个今年的问题。",
        "Bring one question from this year.",
        "",
    ]
    assert lines[12].startswith("The calendar invitation is attached")
    assert lines[13] == "Please tell us whether you can come: https://forms.example.org/rsvp?e=ev-1"


def test_the_ics_part_says_utf8_so_chinese_survives_a_strict_parser() -> None:
    msg = message_for(Intent("invite", "ev-1", "m-1", 0), EVENT, member("zh"), CTX)
    sender = Sender("hello@weaving.example.org", "示范网络")
    mail = message_from_bytes(wire_bytes(build_mime(msg, sender)), policy=default)
    [attachment] = [p for p in mail.walk() if p.get_filename() == "invite.ics"]
    assert attachment.get_content_charset() == "utf-8"
    assert attachment.get_param("method") == "REQUEST"
    assert "年终圆桌" in attachment.get_payload(decode=True).decode(attachment.get_content_charset())
    [alternative] = [p for p in mail.walk() if p.get_content_type() == "text/calendar" and not p.get_filename()]
    assert alternative.get_content_charset() == "utf-8"
