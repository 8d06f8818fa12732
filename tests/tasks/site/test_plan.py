"""The site's plan, without Prefect: what is public, in both languages, with links that resolve."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.workbook import WorkbookTables
from tasks.site.plan import plan_site
from tasks.site.read import SiteSources, read_tabs
from tests.conftest import DEMO_DAY
from tests.tasks.site.links import broken_links, external_links
from weaver.config import load_config

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai on the demo day
CALENDAR = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
MEMBERS = [
    {"name": "王芳", "email": "wang.fang@example.cn", "phone": "013800138000", "organisation": "绿色未来协会",
     "region": "华东", "directory": "是"},
    {"name": "Ana García", "email": "ana@example.org", "region": "Europe", "interests": "climate",
     "directory": "name, interests"},
    {"name": "隐私保护者", "email": "private@example.cn", "organisation": "不公开基金会", "directory": "否"},
    {"name": "Blank Answer", "email": "blank@example.org", "organisation": "Quiet Collective", "directory": ""},
]  # fmt: skip


def sources(ws: Path) -> tuple[SiteSources, object]:
    config = load_config(ws / "weaver.toml")
    tabs = read_tabs(WorkbookTables(ws / "network.xlsx"), config)
    return SiteSources(tabs["events"], tabs["opportunities"], tabs["news"], MEMBERS, [], CALENDAR), config


def test_every_page_exists_in_both_languages_and_every_link_resolves(demo_ws: Path) -> None:
    src, config = sources(demo_ws)
    plan = plan_site(src, config, NOW, DEMO_DAY)  # type: ignore[arg-type]
    for lang in ("zh", "en"):
        for page in ("index", "events", "opportunities", "newsletter", "stories", "directory"):
            assert f"{lang}/{page}.html" in plan.files
    assert plan.files["calendar.ics"] == CALENDAR and "index.html" in plan.files
    assert broken_links(plan.files) == []
    assert all(link.startswith(("https://", "mailto:")) for link in external_links(plan.files))
    assert not any(b"<script" in data for data in plan.files.values())  # no JavaScript needed, none shipped
    counts = plan.counts()
    assert counts["events"] == 3  # the cancelled and the past event are left out
    assert counts["stories"] == 5 and counts["opportunities"] > 0  # published news items up to the demo day
    zh, en = plan.files["zh/index.html"].decode(), plan.files["en/index.html"].decode()
    assert '<html lang="zh-Hans">' in zh and '<html lang="en">' in en
    assert "报名" in zh and "Register" in en and "https://forms.example.org/rsvp?event=climate-roundtable" in en
    assert "meet.example.org" not in zh + en  # an online event's meeting link is not published


def test_only_members_who_said_yes_appear_and_no_contact_detail_is_published(demo_ws: Path) -> None:
    src, config = sources(demo_ws)
    plan = plan_site(src, config, NOW, DEMO_DAY)  # type: ignore[arg-type]
    everything = b"".join(plan.files.values()).decode("utf-8", "replace")
    assert "王芳" in everything and "Ana García" in everything
    for secret in ("隐私保护者", "不公开基金会", "Blank Answer", "Quiet Collective", "@example.cn", "ana@example.org",
                   "013800138000"):  # fmt: skip
        assert secret not in everything, secret
    directory = plan.files["en/directory.html"].decode()
    assert "climate" in directory and "Europe" not in directory  # Ana allowed her interests, not her region
    assert plan.counts()["directory"] == 2


def test_the_same_workspace_builds_the_same_bytes(demo_ws: Path) -> None:
    src, config = sources(demo_ws)
    first = plan_site(src, config, NOW, DEMO_DAY)  # type: ignore[arg-type]
    again = plan_site(src, config, NOW.replace(hour=3), DEMO_DAY)  # type: ignore[arg-type]
    assert first.files == again.files and first.digest == again.digest
    assert [a.key for a in first.actions(["git"])] == [f"site-publish:git:{first.digest}"]
