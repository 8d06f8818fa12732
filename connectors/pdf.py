"""Pages to PDF with headless Chromium's print-to-PDF (Debian's `chromium` package).

Why Chromium and not WeasyPrint: the report's pages are already checked in headless Chromium (tests/browser.py),
so the PDF is exactly the page people open; Chromium lays out inline SVG (the network map) and CJK text with
the system's fonts (Debian's fonts-noto-cjk, which the Makefile installs), and it adds no Python dependency.
Each page is printed by its own short-lived browser process with a throwaway profile; `@page` CSS rules in the
page set the paper size. Errors name the page's file name, never its content.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from weaver.errors import FatalError

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--no-pdf-header-footer",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]  # fmt: skip


def find_chromium(configured: str = "") -> str | None:
    """The browser to print with: the configured path, else chromium or chromium-browser on the PATH."""
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    return shutil.which("chromium") or shutil.which("chromium-browser")


class ChromiumPrinter:
    """Prints HTML files to PDF files; one browser process per page, bounded by `timeout` seconds."""

    def __init__(self, binary: str, timeout: float = 120.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def print_pdf(self, page: Path, target: Path) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        with tempfile.TemporaryDirectory(prefix="weaver-pdf-") as profile:
            args = [self.binary, *FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={partial}",
                    page.resolve().as_uri()]  # fmt: skip
            try:
                subprocess.run(args, capture_output=True, timeout=self.timeout, check=True)
            except subprocess.TimeoutExpired as error:
                raise FatalError(f"printing {page.name} to PDF took over {self.timeout:.0f}s") from error
            except (subprocess.CalledProcessError, OSError) as error:
                raise FatalError(f"printing {page.name} to PDF failed ({type(error).__name__})") from error
        if not partial.is_file() or not partial.read_bytes()[:5] == b"%PDF-":
            partial.unlink(missing_ok=True)
            raise FatalError(f"printing {page.name} to PDF gave no PDF")
        partial.replace(target)
        return target
