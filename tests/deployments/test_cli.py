"""The `weaver` command: bad input ends with exit 1 and one clear line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deployments.cli import app

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


def test_flows_lists_mixing_and_engagement_in_the_weekly_cycle() -> None:
    result = runner.invoke(app, ["flows"])
    assert "* engagement-review" in result.output and "* group-mixer" in result.output


def test_an_introduction_logged_by_hand_is_a_tie_with_a_followup(demo_ws: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["ties", "add", "m-new", "m-old", "--on", "2026-11-02", "-c", str(demo_ws)])
    assert result.exit_code == 0
    assert "'did you meet?' planned for 2026-11-16" in result.output
    out = tmp_path / "ties.csv"
    result = runner.invoke(app, ["ties", "export", "--out", str(out), "-c", str(demo_ws)])
    assert "new ties 2026-Q4: 0 met, 1 introduced" in result.output  # an introduction is not yet a meeting
    assert out.read_text(encoding="utf-8").splitlines()[1] == "m-new,m-old,introduction,2026-11-02,intro:m-new:m-old"


def test_ties_export_writes_into_the_workspace_wherever_it_is_run(
    demo_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ties", "export", "-c", str(demo_ws)])
    assert result.exit_code == 0
    assert (demo_ws / "reports" / "ties-kumu.csv").is_file() and not (tmp_path / "ties-kumu.csv").exists()


def test_an_unknown_tie_source_is_one_line(demo_ws: Path) -> None:
    result = runner.invoke(app, ["ties", "add", "a", "b", "--source", "coffee", "-c", str(demo_ws)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("weaver: unknown tie source 'coffee'")


@pytest.mark.usefixtures("prefect_harness")
def test_a_run_prints_the_summary_as_lines_a_coordinator_reads(demo_ws: Path) -> None:
    result = runner.invoke(app, ["run", "member-sync", "-c", str(demo_ws), "--dry-run", "-p", "as_of=2026-11-24"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "== member-sync (dry run) ==" in lines
    assert any(line.startswith("  added: ") and int(line.split(": ")[1]) > 250 for line in lines)
    assert "Summary(" not in result.output and "report" not in result.output  # a dry run writes no report


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_runs_of_one_command_share_one_prefect_client(demo_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each flow run used to make its own client (a CA bundle load, a version check, a new connection)."""
    from prefect.client.orchestration import SyncPrefectClient

    from deployments.cli import run_flows

    made: list[object] = []
    original = SyncPrefectClient.__init__

    def counting(self: SyncPrefectClient, *args: object, **kwargs: object) -> None:
        made.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(SyncPrefectClient, "__init__", counting)
    results = run_flows(["member-sync", "grant-pipeline"], demo_ws, True, {"as_of": "2026-11-24"})
    assert set(results) == {"member-sync", "grant-pipeline"}
    assert len(made) == 1


def test_a_bad_as_of_is_one_line_before_prefect_starts(demo_ws: Path) -> None:
    result = runner.invoke(app, ["run", "grant-pipeline", "-c", str(demo_ws), "-p", "as_of=24/11/2026"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "weaver: as_of: '24/11/2026' is not a date (2026-11-24), a local time (2026-11-24 18:30) "
        "or a moment with its offset (2026-11-24T10:30+00:00)"
    ]


@pytest.mark.usefixtures("prefect_harness")
def test_replaying_a_day_as_the_readme_shows(demo_ws: Path) -> None:
    """README, "Replaying a day": weaver run grant-pipeline -c my-network --dry-run -p as_of=2026-11-24."""
    result = runner.invoke(app, ["run", "grant-pipeline", "-c", str(demo_ws), "--dry-run", "-p", "as_of=2026-11-24"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "== grant-pipeline (dry run) ==" in lines
    assert "    deadlines_in_reach: 4" in lines  # the demo's deadlines, judged as on its day
    assert "    digests_would_send: 3" in lines and "    digests_sent: 0" in lines


# Checked before Prefect starts (these tests run no flow: no harness, no server) --------------------------
def _edit_config(ws: Path, old: str, new: str) -> None:
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_wrong_tab_name_is_one_line_before_prefect_starts(demo_ws: Path) -> None:
    _edit_config(demo_ws, 'tab = "Members"', 'tab = "Memberz"')
    result = runner.invoke(app, ["run", "member-sync", "-c", str(demo_ws), "--dry-run"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("weaver: network.xlsx: no tab named 'Memberz' ([members] tab); its tabs are: Members, ")


def test_a_wrong_mapped_column_is_one_line_before_prefect_starts(demo_ws: Path) -> None:
    _edit_config(demo_ws, 'email = "邮箱"', 'email = "电邮"')
    result = runner.invoke(app, ["run", "member-sync", "-c", str(demo_ws), "--dry-run"])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith(
        "weaver: network.xlsx: tab 'Members' has no column '电邮' (mapped from [members.columns] email); "
        "its columns are: '姓名', '邮箱'"
    )


def test_bad_param_values_are_one_line_before_prefect_starts(demo_ws: Path) -> None:
    result = runner.invoke(app, ["run", "group-mixer", "-c", str(demo_ws), "-p", "rounds=three"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "weaver: --param rounds='three': input should be a valid integer, unable to parse string as an integer"
    ]
    result = runner.invoke(app, ["run", "newsletter", "-c", str(demo_ws), "-p", "colour=red"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "weaver: --param colour: newsletter has no parameter 'colour' "
        "(it takes: period, as_of, campaign, schedule_at, auto_approve, recompile)"
    ]


def test_init_takes_the_networks_identity_and_refuses_a_bad_one(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "a"), "--sender", "hello at riverside"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["weaver: --sender 'hello at riverside': not an email address"]
    result = runner.invoke(app, ["init", str(tmp_path / "b"), "--timezone", "Mars/Olympus"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"weaver: {tmp_path / 'b' / 'weaver.toml'}: [network] key 'timezone': unknown time zone 'Mars/Olympus'"
    ]
    result = runner.invoke(app, ["init", str(tmp_path / "c"), "--name", "河畔共益网络", "--weaver-name", "Ana"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "c" / "weaver.toml").read_text(encoding="utf-8")
    assert 'name = "河畔共益网络"' in text and 'from_name = "河畔共益网络"' in text and 'weaver_name = "Ana"' in text


def test_ledger_unknown_tells_live_claims_from_dead_ones(demo_ws: Path) -> None:
    from datetime import timedelta

    from weaver.ledger import Action, Ledger
    from weaver.state import StateDB
    from weaver.workspace import Workspace

    db = StateDB(Workspace.open(demo_ws).state_url)
    Ledger(db, "t", run_id="run-a", lease=timedelta(hours=1))._claim([Action("email:x:m-1", "email", "x")])
    Ledger(db, "t", run_id="run-b", lease=timedelta(seconds=-1))._claim([Action("email:x:m-2", "email", "x")])
    result = runner.invoke(app, ["ledger", "unknown", "-c", str(demo_ws)])
    assert result.exit_code == 0, result.output
    assert "1 more are being sent now (run run-a)" in result.output
    assert "1 more were held by a run that died" in result.output
    assert "(1 never handed over are sent then; 0 handed over become unknown)" in result.output


def test_a_bad_template_override_stops_the_run_before_prefect_with_one_error_naming_the_file(demo_ws: Path) -> None:
    folder = demo_ws / "templates" / "en"
    folder.mkdir(parents=True)
    (folder / "details_check.txt").write_text("Hello {{ nme }}\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "details-check", "-c", str(demo_ws), "--dry-run"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert (
        lines[0]
        == f"weaver: {demo_ws / 'templates'}: the message templates that override the package's are not usable:"
    )
    assert lines[1].startswith(f"  - {folder / 'details_check.txt'}: unknown variable nme (this message knows: ")
    assert lines[2] == f"  - {folder / 'details_check'}.subject is missing: an override of details_check needs its " \
                       "subject beside its text"  # fmt: skip
    assert not (demo_ws / "reports").exists()  # nothing ran
