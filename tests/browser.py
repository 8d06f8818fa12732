"""Opening our pages in headless Chromium, as a coordinator's browser would (Debian's chromium package).

`make test` installs Chromium; without it (a machine where it cannot be installed) the page tests skip
and say why.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("headless Chromium is not installed (make test installs Debian's chromium package)")
    return found


def dump_dom(page: Path | str) -> str:
    """The page's DOM after Chromium parsed it (its charset decoded, its markup repaired or not).

    `page` is a file, or the URL of a page a test serves on loopback (`tests.pages.serving`).
    """
    target = page if isinstance(page, str) else page.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-") as profile:
        args = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", target]
        done = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", timeout=120, check=True)
    return done.stdout


def screenshot(page: Path, out: Path, width: int = 1100, height: int = 1400) -> Path:
    """A PNG of the page as headless Chromium draws it at this window size."""
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-") as profile:
        args = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars",
                f"--window-size={width},{height}", f"--screenshot={out}", page.resolve().as_uri()]  # fmt: skip
        subprocess.run(args, capture_output=True, timeout=120, check=True)
    return out


def png_facts(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the pixel data): a blank page has very few."""
    import struct
    import zlib

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return width, height, len(set(zlib.decompress(idat)))
