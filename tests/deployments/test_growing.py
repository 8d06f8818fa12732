"""Every command of the README's "Growing past one machine", run as written (in a copy of the demo network)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PrefectServer
from tests.postgres import PostgresServer

README = Path(__file__).resolve().parents[2] / "README.md"


def section_commands() -> list[str]:
    """The indented command lines of the section (comments dropped)."""
    text = README.read_text(encoding="utf-8")
    body = text.split("## Growing past one machine", 1)[1].split("\n## ", 1)[0]
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    return [line.strip().split("  #", 1)[0].strip() for line in body.splitlines() if line.startswith("    ")]


def test_the_section_lists_the_commands_run_here() -> None:
    assert section_commands() == [
        "weaver db upgrade -c demo-network",  # test_db_upgrade_as_written_on_postgresql
        "weaver reconcile -c demo-network",  # test_reconcile_as_written
        # the rest: tests/deployments/test_workers.py runs them in order, from a folder laid out as said
        "python -m deployments.project -c demo-network --workspace demo-network --pool weaver > prefect.yaml",
        "prefect work-pool create weaver --type process --overwrite",  # safe to repeat
        "prefect --no-prompt deploy --all",
        "prefect worker start --pool weaver --name worker-1",
        "prefect worker start --pool weaver --name worker-2",
        "weaver reconcile -c demo-network --every 30",
        "weaver networks -r networks.toml",  # test_networks_as_written
        # test_one_prefect_yaml_for_every_network_as_written
        "python -m deployments.project -r networks.toml --pool weaver > prefect.yaml",
        "prefect --no-prompt deploy --all",
    ]


def weaver(command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`weaver ...` as a coordinator types it, run with this checkout's code."""
    args = shlex.split(command)
    assert args[0] == "weaver"
    env = {**(env or os.environ), "PYTHONPATH": str(README.parent)}
    code = "from deployments.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )


def test_db_upgrade_as_written_on_postgresql(tmp_path: Path, demo_ws: Path, postgres: PostgresServer) -> None:
    shutil.copytree(demo_ws, tmp_path / "demo-network")
    url = postgres.database("demo")
    with open(tmp_path / "demo-network" / "weaver.toml", "a", encoding="utf-8") as toml:
        toml.write(f'\n[state]\nurl = "{url}"\n')
    done = weaver("weaver db upgrade -c demo-network", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "applied 2: ledger claims" in done.stdout and "(postgresql)" in done.stdout
    assert "already current" in weaver("weaver db upgrade -c demo-network", tmp_path).stdout


@pytest.mark.e2e
def test_reconcile_as_written(tmp_path: Path, demo_ws: Path, prefect_server: PrefectServer) -> None:
    shutil.copytree(demo_ws, tmp_path / "demo-network")
    done = weaver("weaver reconcile -c demo-network", tmp_path, prefect_server.env())
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "0 crashed, 0 alive, 0 starting"


def test_networks_as_written(tmp_path: Path, demo_ws: Path, postgres: PostgresServer) -> None:
    from datetime import timedelta

    from weaver.ledger import Action, Ledger
    from weaver.runs import RunLease
    from weaver.state import StateDB, utcnow

    shutil.copytree(demo_ws, tmp_path / "demo-network")
    shutil.copytree(demo_ws, tmp_path / "north-network")
    north = tmp_path / "north-network" / "weaver.toml"
    url = postgres.database("north")
    text = north.read_text(encoding="utf-8").replace('[deployments]\nname = "demo"', '[deployments]\nname = "north"')
    north.write_text(text + f'\n[state]\nurl = "{url}"\n', encoding="utf-8")
    registry = README.read_text(encoding="utf-8").split("# networks.toml, beside the networks' folders\n", 1)[1]
    (tmp_path / "networks.toml").write_text(registry.split("```", 1)[0], encoding="utf-8")
    db = StateDB(url)  # north: a member-sync finished, a run alive now, an email with an unknown outcome
    db.record_sync_run("member-sync", utcnow() - timedelta(minutes=5), {})
    lease = RunLease.hold(db, "run-n1", "newsletter", lease=timedelta(hours=1))
    Ledger(db, "t", lease=timedelta(seconds=-1))._claim([Action("email:x:m-1", "email", "x")])
    Ledger(db, "t").apply([Action("email:x:m-1", "email", "x")], lambda b: [])  # marks the dead claim unknown
    try:
        done = weaver("weaver networks -r networks.toml", tmp_path)
    finally:
        lease.end()
        db.close()
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "2 networks"
    assert lines[0].startswith("demo ") and "sqlite" in lines[0] and "last: never" in lines[0]
    assert lines[1].startswith("north ") and "postgresql" in lines[1] and "last: member-sync " in lines[1]
    assert "running: 1" in lines[1] and "unknown: 1" in lines[1] and "running: 0  unknown: 0" in lines[0]


CODE = ("flows", "tasks", "connectors", "deployments", "weaver", "templates", "demo")


def two_networks(tmp_path: Path, demo_ws: Path, demo: str, north: str) -> Path:
    """The README's registry beside two networks named `demo` and `north` for Prefect, and this checkout's code."""
    for folder, name in (("demo-network", demo), ("north-network", north)):
        shutil.copytree(demo_ws, tmp_path / folder)
        config = tmp_path / folder / "weaver.toml"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace('[deployments]\nname = "demo"', f'[deployments]\nname = "{name}"'), "utf-8")
    registry = README.read_text(encoding="utf-8").split("# networks.toml, beside the networks' folders\n", 1)[1]
    (tmp_path / "networks.toml").write_text(registry.split("```", 1)[0], encoding="utf-8")
    for name in CODE:
        (tmp_path / name).symlink_to(README.parent / name)
    return tmp_path


def as_written(command: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**(env or os.environ), "PYTHONPATH": str(cwd)}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


REGISTRY_YAML = "python -m deployments.project -r networks.toml --pool weaver > prefect.yaml"


def test_one_prefect_yaml_for_every_network(tmp_path: Path, demo_ws: Path) -> None:
    import yaml
    from prefect.cli.deploy._models import PrefectYamlModel

    from flows import FLOWS

    folder = two_networks(tmp_path, demo_ws, "demo", "north")
    done = as_written(REGISTRY_YAML, folder)
    assert done.returncode == 0, done.stderr
    model = PrefectYamlModel.model_validate(yaml.safe_load((folder / "prefect.yaml").read_text(encoding="utf-8")))
    seen = {(d.entrypoint.split(":")[1], d.name): d for d in model.deployments}
    assert len(seen) == len(model.deployments) == 2 * len(FLOWS)  # every operation of every network, once
    for target, _ in FLOWS.values():
        for name, workspace in (("demo", "demo-network"), ("north", "north-network")):
            d = seen[(target.split(":")[1], name)]
            assert f"network:{name}" in d.tags and d.parameters == {"workspace": workspace}
            assert d.work_pool.name == "weaver"  # one pool for all

    only = as_written("python -m deployments.project -r networks.toml --only member-sync,onboarding", folder)
    assert only.stdout.count("  - name: ") == 4
    config = folder / "north-network" / "weaver.toml"
    config.write_text(config.read_text(encoding="utf-8").replace('name = "north"', 'name = "demo"'), "utf-8")
    clash = as_written(REGISTRY_YAML, folder)
    assert clash.returncode == 1 and "'north-network' and 'demo-network' both deploy as 'demo'" in clash.stderr


@pytest.mark.e2e
def test_one_prefect_yaml_for_every_network_as_written(
    tmp_path: Path, demo_ws: Path, prefect_server: PrefectServer
) -> None:
    """The registry's prefect.yaml, deployed as written onto one process pool of the shared server (the two
    networks have names of their own there: other tests deploy `demo`)."""
    import urllib.error

    from flows import FLOWS
    from tests.processes import prefect_api

    folder = two_networks(tmp_path, demo_ws, "yaml-demo", "yaml-north")
    env = prefect_server.env()
    assert as_written(REGISTRY_YAML, folder, env).returncode == 0
    try:  # the pool the README creates before (test_workers may have made it already on this server)
        prefect_api(prefect_server.api_url, "POST", "/work_pools/", {"name": "weaver", "type": "process"})
    except urllib.error.HTTPError as exc:
        assert exc.code == 409
    done = as_written("prefect --no-prompt deploy --all", folder, env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for flow in FLOWS:
        for name, workspace in (("yaml-demo", "demo-network"), ("yaml-north", "north-network")):
            d = prefect_api(prefect_server.api_url, "GET", f"/deployments/name/{flow}/{name}")
            assert d["work_pool_name"] == "weaver" and f"network:{name}" in d["tags"]
            assert d["parameters"] == {"workspace": workspace}
