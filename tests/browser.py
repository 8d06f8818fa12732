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
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

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

    with _devtools(url, timeout) as (devtools, deadline):
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


@contextlib.contextmanager
def _devtools(url: str, timeout: float, flags: Sequence[str] = ()) -> Iterator[tuple[Any, float]]:
    """A headless Chromium with one page open at `url`: its DevTools websocket and the deadline (now +
    `timeout`). Chromium runs in its own process group, stopped with all its renderers and helpers before the
    profile folder is removed (they kept writing into it, and the removal failed now and then)."""
    import json
    import time
    import urllib.request

    from websockets.sync.client import connect

    from tests.processes import free_port

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-", ignore_cleanup_errors=True) as profile:
        args = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
                "--remote-debugging-address=127.0.0.1", *flags, url]  # fmt: skip
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
                yield devtools, deadline
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(browser.pid, signal.SIGTERM)
            browser.wait(10)


class Tab:
    """One headless Chromium tab driven over its DevTools protocol: go to a page, wait for what it shows,
    run a script in it, take a screenshot. For single-page apps (the Prefect UI) that draw after loading."""

    def __init__(self, devtools: object, timeout: float) -> None:
        self._devtools = devtools
        self._timeout = timeout
        self._calls = iter(range(1, 10**6))

    def call(self, method: str, **params: object) -> dict[str, object]:
        import json

        call = next(self._calls)
        self._devtools.send(json.dumps({"id": call, "method": method, "params": params}))  # type: ignore[attr-defined]
        while True:
            reply = json.loads(self._devtools.recv(timeout=self._timeout))  # type: ignore[attr-defined]
            if reply.get("id") == call:
                if "error" in reply:
                    raise AssertionError(f"DevTools {method}: {reply['error']}")
                return dict(reply.get("result", {}))

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return dict(result.get("result", {})).get("value")  # type: ignore[arg-type]

    def wait_for(self, check: str, what: str, timeout: float | None = None) -> object:
        """Poll a script until it returns something true; fail naming `what` (and the page's text) if it never does."""
        import time

        deadline = time.monotonic() + (timeout or self._timeout)
        while True:
            value = self.evaluate(check)
            if value:
                return value
            if time.monotonic() > deadline:
                text = str(self.evaluate("document.body ? document.body.innerText : ''"))[:2000]
                raise AssertionError(f"the page never showed {what}; it shows:\n{text}")
            time.sleep(0.25)

    def click(self, element: str) -> bool:
        """A real mouse click (pressed and released) in the middle of the element a script finds (or False)."""
        import json

        centre = "const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];"
        box = self.evaluate(f"(() => {{ const e = {element}; if (!e) return null; {centre} }})()")
        if not box:
            return False
        x, y = json.loads(json.dumps(box))
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        return True

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def text(self) -> str:
        return str(self.evaluate("document.body.innerText"))

    def screenshot(self, out: Path) -> Path:
        import base64

        data = self.call("Page.captureScreenshot", format="png")["data"]
        out.write_bytes(base64.b64decode(str(data)))
        return out


@contextlib.contextmanager
def browse(url: str, width: int = 1280, height: int = 900, timeout: float = 120) -> Iterator[Tab]:
    """A headless Chromium with one tab open at `url`, stopped (its whole process group) at the end."""
    flags = ["--hide-scrollbars", f"--window-size={width},{height}", "--lang=en-US"]
    with _devtools(url, timeout, flags) as (devtools, _deadline):
        tab = Tab(devtools, timeout)
        tab.call("Page.enable")
        tab.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                 mobile=False)  # fmt: skip
        yield tab
