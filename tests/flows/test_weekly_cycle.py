"""The whole weekly cycle on the demo network, on a day far from the one its data was built for."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.mail import OutboxTransport
from connectors.workbook import WorkbookTables
from demo.history import seed_history
from deployments.cli import run_flows
from flows import DEMO_EXTRAS, WEEKLY_CYCLE
from tasks.common.attendance import event_titles
from tasks.common.unsubscribe import LINK_PURPOSE
from tests.conftest import DEMO_DAY
from weaver.config import EventsConfig
from weaver.ledger import Ledger
from weaver.links import LinkSigner, link_secret
from weaver.state import StateDB
from weaver.workspace import Workspace

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


@pytest.fixture(scope="module")
def cycled_demo(tmp_path_factory: pytest.TempPathFactory, demo_template: Path, prefect_harness: None) -> Path:
    """The demo network after what `make demo` runs (its recent past seeded, then the cycle and the extras),
    run once for the tests below, which only read what it left."""
    ws = tmp_path_factory.mktemp("cycled") / "ws"
    shutil.copytree(demo_template, ws)
    seed_history(ws, today=DEMO_DAY)
    cycle = [*WEEKLY_CYCLE, *DEMO_EXTRAS]
    run_flows(cycle, ws, False, {}, defaults={"auto_approve": True, "as_of": DEMO_DAY.isoformat()})
    return ws


def test_no_report_or_email_shows_an_internal_id_where_a_name_exists(cycled_demo: Path) -> None:
    demo_ws = cycled_demo
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


@pytest.fixture
def outbox_db(cycled_demo: Path) -> Iterator[tuple[Workspace, StateDB]]:
    ws = Workspace.open(cycled_demo)
    db = StateDB(ws.state_url)
    try:
        yield ws, db
    finally:
        db.close()


def test_every_member_email_of_the_demo_offers_one_click_unsubscribe_and_no_staff_email_does(
    outbox_db: tuple[Workspace, StateDB],
) -> None:
    ws, db = outbox_db
    signer = LinkSigner(link_secret(db, ws.config, False, "test")[0])
    # the member each email was for, as the ledger recorded it (None: staff mail, to people in their role)
    recipients = {e["key"]: e["payload"]["member_id"] for e in Ledger(db, "test").entries(kind="email")}
    prefix = f"{ws.config.links.base_url}/l/{LINK_PURPOSE}/"
    member_mail, staff_mail = 0, 0
    for mail in OutboxTransport(ws.root / "outbox", None).messages():  # type: ignore[arg-type]
        recipient = recipients[mail["X-Weaver-Key"]]
        bodies = [p.get_content() for p in mail.walk() if p.get_content_type() in ("text/plain", "text/html")]
        if recipient is None:
            staff_mail += 1
            assert (mail["List-Unsubscribe"], mail["List-Unsubscribe-Post"]) == (None, None), mail["X-Weaver-Key"]
            assert not any(prefix in body for body in bodies), mail["X-Weaver-Key"]
            continue
        member_mail += 1
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", mail["X-Weaver-Key"]
        found = re.fullmatch(r"<([^>]+)>, <mailto:([^>?]+)\?subject=unsubscribe>", str(mail["List-Unsubscribe"]))
        assert found and found[1].startswith(prefix) and found[2] == ws.config.mail.from_address, mail["X-Weaver-Key"]
        now = datetime.combine(DEMO_DAY, datetime.min.time(), UTC)
        assert signer.verify(found[1].removeprefix(prefix), LINK_PURPOSE, now).subject == recipient  # their own link
        assert mail["List-Id"] and bodies, mail["X-Weaver-Key"]
        for body in bodies:  # the same link in the footer of every part, for readers without the button
            assert found[1] in body or html.escape(found[1]) in body, mail["X-Weaver-Key"]
        if ws.config.network.postal_address:
            assert all(ws.config.network.postal_address in html.unescape(body) for body in bodies)
    assert member_mail > 100 and staff_mail > 0  # the demo mails both, so neither branch is vacuous
