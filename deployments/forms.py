"""The run form of a deployment in the Prefect UI, in the network's language.

Prefect builds a deployment's parameter schema from the flow's signature (pydantic): the types give the
widgets (`date` a date picker, `datetime` a date-and-time picker, a `Literal` a choice, `bool` a switch),
but every title is the parameter's own name (`auto_approve`) and the descriptions are the docstring's
English. `parameter_form` rewrites that schema where deployments are built (`runner_deployments` for
`deployments.serve`; `python -m deployments.forms` for the deployments `prefect deploy` made):

- each parameter's title and description come from the catalogue (`param.<name>` and `param.<name>.about`,
  weaver/catalogue/parameters.toml) in the network's language;
- an optional value (`date | None`) is shown as its one type: Prefect's UI would otherwise offer a type
  switch whose "None" choice reads "Property is type 'None'". The null default is left out, so an empty
  field is not sent and the flow's own default (today, the network's setting) applies;
- a date-or-moment parameter (`date | datetime | None`, for operations that take a local time) is one
  date-and-time picker;
- a parameter whose None means "the network's setting" starts at that setting (`config_defaults`).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

from weaver.config import WeaverConfig
from weaver.i18n import t

# Every parameter any flow takes: each has a title (param.<name>) and a description (param.<name>.about) in
# both languages (tests/deployments/test_forms.py checks this list against flows.FLOWS' signatures).
PARAMETERS: tuple[str, ...] = (
    "workspace", "dry_run", "as_of", "auto_approve", "event", "audience", "send_reminders", "event_id",
    "group_size", "group_count", "rounds", "seed", "balance", "keep_together", "keep_apart", "attendees",
    "email_participants", "quarter", "submission", "period", "campaign", "schedule_at", "recompile",
)  # fmt: skip


def config_defaults(config: WeaverConfig) -> dict[str, Any]:
    """Parameters whose None means "the network's setting": the form starts at that setting."""
    return {"email_participants": config.mixing.email_participants}


def parameter_form(schema: dict[str, Any], lang: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parameter schema Prefect made from a flow's signature, readable: titles, descriptions, one type each."""
    form = copy.deepcopy(schema)
    for name, prop in form.get("properties", {}).items():
        moment = _one_type(prop)
        if name in (defaults or {}):
            prop["default"] = (defaults or {})[name]
        if name in PARAMETERS:
            prop["title"] = t(f"param.{name}", lang)
            about = t("param.as_of.moment", lang) if moment and name == "as_of" else t(f"param.{name}.about", lang)
            prop["description"] = about
    return form


def _one_type(prop: dict[str, Any]) -> bool:
    """`anyOf: [X, null]` -> X (in place). Returns whether the choice was a date or a moment (date-time)."""
    options = prop.get("anyOf")
    if not options:
        return False
    kept = [o for o in options if o.get("type") != "null"]
    formats = {o.get("format") for o in kept}
    moment = formats == {"date", "date-time"}
    if moment:
        kept = [o for o in kept if o.get("format") == "date-time"]
    if len(kept) != 1:  # a real choice of types: Prefect's own switch stays
        return False
    del prop["anyOf"]
    prop.update(kept[0])
    if len(kept) < len(options) and prop.get("default", 0) is None:
        del prop["default"]  # an empty field is not sent: the flow's default (None) applies
    return moment


def relabel_served(deployments: list[Any], languages: list[str], defaults: list[dict[str, Any]]) -> None:
    """Rewrite the schema of RunnerDeployments (from `flow.to_deployment`) before they are registered."""
    from prefect.utilities.callables import ParameterSchema

    for deployment, lang, given in zip(deployments, languages, defaults, strict=True):
        schema = deployment._parameter_openapi_schema.model_dump()
        deployment._parameter_openapi_schema = ParameterSchema(**parameter_form(schema, lang, given))


def main(argv: list[str] | None = None) -> int:
    """`python -m deployments.forms -c WORKSPACE` (or `-r networks.toml`) after `prefect deploy`: the forms of
    the network's deployments on the server get their titles and descriptions (in the network's language)."""
    parser = argparse.ArgumentParser(prog="python -m deployments.forms", description=main.__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", type=Path, default=Path("weaver.toml"), help="weaver.toml or its folder")
    parser.add_argument("-r", "--registry", type=Path, help="networks.toml: every network's deployments")
    args = parser.parse_args(argv)
    from deployments import plan_deployments, require_api_url, server
    from deployments.project import registry_workspaces
    from weaver.errors import WeaverError
    from weaver.workspace import Workspace

    try:
        folders = [f for _, f in registry_workspaces(args.registry)] if args.registry else [args.config]
        specs = [spec for folder in folders for spec in plan_deployments(Workspace.open(folder))]
        server.configure_environment()
        require_api_url("python -m deployments.forms")
    except WeaverError as exc:
        print(f"weaver: {exc}", file=sys.stderr)
        return 1
    import asyncio

    changed = asyncio.run(_relabel_on_server(specs))
    print(f"{changed} deployment forms relabelled")
    return 0


async def _relabel_on_server(specs: list[Any]) -> int:
    from prefect import get_client
    from prefect.client.schemas.actions import DeploymentUpdate
    from prefect.exceptions import ObjectNotFound

    changed = 0
    async with get_client() as client:
        for spec in specs:
            try:
                found = await client.read_deployment_by_name(spec.full_name)
            except ObjectNotFound:
                continue
            form = parameter_form(found.parameter_openapi_schema or {}, spec.language, spec.form_defaults)
            update = DeploymentUpdate(parameter_openapi_schema=form)
            await client.update_deployment(found.id, update)
            changed += 1
    return changed


if __name__ == "__main__":
    sys.exit(main())
