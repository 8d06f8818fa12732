"""The report, the fact sheet and the map in headless Chromium: they render, Chinese has real glyphs, PDFs print.

Missing glyphs: with no font for a script, Chromium draws every character of it as the same empty box (tofu).
So a line of the report's Chinese must look different from the same number of characters no font has (Private
Use Area code points), and from another line of Chinese. Fonts come from Debian's fonts-noto-cjk (make browser).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.pdf import ChromiumPrinter
from tasks.common.ties import tie
from tasks.impact.plan import ImpactPlan, plan_impact
from tasks.impact.read import ImpactRead
from tests.browser import FLAGS, chromium, dump_dom
from weaver.config import WeaverConfig

DAY = date(2026, 11, 24)


def small_plan() -> ImpactPlan:
    ids = [f"m{i:02d}" for i in range(24)]
    names = ["张伟", "李娜", "王芳", "Ana Garcia", "陈静", "Ben Kim"] * 4
    rows = [{"member_id": m, "fields": {"name": n, "email": f"{m}@example.org", "joined": "2026-11-10" if i > 20
             else "2025-05-01", "language": "zh"}, "status": "active", "first_seen": datetime(2025, 5, 1, tzinfo=UTC)}
            for i, (m, n) in enumerate(zip(ids, names, strict=True))]  # fmt: skip
    ties = [tie(ids[i], ids[(i + k) % 18], "group", f"evt/r1/g{i}", date(2026, 10 + i % 2, 5)) for i in range(18)
            for k in (1, 2)]  # fmt: skip
    attendance = [["event_id", "date", "member_id", "status"]]
    attendance += [["evt-1", "2026-10-05", m, "attended" if i % 4 else "no-show"] for i, m in enumerate(ids[:12])]
    read = ImpactRead(rows, attendance, [["event_id", "title"], ["evt-1", "秋季聚会 Autumn gathering"]], ties)
    config = WeaverConfig.model_validate({"tables": {"backend": "workbook", "path": "x.xlsx"},
                                          "network": {"name": "示范网络", "default_language": "zh"}})  # fmt: skip
    return plan_impact(read, config, DAY, "zh", pdf=True)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("impact-pages")
    out = {}
    for p in small_plan().pages.values():
        for name, text in p.files("2026-Q4").items():
            (folder / name).write_text(text, encoding="utf-8")
            out[name] = folder / name
    return out


def screenshot(page: Path, size: str = "1000,1800") -> bytes:
    with tempfile.TemporaryDirectory(prefix="weaver-chromium-") as profile:
        shot = Path(profile) / "shot.png"
        args = [chromium(), *FLAGS, "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={size}",
                f"--screenshot={shot}", page.resolve().as_uri()]  # fmt: skip
        subprocess.run(args, capture_output=True, timeout=120, check=True)
        return shot.read_bytes()


def test_the_report_and_its_map_render_in_chromium(pages: dict[str, Path]) -> None:
    dom = dump_dom(pages["impact-2026-Q4-zh.html"])
    assert "示范网络：2026-Q4 影响力报告" in dom and "网络图谱" in dom and "秋季聚会 Autumn gathering" in dom
    svg = re.search(r"<svg[^>]*aria-label=\"谁与谁见过面（2026-Q4）\".*?</svg>", dom, re.S)
    assert svg is not None and svg.group(0).count("<line") == 36 and "张伟" not in dom.split("<h2")[0]
    page = pages["impact-2026-Q4-zh.html"]
    without_map = page.with_name("no-map.html")
    without_map.write_text(re.sub(r"<figure><svg.*?</svg>", "<figure>", page.read_text(encoding="utf-8"),
                                  count=3, flags=re.S), encoding="utf-8")  # fmt: skip
    assert screenshot(page) != screenshot(without_map)  # the map (and the charts) draw something


def test_the_fact_sheet_names_nobody(pages: dict[str, Path]) -> None:
    dom = dump_dom(pages["factsheet-2026-Q4-zh.html"])
    assert "2026-Q4 一页概览" in dom and "<svg" in dom
    assert not any(name in dom for name in ("张伟", "李娜", "Ana Garcia"))


def test_chinese_text_has_real_glyphs_no_missing_boxes(pages: dict[str, Path], tmp_path: Path) -> None:
    """The report's own title and font stack: its Chinese differs from unrenderable characters and from other
    Chinese; with no CJK font all three would be the same row of boxes."""
    head = pages["impact-2026-Q4-zh.html"].read_text(encoding="utf-8").split("<body")[0]
    lines = {
        "title": "影响力报告网络图谱",
        "other": "谁与谁见过面首次见",
        "tofu": "".join(chr(0xE000 + i) for i in range(9)),
    }
    shots = {}
    for key, text in lines.items():
        page = tmp_path / f"{key}.html"
        page.write_text(f'{head}<body><h1 style="font-size:48px">{text}</h1></body></html>', encoding="utf-8")
        shots[key] = screenshot(page, "700,160")
    assert shots["title"] != shots["tofu"] and shots["other"] != shots["tofu"] and shots["title"] != shots["other"]


def test_the_pages_print_to_pdf_and_the_fact_sheet_is_one_page(pages: dict[str, Path], tmp_path: Path) -> None:
    printer = ChromiumPrinter(chromium())
    sheet = printer.print_pdf(pages["factsheet-2026-Q4-zh.html"], tmp_path / "sheet.pdf")
    report = printer.print_pdf(pages["impact-2026-Q4-en.html"], tmp_path / "report.pdf")
    assert sheet.read_bytes()[:5] == report.read_bytes()[:5] == b"%PDF-"
    assert len(re.findall(rb"/Type\s*/Page\b", sheet.read_bytes())) == 1
    assert len(re.findall(rb"/Type\s*/Page\b", report.read_bytes())) >= 2
    assert not list(tmp_path.glob(".*partial"))
