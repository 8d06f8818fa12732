"""engagement-review's report and Kumu sheet, pure: people by name, weavers by name, events by title."""

from __future__ import annotations

import csv
import io
from datetime import date

from tasks.common.attendance import event_titles
from tasks.common.ties import kumu_elements_csv, tie
from tasks.engagement.plan import ReviewPlan
from tasks.engagement.report import EngagementSummary, flagged_rows, introduction_label
from tasks.engagement.score import DRIFTING, NEWCOMER, Assignment, Score
from weaver.config import Weaver

D = date(2026, 11, 24)


def plan() -> ReviewPlan:
    lin = Weaver(id="w-lin", name="林晓", email="lin@example.org")
    drifting = Score("m-1", 12, 1, 0, 0, date(2026, 6, 1), None, DRIFTING)
    newcomer = Score("m-2", 0, 0, 0, 0, None, date(2026, 11, 1), NEWCOMER)
    return ReviewPlan(D, {}, [Assignment(lin, [drifting])], [newcomer], {"m-1": ["Climate circle"]}, [], [],
                      [(tie("m-2", "m-1", "introduction", "intro:m-2:m-1", D), date(2026, 12, 8))], [], [], [], [],
                      {}, "Members", names={"m-1": "王芳", "m-2": "Ana Silva"})  # fmt: skip


def test_flagged_members_and_their_weavers_are_shown_by_name() -> None:
    rows = flagged_rows(plan(), "en")
    assert [r[0] for r in rows] == ["王芳", "Ana Silva"]
    assert [r[4] for r in rows] == ["林晓", "-"]
    assert not any("m-" in cell or "w-lin" in cell for row in rows for cell in row)


def test_a_planned_follow_up_names_the_newcomer_and_the_member() -> None:
    p = plan()
    assert introduction_label(p, p.followups_planned[0][0]) == "Ana Silva → 王芳"
    assert p.name("m-9") == "m-9"  # someone no longer on the tab keeps their id


def test_events_take_their_titles_from_the_events_tab_as_mapped() -> None:
    grid = [["活动编号", "名称"], ["evt-1", "Climate Roundtable"], ["", "no id"]]
    assert event_titles(grid, {"event_id": "活动编号", "title": "名称"}) == {"evt-1": "Climate Roundtable"}
    assert event_titles([], {}) == {} and event_titles([["other"]], {}) == {}


def test_the_kumu_elements_sheet_labels_people_by_name_and_keeps_the_id_for_kumu() -> None:
    text = kumu_elements_csv({"m-1": {"region": "华东"}}, {"m-1": "王芳"})
    assert list(csv.reader(io.StringIO(text))) == [["ID", "Label", "Type", "Region"], ["m-1", "王芳", "Member", "华东"]]


def test_the_summary_has_no_tie_graph_entry_on_a_dry_run() -> None:
    keys = "members_scored engaged drifting newcomer quiet checkins_assigned checkins_waiting introductions"
    counts = dict.fromkeys([*keys.split(), "followups_due", "followups_planned", "cells"], 0)
    assert "tie_graph" not in EngagementSummary(**counts)
    assert EngagementSummary(**counts, tie_graph="reports/ties-kumu.csv")["tie_graph"] == "reports/ties-kumu.csv"


def test_each_checkin_in_a_weavers_digest_carries_its_signed_outcome_link() -> None:
    from datetime import UTC, datetime

    from tasks.common.links import CHECKIN
    from tasks.engagement.plan import digests
    from weaver.config import parse_config
    from weaver.links import LinkSigner, link_url

    signer = LinkSigner(b"a test network's link key")
    config = parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"}})

    def links(purpose: str, subject: str, scope: str = "") -> str:
        return link_url(config, purpose, signer.token(purpose, subject, scope))

    members = {"m-1": {"name": "王芳", "language": "zh", "region": "华东"}}
    [mail] = digests(plan(), members, config, "en", links)
    url = next(w for w in mail.text.split() if f"/l/{CHECKIN}/" in w)
    link = signer.verify(url.split("/")[-1].split("?")[0], CHECKIN, datetime(2026, 11, 24, tzinfo=UTC))
    assert (link.subject, link.scope) == ("m-1", "w-lin:2026-W48") and url.endswith("?lang=en")
    assert "m-1" not in url and f'href="{url}"' in mail.html.replace("&amp;", "&")
    [plain] = digests(plan(), members, config, "en")  # no signer: no link
    assert f"/l/{CHECKIN}/" not in plain.text


def test_a_check_in_answer_asking_for_a_follow_up_is_in_that_weavers_next_digest() -> None:
    from datetime import UTC, datetime

    from tasks.engagement.plan import digests, followup_requests
    from weaver.config import parse_config

    answers = [
        {"subject": "m-1", "scope": "w-lin:2026-W47", "used_at": datetime(2026, 11, 18, tzinfo=UTC),
         "outcome": {"met": True, "followup": True}},
        {"subject": "m-2", "scope": "w-lin:2026-W47", "used_at": datetime(2026, 11, 18, tzinfo=UTC),
         "outcome": {"met": True, "followup": False}},
        {"subject": "m-1", "scope": "w-lin:2026-W40", "used_at": datetime(2026, 10, 1, tzinfo=UTC),
         "outcome": {"followup": True}},  # too old
    ]  # fmt: skip
    assert followup_requests(answers, {"m-1", "m-2"}, D) == {"w-lin": ["m-1"]}
    p = plan()
    p.followup_requests = {"w-lin": ["m-1"]}
    config = parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"}})
    [mail] = digests(p, {"m-1": {"name": "王芳", "language": "zh"}}, config, "en")
    assert "Follow-ups you asked for after a check-in: 王芳" in mail.text
