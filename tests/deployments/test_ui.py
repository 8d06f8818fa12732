"""The Prefect UI a coordinator uses, in headless Chromium, against a real local Prefect server (with its UI)
serving our deployments: what it shows is what README's "Using the Prefect UI" says, and the screenshots
there are taken here (docs/ui-*.png).

One whole-UI test (slow: a server, `deployments.serve`, the receiver, two flow runs, a browser); the forms'
rules are tested without a server in tests/deployments/test_forms.py.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prefect.utilities.callables import parameter_schema

from demo.build import create_workspace
from deployments import plan_deployments
from flows import load_flow
from tests.browser import browse, dump_dom, png_facts
from tests.conftest import DEMO_DAY
from tests.processes import RETRIED, Background, free_port, http_ok, prefect_api
from weaver.i18n import t
from weaver.workspace import Workspace

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
SECRETS = {"WEAVER_JOIN_FORM_SECRET": "ui-join-secret", "WEAVER_RSVP_FORM_SECRET": "ui-rsvp-secret"}  # the receiver's
SHOTS = {"deployments": "ui-deployments.png", "form": "ui-run-form.png", "approval": "ui-approval.png"}

# elements of the UI, found as a person finds them: by what they read
MENU = "[...document.querySelectorAll('button')].find(b => b.getAttribute('aria-label') === 'Open menu' || (b.innerText || '').trim() === 'Open menu')"  # noqa: E501
MENU_ITEM = "[...document.querySelectorAll('[role=menuitem]')].find(e => e.innerText.trim() === %s)"
BUTTON = "[...document.querySelectorAll('button, [role=combobox]')].find(e => (e.innerText || '').trim() === %s)"


def _state(api: str, run_id: str) -> str:
    return str(prefect_api(api, "GET", f"/flow_runs/{run_id}")["state"]["type"])


def _wait_state(api: str, run_id: str, wanted: set[str], timeout: float = 400) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _state(api, run_id)
        if state in wanted:
            return state
        if state in {"FAILED", "CRASHED", "CANCELLED"}:
            raise AssertionError(f"flow run {run_id} ended {state}")
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} never reached {wanted} (still {_state(api, run_id)})")


def _patch(url: str, body: dict[str, Any], tries: int = 6) -> None:
    """PATCH answers 204 without a body (prefect_api reads one); a busy server's 503 is retried as prefect_api
    retries it (SQLite locked while `serve` writes: it failed so once in a full run under load)."""
    for attempt in range(tries):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PATCH",
                                         headers={"content-type": "application/json"})  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                assert reply.status == 204
                return
        except urllib.error.HTTPError as exc:
            if exc.code not in RETRIED or attempt == tries - 1:
                raise
        time.sleep(0.5 * 2**attempt)


def _start_run(api: str, deployment_id: str, **parameters: Any) -> str:
    return str(
        prefect_api(api, "POST", f"/deployments/{deployment_id}/create_flow_run", {"parameters": parameters})["id"]
    )


def test_the_prefect_ui_reads_in_plain_words_and_the_readme_shows_it(tmp_path: Path) -> None:
    ws = create_workspace(tmp_path / "ws")
    hooks_port, port = free_port(), free_port()
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8").replace(
        "approval_threshold = 50", "approval_threshold = 1\napproval_poll_seconds = 1"
    )
    config.write_text(text + f'\n[links]\nbase_url = "http://127.0.0.1:{hooks_port}"\n', encoding="utf-8")
    assert f"127.0.0.1:{hooks_port}" in Workspace.open(ws).config.links.base_url
    specs = {s.flow: s for s in plan_deployments(Workspace.open(ws))}

    home = tmp_path / "prefect-home"
    home.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    base.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    ui, api = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/api"
    # the server as `weaver server start` starts it (its UI asks the API on this port), without the scheduler:
    # only the runs this test starts run
    server_env = {**base, "PREFECT_SERVER_API_PORT": str(port), "PREFECT_SERVER_UI_SHOW_PROMOTIONAL_CONTENT": "false"}
    prefect = str(Path(sys.executable).with_name("prefect"))
    server = Background([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
                        server_env, tmp_path / "server.log")  # fmt: skip
    started: list[Background] = [server]
    try:
        server.wait_for(lambda: http_ok(f"{api}/health"), "prefect server start", timeout=240)
        client_env = {**base, "PREFECT_API_URL": api, "PREFECT_RUNNER_POLL_FREQUENCY": "1", **SECRETS}
        serve = Background(
            [sys.executable, "-m", "deployments.serve", "-c", str(ws)], client_env, tmp_path / "serve.log"
        )
        started.append(serve)
        weaver = str(Path(sys.executable).with_name("weaver"))
        hooks = Background([weaver, "webhooks", "-c", str(ws), "--port", str(hooks_port)], client_env,
                           tmp_path / "hooks.log")  # fmt: skip
        started.append(hooks)
        last = specs["health-digest"] if "health-digest" in specs else list(specs.values())[-1]
        serve.wait_for(lambda: http_ok(f"{api}/deployments/name/{last.full_name}"), "deployments.serve", timeout=300)
        hooks.wait_for(lambda: http_ok(f"http://127.0.0.1:{hooks_port}/health"), "weaver webhooks", timeout=120)

        # what `prefect deploy` makes (the schema straight from the signature: names as titles, "type": "null"
        # choices) is relabelled the same way: one deployment is given that raw schema, then the command runs
        raw = parameter_schema(load_flow("group-mixer")).model_dump()
        mixer_id = prefect_api(api, "GET", f"/deployments/name/{specs['group-mixer'].full_name}")["id"]
        _patch(f"{api}/deployments/{mixer_id}", {"parameter_openapi_schema": raw})
        again = prefect_api(api, "GET", f"/deployments/{mixer_id}")["parameter_openapi_schema"]
        assert again["properties"]["email_participants"]["title"] == "email_participants"  # as prefect deploy has it
        relabel = Background([sys.executable, "-m", "deployments.forms", "-c", str(ws)], client_env,
                             tmp_path / "forms.log")  # fmt: skip
        relabel.finish("python -m deployments.forms", timeout=240)
        assert f"{len(specs)} deployment forms relabelled" in relabel.log.read_text(encoding="utf-8")

        deployed = {
            flow: prefect_api(api, "GET", f"/deployments/name/{spec.full_name}") for flow, spec in specs.items()
        }
        for flow, deployment in deployed.items():  # every form, as the API gives it to the UI
            schema = json.dumps(deployment["parameter_openapi_schema"], ensure_ascii=False)
            assert '"type": "null"' not in schema, flow  # no "Property is type 'None'"
            for name, prop in deployment["parameter_openapi_schema"]["properties"].items():
                assert prop["title"] != name and re.search(r"[\u4e00-\u9fff]", prop["title"]), (flow, name)

        # a member-sync, then an onboarding that pauses for approval (threshold 1)
        sync = _start_run(api, deployed["member-sync"]["id"], as_of=DEMO_DAY.isoformat())
        _wait_state(api, sync, {"COMPLETED"})
        paused = _start_run(api, deployed["onboarding"]["id"], as_of=DEMO_DAY.isoformat())
        _wait_state(api, paused, {"PAUSED"})

        DOCS.mkdir(exist_ok=True)
        with browse(f"{ui}/v2/deployments", width=1280, height=860) as tab:
            # the deployment list: each operation under the network's name, tagged network:<name>
            network = f"network:{specs['onboarding'].name}"  # the first tag, shown in the list
            listed = f"['onboarding', 'member-sync', '{network}'].every(w => document.body.innerText.includes(w))"
            tab.wait_for(listed, "the deployments", timeout=120)
            time.sleep(1)  # fonts and the activity bars settle
            tab.screenshot(DOCS / SHOTS["deployments"])

            # a run form: titles in the network's language, a date picker, a choice; no parameter's own name
            newsletter = deployed["newsletter"]
            tab.goto(f"{ui}/v2/deployments/deployment/{newsletter['id']}/run")
            tab.wait_for("document.body.innerText.includes('按此日期运行')", "the newsletter's run form", timeout=120)
            time.sleep(1)
            shown = tab.text()
            for prop in newsletter["parameter_openapi_schema"]["properties"].values():
                assert prop["title"] in shown and prop["description"] in shown, prop["title"]
            for name in newsletter["parameter_openapi_schema"]["properties"]:
                assert not re.search(rf"(?<!\w){name}(?!\w)", shown), name
            assert "Pick a date" in shown  # as_of: the date picker
            assert "Property is type" not in shown
            tab.screenshot(DOCS / SHOTS["form"])
            # campaign: a choice of its three values (the button showing "draft" opens them)
            assert tab.click(BUTTON % json.dumps("draft"))
            choices = "[...document.querySelectorAll('[role=option]')].map(e => e.innerText.trim()).join('|')"
            assert tab.wait_for(choices, "the campaign's options", timeout=30) == "draft|schedule|send"

            # the older UI (Prefect's "Switch to V1 UI"), where a None choice used to read "Property is type 'None'"
            mixer = deployed["group-mixer"]
            tab.goto(f"{ui}/deployments/deployment/{mixer['id']}/run")
            tab.wait_for(
                "document.body.innerText.includes('邮件通知参与者分组')", "group-mixer's form (V1 UI)", timeout=120
            )
            assert "Property is type" not in tab.text() and "email_participants (Optional)" not in tab.text()
            tab.goto(f"{ui}/v2/deployments/deployment/{mixer['id']}/run")
            tab.wait_for("document.body.innerText.includes('均衡分布')", "group-mixer's form", timeout=120)
            # balance: a multi-select of the attributes, the default ones chosen (shown as chips under its description)
            balance = tab.text().split("均衡分布", 1)[1].split("安排在同一组", 1)[0]
            defaults = ["region", "org_type", "language", "newcomer"]
            chosen = [line.strip() for line in balance.splitlines() if line.strip() in defaults]
            assert chosen == defaults  # the default choices, as chips

            # the approval pause: the facts as text, the previews as a link to the receiver's page
            tab.goto(f"{ui}/v2/runs/flow-run/{paused}")
            tab.wait_for("document.body.innerText.includes('Paused')", "the paused run", timeout=120)
            tab.wait_for(f"!!({MENU})", "the run's menu")
            assert tab.click(MENU)
            tab.wait_for(f"!!({MENU_ITEM % json.dumps('Resume')})", "Resume in the run's menu", timeout=30)
            assert tab.click(MENU_ITEM % json.dumps("Resume"))
            dialog = "document.querySelector('[role=dialog]')"
            loaded = f"{dialog} && ['批准并发送', '打开预览'].every(words => {dialog}.innerText.includes(words))"
            tab.wait_for(loaded, "the approval form and its facts (they load after the form)", timeout=60)
            facts = str(tab.evaluate(f"{dialog}.innerText"))
            assert "收件人" in facts and "onboarding_welcome" in facts and "打开预览" in facts
            assert "approve" not in facts.replace("onboarding", "")  # the switch is labelled in words
            assert tab.evaluate(f"{dialog}.querySelectorAll('input:not([type=hidden]), textarea').length <= 1")
            links = json.loads(
                str(tab.evaluate(f"JSON.stringify([...{dialog}.querySelectorAll('a')].map(a => a.href))"))
            )
            [preview] = [href for href in links if "/l/approval-preview/" in href]
            assert preview.startswith(f"http://127.0.0.1:{hooks_port}/l/approval-preview/")
            time.sleep(1)
            tab.screenshot(DOCS / SHOTS["approval"])

        page = dump_dom(preview)  # the link opens: the receiver's page of what waits (names, subjects)
        assert t("approval.page.title", "zh", flow="onboarding") in page

        prefect_api(api, "POST", f"/flow_runs/{paused}/resume", {"run_input": {"approve": False}})
        _wait_state(api, paused, {"COMPLETED"})
        readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## Using the Prefect UI", 1)[1]
        for shot in SHOTS.values():
            width, height, colours = png_facts(DOCS / shot)
            assert (width, height) == (1280, 860) and colours > 20, shot
            assert f"(docs/{shot})" in readme.split("\n## ", 1)[0], f"README's 'Using the Prefect UI' shows {shot}"
    finally:
        for process in reversed(started):
            process.stop()
