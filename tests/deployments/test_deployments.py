"""Deployments: every registered operation, scheduled in the network's time zone, one run at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.schemas.objects import ConcurrencyLimitStrategy

from deployments import FALLBACK_SCHEDULE, network_slug, plan_deployments, runner_deployments
from flows import FLOWS, load_flow
from weaver.config import parse_config
from weaver.errors import ConfigError
from weaver.workspace import Workspace


def test_every_registered_flow_is_a_deployment_of_this_network(demo_ws: Path) -> None:
    specs = plan_deployments(Workspace.open(demo_ws))
    assert [s.flow for s in specs] == list(FLOWS)
    by_flow = {s.flow: s for s in specs}
    sync = by_flow["member-sync"]
    assert (sync.full_name, sync.cron, sync.timezone) == ("member-sync/demo", "0 * * * *", "Asia/Shanghai")
    assert sync.tags == ("network:demo", "weaver", "demo", "weekly-cycle")  # the network first: the UI shows it
    assert sync.parameters == {"workspace": str(demo_ws)}
    assert sync.file_entrypoint == "flows/member_sync.py:member_sync"
    assert by_flow["member-intake"].cron == ""  # started by webhooks or by hand


def test_a_flow_registered_later_is_deployed_with_the_fallback_schedule(demo_ws: Path) -> None:
    flows = {**FLOWS, "fresh-op": ("flows.member_sync:member_sync", "Someone's new operation")}
    [spec] = [s for s in plan_deployments(Workspace.open(demo_ws), flows, []) if s.flow == "fresh-op"]
    assert spec.cron == FALLBACK_SCHEDULE and "weekly-cycle" not in spec.tags


def test_a_schedule_for_an_unknown_operation_is_a_config_error(demo_ws: Path) -> None:
    toml = demo_ws / "weaver.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[schedules]\n", '[schedules]\nmember_sync = ""\n'))
    with pytest.raises(ConfigError) as err:
        plan_deployments(Workspace.open(demo_ws))
    assert str(err.value).startswith(f"{toml}: [schedules] key 'member_sync': no such operation (known: member-sync")


def test_the_deployment_name_defaults_to_the_ascii_words_of_the_network_name() -> None:
    named = parse_config({"network": {"name": "Demo Weaving Network 示范编织网络"}, "tables": {"path": "x.xlsx"}})
    assert network_slug(named) == "demo-weaving-network"
    chinese_only = parse_config({"network": {"name": "示范编织网络"}, "tables": {"path": "x.xlsx"}})
    assert network_slug(chinese_only) == "network"


def test_prefect_deployments_keep_schedules_active_and_allow_one_run_at_a_time(demo_ws: Path) -> None:
    deployments = {d.flow_name: d for d in runner_deployments(plan_deployments(Workspace.open(demo_ws)))}
    assert set(deployments) == set(FLOWS)
    sync = deployments["member-sync"]
    assert sync.name == "demo" and sync.paused is False
    [schedule] = sync.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("0 * * * *", "Asia/Shanghai", True)
    for deployment in deployments.values():
        assert deployment.concurrency_limit == 1
        assert deployment.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
        assert deployment.entrypoint == FLOWS[deployment.flow_name][0].replace(":", ".")


@pytest.mark.parametrize("name", list(FLOWS))
def test_the_ui_run_form_explains_every_parameter(name: str) -> None:
    schema = load_flow(name).parameters.model_dump()
    assert {"workspace", "dry_run"} <= set(schema["properties"])
    for parameter, field in schema["properties"].items():
        assert field.get("description", "").strip(), f"{name}: parameter {parameter!r} has no description (Args:)"
        assert field.get("type") or field.get("anyOf") or field.get("$ref"), f"{name}: {parameter!r} is untyped"


def test_prefect_yaml_is_current_and_valid_for_prefect_deploy() -> None:
    import yaml
    from prefect.cli.deploy._models import PrefectYamlModel  # the schema `prefect deploy` reads the file with

    from demo.build import HERE
    from deployments.project import render_prefect_yaml

    committed = (HERE.parent / "prefect.yaml").read_text(encoding="utf-8")
    expected = render_prefect_yaml(plan_deployments(Workspace.open(HERE)), "demo-network", "weaver", "demo")
    assert committed == expected, "prefect.yaml is out of date with flows.FLOWS: run 'make prefect-yaml'"
    model = PrefectYamlModel.model_validate(yaml.safe_load(committed))
    assert [d.entrypoint for d in model.deployments] == [
        f"{t.split(':')[0].replace('.', '/')}.py:{t.split(':')[1]}" for t, _ in FLOWS.values()
    ]
    for deployment in model.deployments:
        assert deployment.concurrency_limit.limit == 1 and deployment.work_pool.name == "weaver"
        assert all(s.timezone == "Asia/Shanghai" for s in deployment.schedules)
