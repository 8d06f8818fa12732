"""The site operation on the demo workspace: built into site/, checked in headless Chromium, pushed to a bare
git repository once (a rerun with nothing changed makes no commit), and nobody who did not opt in appears."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows.member_sync import member_sync
from flows.site import site
from tasks.site.directory import allowed_fields
from tests.browser import dump_dom, png_facts, screenshot
from tests.conftest import DEMO_DAY
from tests.tasks.site.links import broken_links

pytestmark = pytest.mark.usefixtures("prefect_harness")


def with_git_target(ws: Path) -> Path:
    remote = ws.parent / "site-remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    with (ws / "weaver.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[site.git]\nremote = "{remote}"\nbranch = "pages"\n')
    return remote


def commits(remote: Path) -> int:
    out = subprocess.run(["git", "--git-dir", str(remote), "rev-list", "--count", "pages"], capture_output=True,
                         text=True, check=True)  # fmt: skip
    return int(out.stdout)


def members_by_listing(ws: Path) -> tuple[set[str], set[str], set[str]]:
    """(names listed, names of members not listed, every email) from the workbook's members tab."""
    rows = list(load_workbook(ws / "network.xlsx")["Members"].iter_rows(values_only=True))
    header = [str(h or "").strip() for h in rows[0]]
    name, email, listed = header.index("姓名"), header.index("邮箱"), header.index("公开名录")
    yes, no, emails = set(), set(), set()
    for row in rows[1:]:
        if not row[name]:
            continue
        allowed = allowed_fields(str(row[listed] or ""), ("name", "organisation", "region"))
        (yes if "name" in allowed else no).add(str(row[name]).strip())
        emails.add(str(row[email] or "").strip().lower())
    return yes, no - yes, emails - {""}


def test_the_site_is_built_checked_in_chromium_and_pushed_once(demo_ws: Path, tmp_path: Path) -> None:
    member_sync(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    remote = with_git_target(demo_ws)
    first = site(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert first["published"] == 1 and commits(remote) == 1
    assert first["events"] == 3 and first["stories"] == 5 and first["directory"] > 50

    root = demo_ws / "site"
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert broken_links(files) == []  # every link of every page resolves, in both languages
    shots = {}
    for lang, heading in (("zh", "活动"), ("en", "Events")):
        home = root / lang / "index.html"
        dom = dump_dom(home)
        assert "<h1>Demo Weaving Network 示范编织网络</h1>" in dom and f'<h2 id="h-events">{heading}</h2>' in dom
        assert f'lang="{"zh-Hans" if lang == "zh" else "en"}"' in dom and "<script" not in dom
        width, height, colours = png_facts(screenshot(home, tmp_path / f"home-{lang}.png"))
        assert (width, height) == (1100, 1400) and colours > 50  # a drawn page, not a blank one
        shots[lang] = (tmp_path / f"home-{lang}.png").read_bytes()
    assert shots["zh"] != shots["en"]

    listed, not_listed, emails = members_by_listing(demo_ws)
    everything = b"".join(files.values()).decode("utf-8", "replace")
    directory = files["zh/directory.html"].decode()
    assert not_listed and [name for name in not_listed if name in everything] == []  # never anywhere
    assert [e for e in emails if e in everything] == []  # nobody's address is published
    assert sum(name in directory for name in listed) >= first["directory"] - 5  # near-duplicate rows merge

    again = site(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert again["published"] == 0 and again["unchanged"] == 1 and commits(remote) == 1
    assert again["folder_outcome"] == "unchanged"


def test_the_remote_targets_come_from_the_config(demo_ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.site import GitSite, WebDavSite
    from flows._runtime import build_site_targets
    from weaver.workspace import Workspace

    assert build_site_targets(Workspace.open(demo_ws)) == {}  # the demo: the folder only
    monkeypatch.setenv("WEAVER_DAV_PASSWORD", "dav-secret")
    with (demo_ws / "weaver.toml").open("a", encoding="utf-8") as toml:
        toml.write('\n[site.webdav]\nurl = "https://cloud.example.org/dav/site"\nusername = "weaver"\n'
                   'password = { env = "WEAVER_DAV_PASSWORD" }\n\n[site.git]\nremote = "../site.git"\n')  # fmt: skip
    targets = build_site_targets(Workspace.open(demo_ws))
    assert isinstance(targets["webdav"], WebDavSite) and isinstance(targets["git"], GitSite)
    assert targets["webdav"].describe() == "webdav https://cloud.example.org/dav/site/"
    assert targets["git"].remote == str(demo_ws / "../site.git")
