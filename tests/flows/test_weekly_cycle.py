"""The whole weekly cycle on the demo network, on a day far from the one its data was built for."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.mail import OutboxTransport
from connectors.workbook import WorkbookTables
from demo.history import seed_history
from deployments.cli import run_flows
from flows import WEEKLY_CYCLE
from tasks.common.attendance import event_titles
from tests.conftest import DEMO_DAY
from weaver.config import EventsConfig

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_the_weekly_cycle_completes_a_year_after_the_demo_day(demo_ws: Path) -> None:
    year_later = DEMO_DAY + timedelta(days=365)
    results = run_flows(
        WEEKLY_CYCLE, demo_ws, False, {}, defaults={"auto_approve": True, "as_of": year_later.isoformat()}
    )
    assert list(results) == WEEKLY_CYCLE
    assert results["member-sync"]["added"] > 0
    assert results["onboarding"]["newcomers"] == 0  # nobody in the demo joined within a year of that day
    assert results["newsletter"]["period"] == f"{year_later:%Y-%m}"  # the issue of that month, not of today
    assert results["grant-pipeline"]["reminders"]["digests_sent"] == 0  # every demo deadline has passed by then


MEMBER_ID = re.compile(r"\bm-[0-9a-f]{12}\b")
WEAVER_ID = re.compile(r"\bw-[a-z]+\b")
LINK = re.compile(r"(?:href|src)=\"[^\"]*\"|https?://\S+")


def texts_people_read(ws: Path) -> dict[str, str]:
    """Every report page and every email body (text and HTML parts) the cycle left."""
    found = {str(p.relative_to(ws)): p.read_text(encoding="utf-8") for p in (ws / "reports").rglob("*.html")}
    for i, mail in enumerate(OutboxTransport(ws / "outbox", None).messages()):  # type: ignore[arg-type]
        for part in mail.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                found[f"email {i} {mail['X-Weaver-Key']} {part.get_content_type()}"] = part.get_content()
    return found


def test_no_report_or_email_shows_an_internal_id_where_a_name_exists(demo_ws: Path) -> None:
    seed_history(demo_ws, today=DEMO_DAY)
    run_flows(WEEKLY_CYCLE, demo_ws, False, {}, defaults={"auto_approve": True, "as_of": DEMO_DAY.isoformat()})
    texts = texts_people_read(demo_ws)
    assert any(name.startswith("email") for name in texts) and any(name.startswith("reports") for name in texts)
    titles = event_titles(WorkbookTables(demo_ws / "network.xlsx").read_tab("Events"), EventsConfig().columns)
    titled = set(titles)
    assert titled  # the demo's events have titles: they must be shown by title, never by id
    event_id = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(titled))) + r")(?![\w-])")
    leaks = {}
    for name, text in texts.items():
        readable = LINK.sub("", text)  # an id inside a link (an RSVP URL) is for machines, not read
        # an event id may stand right after its title, where a coordinator needs it (the `event` parameter)
        bare = {
            m[1]
            for m in event_id.finditer(readable)
            if titles[m[1]] not in readable[max(0, m.start() - 120) : m.start()]
        }
        found = {*MEMBER_ID.findall(readable), *WEAVER_ID.findall(readable), *bare}
        if found:
            leaks[name] = sorted(found)[:3]
    assert leaks == {}
