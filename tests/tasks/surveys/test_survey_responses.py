"""Responses: three channels normalised, attributed by token only, recorded once, engagement noted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httplib2
import pytest
from sqlalchemy import select

from connectors.forms import FormSchema, GoogleForms, Question
from tasks.surveys.responses import (
    Collected,
    attribute,
    collect_responses,
    from_csv,
    from_inbox,
    record_responses,
    token_question,
)
from tasks.surveys.surveys import Survey, member_token, parse_surveys
from tests.standins.forms import FormsStandIn, choice_item, text_item
from weaver.state import StateDB, inbox, read_cursor
from weaver.state.engagement import engagement_events
from weaver.state.surveys import stored_responses

SECRET = b"s" * 32
NOW = datetime(2026, 11, 24, 8, tzinfo=UTC)
HEADER = ["survey_id", "title", "form_link", "token_field", "form", "opens", "closes", "responses_csv"]


def make_survey(link: str = "https://tally.so/r/abc", token_field: str = "", form: str = "",
                csv_file: str = "") -> Survey:  # fmt: skip
    grid = [HEADER, ["s1", "Check-in", link, token_field, form, "2026-11-20", "2026-12-04", csv_file]]
    return parse_surveys(grid, "Surveys", "en").surveys[0]


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    return state_db  # on SQLite and on PostgreSQL: ids [sqlite], [postgresql]


def inbox_row(ident: str, payload: object, form: str = "s1") -> dict[str, object]:
    return {"id": ident, "provider": "tally", "form": form, "kind": "survey", "payload": payload,
            "received_at": NOW, "status": "received", "attempts": 0}  # fmt: skip


def payload(token: str | None, **answers: object) -> dict[str, object]:
    hidden = {"token": token} if token is not None else {}
    return {"form": "s1", "submitted_at": "2026-11-22T10:00:00Z", "email": "someone@example.org", "name": "张伟",
            "answers": answers or {"活动": "线下聚会"}, "hidden": hidden}  # fmt: skip


# attribution --------------------------------------------------------------------------------------------------
def test_a_valid_token_names_its_member_and_anything_else_stays_anonymous() -> None:
    s = make_survey()
    good = member_token(SECRET, "s1", "m-1")
    other_survey = member_token(SECRET, "s2", "m-2")
    incoming = [from_inbox(inbox_row(f"tally:{i}", payload(tok)), s, "en") for i, tok in
                enumerate([good.upper(), "forged0000000000000000000", other_survey, None])]  # fmt: skip
    rows = attribute(incoming, SECRET, ["m-1", "m-2"])  # type: ignore[arg-type]
    assert [(r["member_id"], r["attribution"]) for r in rows] == [
        ("m-1", "member"), (None, "unknown_token"), (None, "unknown_token"), (None, "no_token")]  # fmt: skip


def test_typed_email_and_name_are_never_used_or_kept() -> None:
    s = make_survey()
    response = from_inbox(inbox_row("tally:1", payload(None, **{"Email": "x@y.org", "Your name": "张伟", "Q": "a"})),
                          s, "en")  # fmt: skip
    assert not isinstance(response, str) and response.answers == {"Q": "a"}
    [row] = attribute([response], SECRET, ["m-1"])
    assert row["member_id"] is None


def test_a_malformed_inbox_payload_names_the_field() -> None:
    bad = from_inbox(inbox_row("tally:1", {"answers": ["not", "a", "mapping"]}), make_survey(), "en")
    assert bad == "the submission's answers is malformed"


# CSV exports ------------------------------------------------------------------------------------------------------
EXPORT = [
    ["Timestamp", "Email Address", "token", "你最看重哪类活动？", "A story"],
    ["2026/11/21 10:00:00", "a@example.org", "TOKEN-A", "线下聚会", "我们在昆明见面"],
    ["2026/11/21 11:00:00", "", "", "线上分享", ""],
    ["yesterday", "", "x", "线上分享", ""],
]


def test_csv_export_rows_become_responses_and_bad_rows_are_reported() -> None:
    s = make_survey(csv_file="export.csv")
    found, rejected = from_csv(EXPORT, s, "export.csv", "Asia/Shanghai", NOW, "en")
    assert [r.token for r in found] == ["TOKEN-A", ""]
    assert found[0].answers == {"你最看重哪类活动?": "线下聚会", "A story": "我们在昆明见面"}  # no email column
    assert found[0].submitted_at == datetime(2026, 11, 21, 2, tzinfo=UTC)  # local time of the network
    assert [(r.where, r.reason) for r in rejected] == [
        ("export.csv row 4", "the timestamp 'yesterday' is not a date and time")]  # fmt: skip


def test_reimporting_a_longer_export_records_only_the_new_rows(db: StateDB, tmp_path: Path) -> None:
    s = make_survey(csv_file="export.csv")
    (tmp_path / "export.csv").write_text("\n".join(",".join(r) for r in EXPORT[:2]), encoding="utf-8")
    first = collect_responses([s], db, None, tmp_path, "Asia/Shanghai", NOW, "en")
    assert record_responses(db, attribute(first.responses, SECRET, []), first, False).new == 1
    (tmp_path / "export.csv").write_text("\n".join(",".join(r) for r in EXPORT[:3]), encoding="utf-8")
    again = collect_responses([s], db, None, tmp_path, "Asia/Shanghai", NOW, "en")
    recorded = record_responses(db, attribute(again.responses, SECRET, []), again, False)
    assert (recorded.new, recorded.updated) == (1, 1)


def test_a_missing_export_is_reported(db: StateDB, tmp_path: Path) -> None:
    collected = collect_responses([make_survey(csv_file="nope.csv")], db, None, tmp_path, "UTC", NOW, "en")
    assert [(r.where, r.reason) for r in collected.rejected] == [("nope.csv", "the file does not exist")]


# recording -----------------------------------------------------------------------------------------------------
def test_recording_marks_the_inbox_and_counts_engagement_once(db: StateDB, tmp_path: Path) -> None:
    token = member_token(SECRET, "s1", "m-1")
    with db.begin() as conn:
        rows = [inbox_row("tally:1", payload(token)), inbox_row("tally:2", payload(token)),
                inbox_row("tally:3", "{not json"), inbox_row("tally:4", payload(token), "other")]  # fmt: skip
        conn.execute(inbox.insert(), rows)
    collected = collect_responses([make_survey()], db, None, tmp_path, "UTC", NOW, "en")
    recorded = record_responses(db, attribute(collected.responses, SECRET, ["m-1"]), collected, False)
    assert (recorded.new, recorded.attributed_new, recorded.inbox_processed, recorded.inbox_failed) == (2, 2, 2, 1)
    with db.engine.connect() as conn:
        statuses = dict(conn.execute(select(inbox.c.id, inbox.c.status)).all())
        events = conn.execute(select(engagement_events)).all()
    assert statuses == {"tally:1": "processed", "tally:2": "processed", "tally:3": "failed", "tally:4": "received"}
    assert [(e.member_id, e.kind, e.source) for e in events] == [("m-1", "survey_response", "survey:s1")]
    assert collect_responses([make_survey()], db, None, tmp_path, "UTC", NOW, "en").responses == []


def test_a_dry_run_records_nothing(db: StateDB, tmp_path: Path) -> None:
    with db.begin() as conn:
        conn.execute(inbox.insert(), [inbox_row("tally:1", payload(None))])
    collected = collect_responses([make_survey()], db, None, tmp_path, "UTC", NOW, "en")
    assert record_responses(db, attribute(collected.responses, SECRET, []), collected, True).new == 1
    assert stored_responses(db, ["s1"]) == []
    with db.engine.connect() as conn:
        assert conn.execute(select(inbox.c.status)).scalar() == "received"


# Google Forms ---------------------------------------------------------------------------------------------------
def test_the_token_question_is_found_by_its_entry_number_or_its_title() -> None:
    by_entry = FormSchema("f", "t", (Question("100025", "Your code", "text"), Question("aa", "Q", "text")))
    assert token_question(by_entry, make_survey(link="https://docs.google.com/forms/d/e/x/viewform",
                                                token_field="entry.1048613")) == "100025"  # fmt: skip
    by_title = FormSchema("f", "t", (Question("aa", "Q", "text"), Question("bb", "Token", "text")))
    assert token_question(by_title, make_survey(link="https://docs.google.com/forms/d/e/x/viewform",
                                                token_field="entry.5")) == "bb"  # fmt: skip


@pytest.fixture
def forms() -> Iterator[FormsStandIn]:
    with FormsStandIn(page_size=2) as standin:
        activities = choice_item("2b", "活动", ["线下聚会", "线上分享"], "CHECKBOX")
        standin.add_form("gf-1", "Check-in", [text_item("100025", "token"), activities])
        yield standin


def test_google_forms_are_polled_from_the_high_water_mark(db: StateDB, tmp_path: Path,
                                                          forms: FormsStandIn) -> None:  # fmt: skip
    s = make_survey(link="https://docs.google.com/forms/d/e/x/viewform", token_field="entry.1048613", form="gf-1")
    client = GoogleForms(httplib2.Http(timeout=5), forms.endpoint)
    token = member_token(SECRET, "s1", "m-1")
    for i in range(3):
        answers = {"100025": [token], "2b": ["线下聚会", "线上分享"]}
        forms.add_response("gf-1", f"r{i}", f"2026-11-2{i}T08:00:00Z", answers)

    def run() -> Collected:
        collected = collect_responses([s], db, client, tmp_path, "UTC", NOW, "en")
        record_responses(db, attribute(collected.responses, SECRET, ["m-1"]), collected, False)
        return collected

    first = run()
    assert [r.id for r in first.responses] == ["google_forms:r0", "google_forms:r1", "google_forms:r2"]
    assert first.responses[0].answers == {"活动": ["线下聚会", "线上分享"]} and first.responses[0].token == token
    assert read_cursor(db, "google_forms:gf-1") == "2026-11-22T08:00:00Z"
    forms.add_response("gf-1", "r3", "2026-11-23T08:00:00.5Z", {"2b": ["线上分享"]})
    second = run()
    assert forms.requests[-1] == ("responses.list", {"filter": "timestamp >= 2026-11-22T08:00:00Z", "alt": "json"})
    assert [r.id for r in second.responses] == ["google_forms:r2", "google_forms:r3"]  # the mark itself comes again
    ids = [r["id"] for r in stored_responses(db, ["s1"])]
    assert sorted(ids) == ["google_forms:r0", "google_forms:r1", "google_forms:r2", "google_forms:r3"]  # deduped
    assert second.kinds["s1"] == {"token": "text", "活动": "choice"}


def test_inbox_submissions_for_an_unknown_form_wait_and_are_mentioned(db: StateDB, tmp_path: Path) -> None:
    with db.begin() as conn:
        conn.execute(inbox.insert(), [inbox_row("tally:9", payload(None), form="next-year")])
    collected = collect_responses([make_survey()], db, None, tmp_path, "UTC", NOW, "en")
    assert collected.responses == []
    assert "1 survey submission(s) in the inbox for form 'next-year'" in collected.notes[0]
