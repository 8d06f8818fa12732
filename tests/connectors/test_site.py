"""The site's targets: a folder, and a git remote (a local bare repository) that gets a commit only on a change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from connectors.site import FolderSite, GitSite, redact
from weaver.errors import RetriableError

SITE = {"index.html": b"<h1>hi</h1>", "zh/index.html": "<h1>你好</h1>".encode(), ".nojekyll": b""}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout


def bare(tmp_path: Path) -> Path:
    remote = tmp_path / "site.git"
    git("init", "-q", "--bare", str(remote))
    return remote


def commits(remote: Path, branch: str = "gh-pages") -> list[str]:
    return git("--git-dir", str(remote), "log", "--format=%s", branch).splitlines()


def test_publishing_twice_with_nothing_changed_makes_no_new_commit(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    target = GitSite(str(remote), "gh-pages", tmp_path / "clone")
    first = target.publish(SITE, "first")
    assert first.ok and first.detail.startswith("committed")
    again = target.publish(SITE, "second")
    assert again.ok and again.detail == "unchanged: no commit"
    assert commits(remote) == ["first"]
    # a fresh clone (another machine, or the work dir deleted) sees the same: still no commit
    assert GitSite(str(remote), "gh-pages", tmp_path / "other").publish(SITE, "third").detail.startswith("unchanged")
    assert commits(remote) == ["first"]


def test_a_change_is_one_commit_with_the_exact_tree(tmp_path: Path) -> None:
    remote = bare(tmp_path)
    target = GitSite(str(remote), "gh-pages", tmp_path / "clone", "Weaver Bot", "bot@example.org")
    target.publish(SITE, "first")
    changed = {"index.html": b"<h1>hello</h1>", "en/index.html": b"<h1>hello</h1>"}  # zh/ and .nojekyll gone
    assert target.publish(changed, "second").detail.startswith("committed")
    assert commits(remote) == ["second", "first"]
    tree = git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages").split()
    assert sorted(tree) == ["en/index.html", "index.html"]
    assert git("--git-dir", str(remote), "log", "-1", "--format=%an <%ae>", "gh-pages").strip() == (
        "Weaver Bot <bot@example.org>"
    )
    assert git("--git-dir", str(remote), "show", "gh-pages:index.html") == "<h1>hello</h1>"


def test_an_unreachable_remote_is_one_line_without_the_token(tmp_path: Path) -> None:
    url = f"file://user:s3cret-token@{tmp_path}/missing.git"
    with pytest.raises(RetriableError) as err:
        GitSite(url, "gh-pages", tmp_path / "clone").publish(SITE, "x")
    assert "s3cret-token" not in str(err.value) and "missing.git" in str(err.value)
    assert redact("https://x:TOKEN@git.example.org/org/site.git") == "https://git.example.org/org/site.git"


def test_the_folder_writes_only_what_changed_and_removes_only_its_own_old_files(tmp_path: Path) -> None:
    root = tmp_path / "site"
    target = FolderSite(root)
    assert target.publish(SITE).detail == "3 file(s) written, 0 removed"
    (root / "CNAME").write_text("network.example.org")  # someone else's file
    assert target.publish(SITE).detail == "unchanged"
    assert target.publish({"index.html": b"new"}).detail == "1 file(s) written, 2 removed"
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        ".weaver-site.json", "CNAME", "index.html"]  # fmt: skip
    with pytest.raises(ValueError):
        target.publish({"../escape.html": b"x"})


def test_webdav_uploads_only_what_changed_and_nothing_when_nothing_did() -> None:
    from connectors.site import WebDavSite
    from tests.standins.webdav import PASSWORD, USER, WebDavStandIn

    with WebDavStandIn() as dav:
        target = WebDavSite(f"{dav.url}/dav/site", USER, PASSWORD)
        dav.folders.add("site")
        assert target.publish(SITE).detail == "3 file(s) uploaded, 0 removed"
        assert dav.files["site/zh/index.html"] == "<h1>你好</h1>".encode() and "site/zh" in dav.folders
        again = target.publish(SITE)
        assert again.detail == "unchanged" and target.requests == 1  # one GET of the manifest
        changed = {**SITE, "index.html": b"<h1>hello</h1>"}
        del changed["zh/index.html"]
        assert target.publish(changed).detail == "1 file(s) uploaded, 1 removed"
        assert "site/zh/index.html" not in dav.files and dav.files["site/index.html"] == b"<h1>hello</h1>"
        with pytest.raises(Exception, match="refused \\(401\\)"):
            WebDavSite(f"{dav.url}/dav/site", USER, "wrong").publish(SITE)
