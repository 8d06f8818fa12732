"""The public site's targets: a folder (the embedded default) and a git remote (GitHub or Gitea Pages style).

A site is a mapping of relative paths (`en/index.html`, `calendar.ics`) to bytes. Each target makes its copy
equal to it and says whether anything changed:

* `FolderSite` writes only the files whose bytes differ and removes the files an earlier build wrote that the
  site no longer has (listed in `.weaver-site.json`); files someone else put in the folder are left alone.
* `GitSite` keeps a clone in the workspace, fetches the branch, replaces its tree with the site and commits
  and pushes only when `git status` shows a change: publishing the same site twice makes no second commit.
  The remote URL may carry a token: it is passed on the command line for each fetch and push (never written
  to the clone's config) and never shown: messages name the host and path only.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from weaver.errors import RetriableError
from weaver.ledger import Outcome

MANIFEST = ".weaver-site.json"


class SiteTarget(Protocol):
    def describe(self) -> str: ...

    def publish(self, files: Mapping[str, bytes], message: str) -> Outcome: ...


def _safe_parts(relative: str) -> tuple[str, ...]:
    parts = tuple(p for p in relative.split("/") if p)
    if not parts or any(p in (".", "..") or "\\" in p for p in parts) or relative.startswith("/"):
        raise ValueError(f"site path {relative!r} leaves the site")
    return parts


def sync_tree(root: Path, files: Mapping[str, bytes], previous: set[str]) -> tuple[int, int]:
    """Make `root` hold `files`: write what differs, remove what `previous` had and `files` has not.

    Returns (written, removed).
    """
    written = removed = 0
    for relative, data in sorted(files.items()):
        path = root.joinpath(*_safe_parts(relative))
        if path.is_file() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        written += 1
    for relative in sorted(previous - set(files)):
        path = root.joinpath(*_safe_parts(relative))
        if path.is_file():
            path.unlink()
            removed += 1
            _prune(path.parent, root)
    return written, removed


def _prune(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


class FolderSite:
    """The site as plain files in a folder (open `index.html`, or serve the folder with any web server)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def describe(self) -> str:
        return f"folder {self.root.name}/"

    def publish(self, files: Mapping[str, bytes], message: str = "") -> Outcome:
        self.root.mkdir(parents=True, exist_ok=True)
        manifest = self.root / MANIFEST
        try:
            previous = set(json.loads(manifest.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            previous = set()
        written, removed = sync_tree(self.root, files, previous)
        listing = json.dumps(sorted(files), ensure_ascii=False, indent=0)
        if not manifest.is_file() or manifest.read_text(encoding="utf-8") != listing:
            manifest.write_text(listing, encoding="utf-8")
        if written or removed:
            return Outcome.success(f"{written} file(s) written, {removed} removed")
        return Outcome.success("unchanged")


_USERINFO = re.compile(r"//[^/@]*@")


def redact(url: str) -> str:
    """A remote as messages may show it: host and path, never a user or token."""
    if "://" in url:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
    return _USERINFO.sub("//", url)


@dataclass
class GitSite:
    """A branch of a git remote holds the site (GitHub Pages, Gitea/Forgejo Pages, Codeberg Pages, ...)."""

    remote: str
    branch: str
    work_dir: Path
    author_name: str = "Network Weaver"
    author_email: str = "weaver@localhost"
    timeout_seconds: float = 120.0

    def describe(self) -> str:
        return f"git {redact(self.remote)} ({self.branch})"

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        ident = ("-c", f"user.name={self.author_name}", "-c", f"user.email={self.author_email}")
        try:
            done = subprocess.run(
                ["git", *ident, "-C", str(self.work_dir), *args],
                capture_output=True, text=True, timeout=self.timeout_seconds, env=env, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise RetriableError(f"site: git {args[0]} timed out after {self.timeout_seconds:.0f}s") from None
        if check and done.returncode != 0:
            detail = (done.stderr or done.stdout).replace(self.remote, redact(self.remote)).strip()
            detail = _USERINFO.sub("//", detail).splitlines()[-1:] or [""]
            raise RetriableError(f"site: git {args[0]} to {self.describe()} failed: {detail[0][:200]}")
        return done

    def _checkout(self) -> None:
        """The clone at the remote branch's tip, or an empty new branch when the remote has none yet."""
        if not (self.work_dir / ".git").is_dir():
            self.work_dir.mkdir(parents=True, exist_ok=True)
            self._git("init", "-q")
        ref = f"refs/heads/{self.branch}"
        if self._git("ls-remote", "--heads", self.remote, ref).stdout.strip():
            self._git("fetch", "-q", "--no-tags", self.remote, f"+{ref}:refs/remotes/site/{self.branch}")
            self._git("checkout", "-q", "-f", "-B", self.branch, f"refs/remotes/site/{self.branch}")
            self._git("clean", "-q", "-f", "-d", "-x")
        else:
            self._git("checkout", "-q", "-f", "--orphan", self.branch)
            self._git("rm", "-q", "-r", "-f", "--cached", "--ignore-unmatch", ".")

    def publish(self, files: Mapping[str, bytes], message: str) -> Outcome:
        self._checkout()
        tracked = set(self._git("ls-files", "-z").stdout.split("\0")) - {""}
        untracked = {
            p.relative_to(self.work_dir).as_posix()
            for p in self.work_dir.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(self.work_dir).parts
        }
        sync_tree(self.work_dir, files, tracked | untracked)
        self._git("add", "-A", ".")
        if not self._git("status", "--porcelain").stdout.strip():
            return Outcome.success("unchanged: no commit")
        self._git("commit", "-q", "-m", message)
        self._git("push", "-q", self.remote, f"HEAD:refs/heads/{self.branch}")
        commit = self._git("rev-parse", "--short", "HEAD").stdout.strip()
        return Outcome.success(f"committed {commit} and pushed")

    def remove_clone(self) -> None:
        shutil.rmtree(self.work_dir, ignore_errors=True)


class WebDavSite:
    """A WebDAV folder holds the site (Nextcloud, ownCloud, Apache mod_dav, nginx dav, many web hosts).

    The folder keeps our manifest (`.weaver-site.json`: each file's digest). A publish reads it (one GET), PUTs
    only the files whose digest changed (MKCOL for a folder that is missing), DELETEs the files we published
    before and the site no longer has, then PUTs the new manifest; with nothing changed it is that one GET.
    PUT and DELETE are idempotent: a failure is retried by the next run (the ledger keeps the action open).
    """

    def __init__(self, url: str, username: str = "", password: str = "", timeout_seconds: float = 30.0,
                 session: object | None = None) -> None:  # fmt: skip
        import requests

        self.url = url.rstrip("/") + "/"
        self.session = session or requests.Session()
        if username:
            self.session.auth = (username, password)  # type: ignore[attr-defined]
        self.timeout = timeout_seconds
        self.requests = 0  # made by the last publish (tests read it)

    def describe(self) -> str:
        return f"webdav {redact(self.url)}"

    def _call(self, method: str, relative: str, data: bytes | None = None, ok: tuple[int, ...] = ()) -> object:
        import requests

        self.requests += 1
        try:
            reply = self.session.request(method, self.url + relative, data=data, timeout=self.timeout)  # type: ignore[attr-defined]
        except requests.RequestException as exc:
            raise RetriableError(f"site: {self.describe()}: {method} failed ({type(exc).__name__})") from None
        if reply.status_code in ok or 200 <= reply.status_code < 300:
            return reply
        if reply.status_code in (401, 403):
            from weaver.errors import FatalError

            raise FatalError(f"site: {self.describe()}: {method} refused ({reply.status_code}): check the account")
        raise RetriableError(f"site: {self.describe()}: {method} {relative or '/'} answered {reply.status_code}")

    def publish(self, files: Mapping[str, bytes], message: str = "") -> Outcome:
        import hashlib

        self.requests = 0
        reply = self._call("GET", MANIFEST, ok=(404,))
        try:
            before = dict(reply.json()) if reply.status_code == 200 else {}  # type: ignore[attr-defined]
        except ValueError:
            before = {}
        digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
        changed = sorted(name for name in files if before.get(name) != digests[name])
        gone = sorted(set(before) - set(files))
        if not changed and not gone:
            return Outcome.success("unchanged")
        made: set[str] = set()
        for name in changed:
            parts = _safe_parts(name)
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth]) + "/"
                if folder not in made:
                    self._call("MKCOL", folder, ok=(405,))  # 405: it exists already
                    made.add(folder)
            self._call("PUT", "/".join(parts), files[name])
        for name in gone:
            self._call("DELETE", "/".join(_safe_parts(name)), ok=(404,))
        self._call("PUT", MANIFEST, json.dumps(digests, sort_keys=True).encode())
        return Outcome.success(f"{len(changed)} file(s) uploaded, {len(gone)} removed")
