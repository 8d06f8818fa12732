"""README, "Your own network", followed from an empty folder to the first welcome email.

weaver init my-network --name ... --sender ... --weaver-email ...
(replace network.xlsx with your own member list; map its headers in [members.columns])
weaver run member-sync -c my-network --dry-run
weaver run member-sync -c my-network
weaver run onboarding -c my-network
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from connectors.mail import OutboxTransport
from deployments.cli import app
from weaver.clock import network_clock

pytestmark = pytest.mark.usefixtures("prefect_harness")
runner = CliRunner()

# The README's mapping for a sheet with English headers: the two columns onboarding needs are consent and joined.
OUR_COLUMNS = """[members.columns]
name = "Name"
email = "Email"
language = "Language"
joined = "Joined"
consent = "Newsletter OK?"

"""


def our_member_list(path: Path, joined: str, long_ago: str) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Members"
    sheet.append(["Name", "Email", "Language", "Joined", "Newsletter OK?"])
    sheet.append(["Lena Vogel", "lena@riverside.example", "en", joined, "yes"])
    sheet.append(["Omar Haddad", "omar@riverside.example", "en", long_ago, "yes"])
    sheet.append(["Chen Jing", "chen@riverside.example", "zh", long_ago, "yes"])
    book.save(path)


def weaver(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_empty_folder_to_the_first_welcome_email(tmp_path: Path) -> None:
    ws = tmp_path / "my-network"
    weaver("init", str(ws), "--name", "Riverside Commons", "--sender", "hello@riverside.example",
           "--weaver-email", "ana@riverside.example", "--weaver-name", "Ana Weaver", "--timezone", "Europe/Berlin",
           "--language", "en", "--postal-address", "Riverside Commons, 2 River Street, 10115 Berlin")  # fmt: skip
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    assert 'name = "Riverside Commons"' in text and "示范编织网络" not in text.split("[tables]")[0]

    # our own member list replaces the example workbook; its headers are mapped in [members.columns]
    today = network_clock("Europe/Berlin").today
    our_member_list(ws / "network.xlsx", (today - timedelta(days=3)).isoformat(), "2024-03-01")
    text = re.sub(r"\[members\.columns\]\n.*?\n\n", OUR_COLUMNS, text, count=1, flags=re.S)
    config.write_text(text, encoding="utf-8")

    plan = weaver("run", "member-sync", "-c", str(ws), "--dry-run")
    assert "  added: 3" in plan.splitlines()
    weaver("run", "member-sync", "-c", str(ws))
    weaver("run", "onboarding", "-c", str(ws))

    mails = OutboxTransport(ws / "outbox", None).messages()  # type: ignore[arg-type]
    welcomes = [m for m in mails if ":welcome:" in str(m["X-Weaver-Key"])]
    assert [parseaddr(str(m["To"]))[1] for m in welcomes] == ["lena@riverside.example"]  # only the newcomer
    welcome = welcomes[0]
    assert parseaddr(str(welcome["From"])) == ("Riverside Commons", "hello@riverside.example")
    body = welcome.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Riverside Commons" in body and "Demo Weaving Network" not in body
    assert "2 River Street, 10115 Berlin" in body  # our postal address in the footer, never the demo's

    # the send showed its progress in the Prefect UI: a progress artifact, at 100% when done
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterType

    with get_client(sync_client=True) as client:
        bars = client.read_artifacts(artifact_filter=ArtifactFilter(type=ArtifactFilterType(any_=["progress"])))
    assert any(bar.data == 100 and "onboarding: sending" in (bar.description or "") for bar in bars)
