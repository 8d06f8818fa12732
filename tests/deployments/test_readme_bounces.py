"""The README's "Compliance: bounces, your own wording, approvers told": every command runs as written, against a
real Prefect server and a real IMAP server (Dovecot) on loopback; the TOML blocks are valid config."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.conftest import PrefectServer
from tests.dsn import make_dsn
from tests.imap import PASSWORD, DovecotServer
from weaver.config import MailConfig

README = Path(__file__).resolve().parents[2] / "README.md"
TITLE = "### Compliance: bounces, your own wording, approvers told"


def section() -> str:
    return README.read_text(encoding="utf-8").split(TITLE, 1)[1].split("\n### ", 1)[0]


def commands() -> list[str]:
    body = re.sub(r"```.*?```", "", section(), flags=re.S)
    return [line.strip() for line in body.splitlines() if line.startswith("    ")]


def toml_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", section(), flags=re.S)


def run(command: str, cwd: Path, env: dict[str, str]) -> str:
    args = shlex.split(command)
    if args[0] == "weaver":
        args = [sys.executable, "-c", "from deployments.cli import main; main()", *args[1:]]
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_toml_blocks_are_valid_config() -> None:
    bounces, approvers = toml_blocks()
    assert MailConfig(**tomllib.loads(bounces)["mail"]).bounces is not None
    assert MailConfig(**tomllib.loads(approvers)["mail"]).approvers[0].language == "zh"


def test_the_commands_run_as_written(
    tmp_path: Path, demo_ws: Path, prefect_server: PrefectServer, dovecot: DovecotServer
) -> None:
    import shutil

    shutil.copytree(demo_ws, tmp_path / "demo-network")
    (tmp_path / "templates").symlink_to(README.parent / "templates")  # run from the checkout, as the README says
    user = dovecot.add_user("readme")
    block = toml_blocks()[0]  # the [mail.bounces] block, pointed at the Dovecot of this test
    block = block.replace('host = "imap.example.org"', f'host = "127.0.0.1"\nport = {dovecot.port}')
    block = re.sub(r'security = "ssl"', 'security = "none"', block)
    block = block.replace('user = "bounces@example.org"', f'user = "{user}"')
    with open(tmp_path / "demo-network" / "weaver.toml", "a", encoding="utf-8") as config:
        config.write("\n" + block)
    dovecot.append(user, make_dsn("bounces+0123456789abcdef0123@example.org", "x@example.org"))
    env = prefect_server.env(WEAVER_BOUNCES_PASSWORD=PASSWORD, PYTHONPATH=str(README.parent))
    env.pop("WEAVER_DEBUG", None)

    dry, real, sync, mkdir, cp, preview = commands()
    assert (dry, real) == ("weaver run bounces -c demo-network --dry-run", "weaver run bounces -c demo-network")
    assert "read: 1" in run(dry, tmp_path, env) and "unmatched: 1" in run(real, tmp_path, env)
    assert "read: 0" in run(real, tmp_path, env)  # the mailbox's cursor moved on
    run(sync, tmp_path, env)
    run(mkdir, tmp_path, env)
    run(cp, tmp_path, env)
    subject = tmp_path / "demo-network" / "templates" / "en" / "details_check.subject"
    subject.write_text("Once a year: is this still right, {{ name }}?", encoding="utf-8")  # the coordinator's edit
    out = run(preview, tmp_path, env)
    index = tmp_path / "demo-network" / "reports" / "previews" / "details-check" / "index.html"
    assert "asked:" in out and "Once a year: is this still right, " in index.read_text(encoding="utf-8")
    assert os.path.islink(tmp_path / "templates")
