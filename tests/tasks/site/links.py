"""Every link of a built site, checked: a relative link must name a file of the site (and an anchor on it)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from urllib.parse import urldefrag, urlsplit

_LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
_ID = re.compile(r"""\bid\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def broken_links(files: Mapping[str, bytes]) -> list[str]:
    """`page -> link` for each relative link that resolves to no file (or no id) of the site."""
    broken: list[str] = []
    for name, data in sorted(files.items()):
        if not name.endswith(".html"):
            continue
        text = data.decode("utf-8")
        for link in _LINK.findall(text):
            if urlsplit(link).scheme in ("http", "https", "mailto") or link == "":
                continue
            path, anchor = urldefrag(link)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) if path else name
            if target.endswith("/"):
                target += "index.html"
            if target not in files:
                broken.append(f"{name} -> {link}")
            elif anchor and anchor not in _ID.findall(files[target].decode("utf-8", "replace")):
                broken.append(f"{name} -> {link} (no such id)")
    return broken


def external_links(files: Mapping[str, bytes]) -> set[str]:
    return {
        link
        for name, data in files.items()
        if name.endswith(".html")
        for link in _LINK.findall(data.decode("utf-8"))
        if urlsplit(link).scheme
    }
