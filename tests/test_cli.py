"""The `weaver` command: bad input ends with exit 1 and one clear line, no traceback."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from weaver.cli import app

runner = CliRunner()


def test_missing_config_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "member-sync", "--config", str(tmp_path / "weaver.toml")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"weaver: {tmp_path / 'weaver.toml'}: no such config file (create one with 'weaver init DIR')"
    ]


def test_unreadable_source_is_one_line(demo_ws: Path) -> None:
    (demo_ws / "network.xlsx").unlink()
    result = runner.invoke(app, ["run", "member-sync", "-c", str(demo_ws)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"weaver: {demo_ws / 'network.xlsx'}: the tables source in {demo_ws / 'weaver.toml'} does not exist"
    )
    assert "Traceback" not in result.output


def test_unknown_flow_and_bad_param(demo_ws: Path) -> None:
    result = runner.invoke(app, ["run", "member-snyc", "-c", str(demo_ws)])
    assert result.output.strip() == "weaver: unknown flow 'member-snyc' (see 'weaver flows')"
    result = runner.invoke(app, ["run", "member-sync", "-c", str(demo_ws), "--param", "oops"])
    assert result.output.strip() == "weaver: --param 'oops': expected key=value"


def test_init_refuses_to_overwrite(demo_ws: Path) -> None:
    result = runner.invoke(app, ["init", str(demo_ws)])
    assert result.exit_code == 1
    assert "exists already" in result.output


def test_flows_lists_the_weekly_cycle() -> None:
    result = runner.invoke(app, ["flows"])
    assert result.exit_code == 0
    assert "* member-sync" in result.output and "* onboarding" in result.output
