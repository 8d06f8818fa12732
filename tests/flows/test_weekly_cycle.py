"""The whole weekly cycle on the demo network, on a day far from the one its data was built for."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.mail import OutboxTransport
from demo.history import seed_history
from deployments.cli import run_flows
from flows import WEEKLY_CYCLE
from tests.conftest import DEMO_DAY

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
EVENT_ID = re.compile(r"\bevt-\d{4}-\d{2}-\d{2}\b")


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
    leaks = {
        name: sorted(set(pattern.findall(text)))[:3]
        for name, text in texts.items()
        for pattern in (MEMBER_ID, WEAVER_ID, EVENT_ID)
        if pattern.search(text)
    }
    assert leaks == {}
