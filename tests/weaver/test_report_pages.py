"""The report files and their index, opened in headless Chromium as a coordinator opens them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from tests.browser import dump_dom
from weaver.report import Report, Table


def report(created: datetime, title: str) -> Report:
    page = Report("member-sync", title, "zh", created=created, timezone="Asia/Shanghai")
    page.summary = [("新增", "3"), ("隔离的行", "1")]
    page.tables.append(Table("隔离的行", ["行", "原因"], [["17", "缺少邮箱"]]))
    return page


def test_the_index_links_every_run_newest_first_and_each_report_reads_in_chinese(tmp_path: Path) -> None:
    morning = report(datetime(2026, 11, 24, 1, 0, tzinfo=UTC), "成员同步 早上")
    evening = report(datetime(2026, 11, 24, 11, 30, tzinfo=UTC), "成员同步 晚上")
    first, second = morning.write_html(tmp_path), evening.write_html(tmp_path)
    assert first != second  # the same operation twice on one day: two files

    index = dump_dom(tmp_path / "index.html")
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', index)
    assert links == [(second.name, "成员同步 晚上"), (first.name, "成员同步 早上")]  # newest first
    assert "2026-11-24 19:30 Asia/Shanghai" in index and "2026-11-24 09:00 Asia/Shanghai" in index

    for href, title in links:
        page = dump_dom(tmp_path / href)
        assert f"<h1>{title}</h1>" in page and "缺少邮箱" in page  # UTF-8 decoded, not mojibake
