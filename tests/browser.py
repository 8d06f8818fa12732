"""Opening our pages in headless Chromium, as a coordinator's browser would (Debian's chromium package).

`make test` installs Chromium; without it (a machine where it cannot be installed) the page tests skip
and say why.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
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
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-", ignore_cleanup_errors=True) as profile:
        args = [chromium(), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", target]
        done = subprocess.run(args, capture_output=True, text=True, encoding="utf-8", timeout=120, check=True)
    return done.stdout


def screenshot(page: Path, out: Path, width: int = 1100, height: int = 1400) -> Path:
    """A PNG of the page as headless Chromium draws it at this window size."""
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-", ignore_cleanup_errors=True) as profile:
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


def fill_and_submit(url: str, fields: dict[str, str], timeout: float = 90) -> tuple[str, str]:
    """Open a page in headless Chromium, type into its form fields (by name), press its submit button and wait
    for the answer, as a person would; returns (the form page's DOM, the answer page's DOM).

    Drives Chromium over its DevTools protocol (a websocket on a loopback port), so the form is really
    submitted by the browser: its method, encoding and hidden fields are the page's own.
    """
    import json
    import time
    import urllib.request

    from websockets.sync.client import connect

    from tests.processes import free_port

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-", ignore_cleanup_errors=True) as profile:
        args = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
                "--remote-debugging-address=127.0.0.1", url]  # fmt: skip
        # its own process group: the renderers and helpers it starts are stopped with it, before the profile
        # folder is removed (they kept writing into it, and the removal failed now and then)
        browser = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            target = None
            while target is None:
                if time.monotonic() > deadline or browser.poll() is not None:
                    raise AssertionError("headless Chromium did not open the page")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as answer:
                        pages = [p for p in json.load(answer) if p.get("type") == "page"]
                    target = pages[0]["webSocketDebuggerUrl"] if pages else None
                except OSError:
                    pass
                if target is None:
                    time.sleep(0.2)
            with connect(target, max_size=None, open_timeout=timeout) as devtools:
                calls = iter(range(1, 10**6))

                def evaluate(expression: str) -> object:
                    call = next(calls)
                    params = {"expression": expression, "returnByValue": True}
                    devtools.send(json.dumps({"id": call, "method": "Runtime.evaluate", "params": params}))
                    while True:
                        reply = json.loads(devtools.recv(timeout=timeout))
                        if reply.get("id") == call:
                            return reply.get("result", {}).get("result", {}).get("value")

                def settle(check: str) -> None:
                    while not evaluate(check):
                        if time.monotonic() > deadline:
                            raise AssertionError(f"the page never reached: {check}")
                        time.sleep(0.1)

                settle("document.readyState === 'complete' && !!document.querySelector('form')")
                before = str(evaluate("document.documentElement.outerHTML"))
                typing = json.dumps(fields, ensure_ascii=False)
                evaluate(f"""(() => {{ const values = {typing};
                    for (const [name, value] of Object.entries(values)) {{
                        const field = document.querySelector(`[name="${{name}}"]`);
                        field.value = value; field.dispatchEvent(new Event('input', {{bubbles: true}}));
                    }}
                    window.__weaverSubmitted = true;
                    document.querySelector('form button[type=submit], form [type=submit]').click(); }})()""")
                settle("window.__weaverSubmitted === undefined && document.readyState === 'complete'")
                return before, str(evaluate("document.documentElement.outerHTML"))
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(10)
