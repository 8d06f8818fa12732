"""The run forms the Prefect UI shows (deployments/forms.py), from the schemas Prefect builds: no server needed.

What a coordinator sees on "Run > Custom run" is the deployment's parameter schema: each field's title and
description, and a widget picked by its type (a date picker for `format: date`, a choice for `enum`).
"""

from __future__ import annotations

import inspect
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from prefect.utilities.callables import parameter_schema
from prefect.utilities.schema_tools import validate

from deployments import plan_deployments, runner_deployments
from deployments.forms import PARAMETERS, parameter_form
from flows import FLOWS, load_flow
from weaver.errors import WeaverError
from weaver.i18n import LANGUAGES
from weaver.workspace import Workspace

# operations that take a local time as well as a day (their as_of is a date-and-time picker)
MOMENT_FLOWS = {"site", "social-posts", "event-invites", "chat-prompts"}
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")


def _nulls(node: Any) -> list[Any]:
    """Every `{"type": "null"}` choice anywhere in a schema: each is a "Property is type 'None'" in the UI."""
    if isinstance(node, dict):
        here = [node] if node.get("type") == "null" else []
        return here + [n for v in node.values() for n in _nulls(v)]
    if isinstance(node, list):
        return [n for v in node for n in _nulls(v)]
    return []


@pytest.fixture(scope="module")
def schemas() -> dict[str, dict[str, Any]]:
    return {name: parameter_schema(load_flow(name)).model_dump() for name in FLOWS}


def test_every_parameter_of_every_operation_has_a_title_and_description_in_both_languages() -> None:
    taken = {p for name in FLOWS for p in inspect.signature(load_flow(name).fn).parameters}
    assert taken == set(PARAMETERS)  # tests/weaver/test_i18n.py checks param.<name> and .about exist in en and zh


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_field_reads_in_plain_words_with_one_type(schemas: dict[str, dict[str, Any]], lang: str) -> None:
    for name, schema in schemas.items():
        form = parameter_form(schema, lang, {"email_participants": False})
        assert not _nulls(form), f"{name}: a None choice is left"
        assert list(form["properties"]) == list(schema["properties"])  # same parameters, same order
        for param, prop in form["properties"].items():
            title, about = prop["title"], prop["description"]
            assert title != param and not SNAKE.match(title), f"{name}.{param}: {title!r}"
            assert about and "anyOf" not in prop, f"{name}.{param}"
            if lang == "zh":
                assert re.search(r"[\u4e00-\u9fff]", title + about), f"{name}.{param}: not Chinese"


def test_dates_are_date_pickers_and_moments_date_and_time_pickers(schemas: dict[str, dict[str, Any]]) -> None:
    for name, schema in schemas.items():
        as_of = parameter_form(schema, "en")["properties"]["as_of"]
        want = "date-time" if name in MOMENT_FLOWS else "date"
        assert (as_of["type"], as_of["format"]) == ("string", want), name
        assert "default" not in as_of  # empty: not sent, so the flow's default (today) applies
    schedule_at = parameter_form(schemas["newsletter"], "en")["properties"]["schedule_at"]
    assert (schedule_at["type"], schedule_at["format"]) == ("string", "date-time")


def test_enumerated_values_are_choices(schemas: dict[str, dict[str, Any]]) -> None:
    campaign = parameter_form(schemas["newsletter"], "zh")["properties"]["campaign"]
    assert campaign["enum"] == ["draft", "schedule", "send"] and campaign["default"] == "draft"
    assert campaign["title"] == "Mailchimp 发送方式"


def test_a_value_that_defaults_to_the_network_s_setting_starts_at_it(schemas: dict[str, dict[str, Any]]) -> None:
    on = parameter_form(schemas["group-mixer"], "en", {"email_participants": True})["properties"]
    assert on["email_participants"]["type"] == "boolean" and on["email_participants"]["default"] is True
    assert on["email_participants"]["title"] == "Email participants their groups"


def test_what_the_form_sends_is_valid_and_the_flows_take_it(schemas: dict[str, dict[str, Any]]) -> None:
    """The server checks run parameters against the schema: an empty form and a picked date both pass."""
    form = parameter_form(schemas["member-sync"], "zh")
    for sent in ({}, {"workspace": "demo", "as_of": "2026-11-24", "dry_run": True}):
        assert validate(sent, form, raise_on_error=False, ignore_required=False) == [], sent
    assert load_flow("member-sync").validate_parameters({"as_of": "2026-11-24"})["as_of"] == date(2026, 11, 24)
    moment = load_flow("chat-prompts").validate_parameters({"as_of": "2026-11-25 15:00"})["as_of"]
    assert moment == datetime(2026, 11, 25, 15, 0)  # a local time, as `-p as_of=...` and the tests give it
    picked = load_flow("chat-prompts").validate_parameters({"as_of": "2026-11-25T07:00:00.000Z"})["as_of"]
    assert picked.utcoffset() is not None  # the UI's picker sends a moment with its offset


def test_served_deployments_carry_the_network_s_form(demo_ws: Path) -> None:
    specs = [s for s in plan_deployments(Workspace.open(demo_ws)) if s.flow in ("member-sync", "newsletter")]
    assert {s.language for s in specs} == {"zh"}  # the demo network's language
    by_flow = {d.flow_name: d for d in runner_deployments(specs)}
    sync = by_flow["member-sync"]._parameter_openapi_schema.model_dump()["properties"]
    assert sync["as_of"]["title"] == "按此日期运行" and sync["as_of"]["format"] == "date"
    assert sync["dry_run"]["title"] == "试运行（不做任何更改）"
    news = by_flow["newsletter"]._parameter_openapi_schema.model_dump()
    assert not _nulls(news) and news["properties"]["campaign"]["enum"] == ["draft", "schedule", "send"]


def test_group_mixer_s_balance_is_a_choice_of_the_attributes_and_takes_the_command_line_s_text(
    schemas: dict[str, dict[str, Any]],
) -> None:
    from typing import get_args

    from deployments.checks import check_params
    from tasks.mixing.plan import BalanceField
    from weaver.config import BALANCE_FIELDS

    assert get_args(BalanceField) == BALANCE_FIELDS
    balance = parameter_form(schemas["group-mixer"], "zh")["properties"]["balance"]
    assert balance["type"] == "array" and balance["items"]["enum"] == list(BALANCE_FIELDS)
    assert balance["default"] == ["region", "org_type", "language", "newcomer"] and balance["title"] == "均衡分布"
    mixer = load_flow("group-mixer")
    assert mixer.validate_parameters({"balance": "region， language"})["balance"] == ["region", "language"]
    assert mixer.validate_parameters({"balance": ["timezone"]})["balance"] == ["timezone"]
    assert mixer.validate_parameters({"balance": ""})["balance"] == []  # none: no balancing
    check_params("group-mixer", mixer.fn, {"balance": "region,language"})  # -p balance=region,language
    with pytest.raises(WeaverError, match="--param balance='region,colour'"):
        check_params("group-mixer", mixer.fn, {"balance": "region,colour"})
