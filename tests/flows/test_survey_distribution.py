"""survey-distribution end to end on the demo workspace, through Prefect, with frozen time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import select

from connectors.endpoints import redirect
from demo.build import DEMO_SURVEY
from demo.history import seed_history
from flows.member_sync import member_sync
from flows.survey_distribution import survey_distribution
from tasks.surveys.surveys import member_token
from tests.conftest import DEMO_DAY
from tests.flows.gate import PausedRun, approval_threshold_one
from tests.standins.forms import FormsStandIn, choice_item, text_item
from weaver.state import StateDB, inbox, ledger, local_secret
from weaver.state.engagement import engagement_events
from weaver.state.surveys import survey_responses

pytestmark = pytest.mark.usefixtures("prefect_harness")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def on(day_offset: int, hour: int = 10) -> time_machine.travel:
    """Frozen (ticking) time: `day_offset` days after the demo day, in the network's time zone."""
    moment = datetime(DEMO_DAY.year, DEMO_DAY.month, DEMO_DAY.day, hour, tzinfo=SHANGHAI)
    return time_machine.travel(moment + timedelta(days=day_offset), tick=True)


def outbox_keys(ws: Path) -> list[str]:
    import email
    from email import policy

    folder = ws / "outbox" / "new"
    if not folder.exists():
        return []
    return sorted(email.message_from_bytes(p.read_bytes(), policy=policy.default)["X-Weaver-Key"]
                  for p in folder.iterdir())  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo(demo_ws: Path) -> Path:
    """The demo as `weaver demo` creates it: the survey went out four days ago, answers came in since."""
    with on(0, hour=9):
        seed_history(demo_ws, today=DEMO_DAY)
        member_sync(workspace=str(demo_ws))
    return demo_ws


def test_demo_invites_newcomers_ingests_reminds_the_rest_and_a_rerun_sends_nothing(demo: Path) -> None:
    seeded = outbox_keys(demo)
    with on(0):
        first = survey_distribution(auto_approve=True, workspace=str(demo))
    assert first["surveys"] == {DEMO_SURVEY: "open", "climate-circle": "upcoming"}
    assert first["invitations"] == 3  # members who joined after the survey went out
    assert first["responses_recorded"] > 50 and first["anonymous_recorded"] == 3 and first["inbox_processed"] == 2
    db = StateDB(f"sqlite:///{demo / 'weaver.db'}")
    with db.engine.connect() as conn:
        attributed = select(survey_responses.c.member_id).where(survey_responses.c.member_id.is_not(None))
        answered = set(conn.execute(attributed).scalars())
        engaged = set(conn.execute(select(engagement_events.c.member_id)).scalars())
    assert engaged == answered
    invited = {k.rsplit(":", 1)[1] for k in seeded if k.startswith("survey-invite:")}
    reminded = {k.rsplit(":", 1)[1] for k in outbox_keys(demo) if k.startswith("survey-reminder:")}
    assert reminded == invited - answered and len(reminded) == first["reminders"] > 0
    page = Path(first["report"]).read_text(encoding="utf-8")
    assert page.count("<svg") >= 4 and "2026 年度成员问卷" in page

    before = outbox_keys(demo)
    with on(0, hour=15):
        again = survey_distribution(auto_approve=True, workspace=str(demo))
    assert (again["invitations"], again["reminders"], again["responses_recorded"]) == (0, 0, 0)
    assert outbox_keys(demo) == before


def test_a_closed_survey_sends_nothing(demo: Path) -> None:
    with on(11):  # the check-in closed yesterday
        result = survey_distribution(auto_approve=True, workspace=str(demo))
    assert result["surveys"][DEMO_SURVEY] == "closed"
    assert (result["invitations"], result["reminders"]) == (0, 0)
    assert result["responses_recorded"] > 50  # late as it is, what came in is still recorded and summarised


def test_a_dry_run_sends_and_records_nothing(demo: Path) -> None:
    outbox, db_before = outbox_keys(demo), digest(demo / "weaver.db")
    with on(0):
        plan = survey_distribution(auto_approve=True, workspace=str(demo), dry_run=True)
    assert plan["delivery"]["would_send"] == plan["invitations"] + plan["reminders"] > 0
    assert plan["responses_recorded"] > 50 and Path(plan["previews"]).is_file()
    assert outbox_keys(demo) == outbox and digest(demo / "weaver.db") == db_before


@pytest.fixture
def forms_ws(demo_ws: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, FormsStandIn]]:
    """The demo workspace with its check-in polled from a Google Form (the stand-in), no demo history."""
    from tests.connectors.test_forms import service_account_key

    with FormsStandIn(page_size=50, require_auth=True) as forms:
        forms.add_form("gf-1", "Check-in", [text_item("100025", "token"),  # entry.1048613 is 0x100025
                                            choice_item("2c", "活动", ["线下聚会", "线上分享"]),
                                            text_item("3d", "故事", paragraph=True)])  # fmt: skip
        monkeypatch.setenv("WEAVER_TEST_FORMS_KEY", service_account_key(forms.token_uri))
        with (demo_ws / "weaver.toml").open("a", encoding="utf-8") as toml:
            toml.write('\n[surveys.google_forms]\ncredentials = { env = "WEAVER_TEST_FORMS_KEY" }\n')
        book = load_workbook(demo_ws / "network.xlsx")
        book["Surveys"]["F2"], book["Surveys"]["L2"] = "gf-1", ""  # polled, no CSV export
        book.save(demo_ws / "network.xlsx")
        with on(0, hour=9):
            member_sync(workspace=str(demo_ws))
        with redirect(forms=forms.endpoint):  # the flow builds its client from weaver.toml: point it here
            yield demo_ws, forms


def test_google_forms_responses_map_to_members_and_silence_their_reminders(forms_ws: tuple[Path, FormsStandIn]) -> None:
    ws, forms = forms_ws
    with on(0):
        first = survey_distribution(auto_approve=True, workspace=str(ws))
    assert first["invitations"] > 100 and first["reminders"] == 0  # just invited: no reminder yet
    assert first["forms_api_calls"] == {"forms.get": 1, "responses.list": 1}  # the empty form answered {}
    db = StateDB(f"sqlite:///{ws / 'weaver.db'}")
    secret = (local_secret(db, "survey-token", create=False) or "").encode()
    invited = sorted(k.rsplit(":", 1)[1] for k in outbox_keys(ws))
    ana, bo = invited[:2]
    forms.add_response(
        "gf-1",
        "r1",
        "2026-11-25T02:00:00Z",
        {"100025": [member_token(secret, DEMO_SURVEY, ana)], "2c": ["线下聚会"], "3d": ["在昆明见面"]},
    )
    forms.add_response(
        "gf-1",
        "r2",
        "2026-11-25T03:00:00Z",
        {"100025": [member_token(secret, DEMO_SURVEY, bo).upper()], "2c": ["线上分享"]},
    )
    forms.add_response(
        "gf-1",
        "r3",
        "2026-11-25T04:00:00Z",
        {"100025": [member_token(secret, "another-survey", ana)], "2c": ["线上分享"]},
    )  # wrong survey
    forms.add_response("gf-1", "r4", "2026-11-25T05:00:00Z", {"2c": ["线下聚会"]})  # token field emptied

    with on(3):  # the reminder of day 7 falls due
        second = survey_distribution(auto_approve=True, workspace=str(ws))
    assert (second["responses_recorded"], second["anonymous_recorded"]) == (4, 2)
    assert second["reminders"] == first["invitations"] - 2
    reminded = {k.rsplit(":", 1)[1] for k in outbox_keys(ws) if k.startswith("survey-reminder:")}
    assert ana not in reminded and bo not in reminded
    with db.engine.connect() as conn:
        rows = dict(conn.execute(select(survey_responses.c.id, survey_responses.c.member_id)).all())
        engaged = set(conn.execute(select(engagement_events.c.member_id)).scalars())
    assert rows == {"google_forms:r1": ana, "google_forms:r2": bo, "google_forms:r3": None, "google_forms:r4": None}
    assert engaged == {ana, bo}

    with on(3, hour=18):
        third = survey_distribution(auto_approve=True, workspace=str(ws))
    assert (third["responses_recorded"], third["reminders"]) == (0, 0)
    assert forms.requests[-1][1]["filter"] == "timestamp >= 2026-11-25T05:00:00Z"  # from the high-water mark


def test_an_unknown_token_in_the_inbox_is_kept_anonymous(demo: Path) -> None:
    forged = {"form": DEMO_SURVEY, "submitted_at": "2026-11-24T01:00:00Z", "email": "who@example.org", "name": "x",
              "answers": {"活动": "线下聚会"}, "hidden": {"token": "a" * 24}}  # fmt: skip
    db = StateDB(f"sqlite:///{demo / 'weaver.db'}")
    with db.begin() as conn:
        conn.execute(inbox.insert().values(id="tally:forged", provider="tally", form=DEMO_SURVEY, kind="survey",
                                           payload=forged, received_at=datetime.now(SHANGHAI), status="received",
                                           attempts=0))  # fmt: skip
    with on(0):
        survey_distribution(auto_approve=True, workspace=str(demo))
    with db.engine.connect() as conn:
        row = conn.execute(select(survey_responses).where(survey_responses.c.id == "tally:forged")).one()
        status = conn.execute(select(inbox.c.status).where(inbox.c.id == "tally:forged")).scalar()
    assert (row.member_id, row.attribution, status) == (None, "unknown_token", "processed")
    assert "who@example.org" not in json.dumps(row.answers, ensure_ascii=False)


def ledger_keys(ws: Path) -> set[str]:
    with StateDB(f"sqlite:///{ws / 'weaver.db'}").engine.connect() as conn:
        return set(conn.execute(select(ledger.c.key)).scalars())


def test_above_the_threshold_it_waits_for_approval_and_a_decline_sends_nothing(demo: Path) -> None:
    approval_threshold_one(demo)
    day = DEMO_DAY.isoformat()  # real time with as_of: a time-travelled pause would expire on the server
    outbox, planned = outbox_keys(demo), ledger_keys(demo)
    paused = PausedRun("survey-distribution", lambda: survey_distribution(workspace=str(demo), as_of=day))
    assert outbox_keys(demo) == outbox  # nothing went out while waiting
    declined = paused.answer(approve=False)
    held = declined["delivery"]["held"]
    assert (declined["invitations"], declined["reminders"]) == (0, 0) and held > 3
    assert outbox_keys(demo) == outbox and ledger_keys(demo) == planned  # nothing sent, nothing recorded
    again = survey_distribution(workspace=str(demo), as_of=day, auto_approve=True)
    assert again["delivery"]["planned"] == held and again["invitations"] == 3 and again["reminders"] > 0  # again
    assert len(outbox_keys(demo)) == len(outbox) + again["invitations"] + again["reminders"]
