"""The whole weekly cycle on the demo network, on a day far from the one its data was built for."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

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
