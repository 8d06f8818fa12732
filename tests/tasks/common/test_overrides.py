"""Coordinator-editable wording: a workspace templates/ folder overrides the package's message templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasks.common.messages import render
from tasks.common.overrides import check_overrides, using
from weaver.errors import ConfigError

CONTEXT = {"name": "Ana <Li>", "network_name": "Demo Network", "yes_url": "https://x.org/y", "not_yet_url": "https://x.org/n",
           "other": {"name": "张伟"}}  # fmt: skip


def override(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / "templates" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_an_override_replaces_the_wording_in_its_language_and_the_html_part_follows_the_text(tmp_path: Path) -> None:
    package_en = render("intro_followup", "en", CONTEXT)
    package_zh = render("intro_followup", "zh", CONTEXT)
    ws = override(tmp_path, {
        "en/intro_followup.subject": "Did you and {{ other.name }} meet, {{ name }}?",
        "en/intro_followup.txt": "Hi {{ name }},\n\nA quick one: did you meet {{ other.name }}?\nYes: {{ yes_url }}\n\n"
                                 "{{ network_name }}\n",
    })  # fmt: skip
    with using(ws):
        en = render("intro_followup", "en", CONTEXT)
        zh = render("intro_followup", "zh", CONTEXT)
    assert en.subject == "Did you and 张伟 meet, Ana <Li>?"
    assert en.text == "Hi Ana <Li>,\n\nA quick one: did you meet 张伟?\nYes: https://x.org/y\n\nDemo Network\n"
    # the HTML part says the same, escaped, paragraph by paragraph, in the common layout
    assert ">Hi Ana &lt;Li&gt;,</p>" in en.html and "did you meet 张伟?<br>Yes: https://x.org/y</p>" in en.html
    assert '<html lang="en">' in en.html and package_en.html != en.html
    assert zh == package_zh  # the Chinese message is the package's until someone overrides it too
    assert render("intro_followup", "en", CONTEXT) == package_en  # outside a run that uses the workspace


def test_an_override_with_its_own_html_part_may_use_the_layout(tmp_path: Path) -> None:
    ws = override(tmp_path, {
        "zh/intro_followup.subject": "{{ name }}，见过{{ other.name }}了吗？",
        "zh/intro_followup.txt": "{{ name }}，您好！见过{{ other.name }}了吗？\n",
        "zh/intro_followup.html": '{% extends "zh/_layout.html" %}{% block body %}<p class="mine">{{ name }}</p>'
                                  "{% endblock %}",
    })  # fmt: skip
    with using(ws):
        zh = render("intro_followup", "zh", CONTEXT)
    assert zh.subject == "Ana <Li>，见过张伟了吗？" and '<p class="mine"' in zh.html and "Ana &lt;Li&gt;" in zh.html


def test_every_problem_is_one_error_naming_each_file(tmp_path: Path) -> None:
    ws = override(tmp_path, {
        "en/intro_followup.txt": "Hi {{ nickname }}, see {{ yes_url }} {{ member.email }}\n",  # no subject
        "en/details_check.subject": "Check {{ network_name }}",
        "en/details_check.html": "<p>{{ name }}</p>",  # html without its text
        "en/welcome_pack.txt": "Hello\n",  # no such message
        "zh/event_invite.txt": "{% if title %}{{ title }}\n",  # not valid Jinja
        "fr/event_invite.txt": "Bonjour\n",
    })  # fmt: skip
    folder = ws / "templates"
    with pytest.raises(ConfigError) as caught:
        check_overrides(folder)
    message = str(caught.value)
    assert message.startswith(f"{folder}: the message templates that override the package's are not usable:")
    assert f"{folder / 'en' / 'intro_followup.txt'}: unknown variables member, nickname (this message knows: " \
           "name, network_name, not_yet_url, other, yes_url)" in message  # fmt: skip
    assert (
        f"{folder / 'en' / 'intro_followup'}.subject is missing: an override of intro_followup needs its subject"
        in message
    )
    assert f"{folder / 'en' / 'details_check'}.txt is missing" in message
    assert f"{folder / 'en' / 'welcome_pack.txt'}: the package has no en/welcome_pack.txt to override" in message
    assert f"{folder / 'zh' / 'event_invite.txt'}:1: not a valid template" in message
    assert f"{folder / 'fr'}: only the folders en and zh are read here" in message
    with pytest.raises(ConfigError):
        with using(ws):
            pass


def test_a_subject_only_override_and_a_partial_are_fine(tmp_path: Path) -> None:
    ws = override(tmp_path, {
        "en/intro_followup.subject": "Met {{ other.name }} yet?",
        "en/_event_facts.txt": "When: {{ when }}\nWhere: {{ place }}\n",
    })  # fmt: skip
    check_overrides(ws / "templates")
    with using(ws):
        en = render("intro_followup", "en", CONTEXT)
    assert en.subject == "Met 张伟 yet?" and en.text == render("intro_followup", "en", CONTEXT).text
