"""Each provider's submission becomes the one normalised shape the inbox stores."""

from __future__ import annotations

import json

import pytest

from deployments import samples
from deployments.submissions import BadSubmission, parse_submission

JOIN_FIELDS = {"name": "姓名 Name", "email": "邮箱 Email", "interests": "兴趣 Interests", "region": "地区 Region"}


@pytest.mark.parametrize("provider", ["tally", "typeform", "google_forms"])
def test_every_provider_gives_the_same_normalised_payload(provider: str) -> None:
    body = samples.BUILDERS[provider]("sub-1")
    sub = parse_submission(provider, "join", body, JOIN_FIELDS)
    assert sub.inbox_id == f"{provider}:sub-1"
    p = sub.payload
    assert (p["form"], p["provider"], p["submission_id"]) == ("join", provider, "sub-1")
    assert p["submitted_at"].startswith("2026-11-24T08:00:00")
    assert (p["email"], p["name"]) == ("ana.lima@example.org", "Ana Lima")
    assert p["answers"]["兴趣 Interests"] == ["气候 climate", "教育 education"]
    assert p["fields"] == {
        "name": "Ana Lima",
        "email": "ana.lima@example.org",
        "interests": "气候 climate, 教育 education",
        "region": "Latin America",
    }
    json.dumps(p)  # stored as JSON


def test_tally_checkbox_options_become_labels_and_hidden_fields_are_kept() -> None:
    body = samples.tally("r9", {"Email": "a@example.org", "Topics": ["arts", "data"]}, hidden={"token": "t-1"})
    p = parse_submission("tally", "survey", body).payload
    assert p["answers"] == {"Email": "a@example.org", "Topics": ["arts", "data"]}  # per-option booleans folded
    assert p["hidden"] == {"token": "t-1"}
    assert p["email"] == "a@example.org"


def test_typeform_fields_can_be_named_by_ref_and_choices_keep_other() -> None:
    raw = json.loads(samples.typeform("tok", {"Your full name": "Wei", "Mail": "w@example.cn"}))
    raw["form_response"]["answers"].append(
        {"type": "choice", "choice": {"other": "Hiking"}, "field": {"id": "fx", "ref": "hobby", "type": "dropdown"}}
    )
    body = json.dumps(raw).encode()
    p = parse_submission("typeform", "rsvp", body, {"name": "ref_000", "interests": "hobby"}).payload
    assert p["fields"] == {"name": "Wei", "interests": "Hiking", "email": "w@example.cn"}  # email: typed answer
    assert p["answers"]["hobby"] == "Hiking"  # no title in the definition: the ref labels it


def test_unmapped_email_and_name_are_found_by_their_labels_in_either_language() -> None:
    body = samples.google_forms("g1", {"姓名": "张伟", "邮箱：": "zhang@example.cn", "Comment": "你好"})
    p = parse_submission("google_forms", "join", body).payload
    assert (p["name"], p["email"]) == ("张伟", "zhang@example.cn")


def test_google_forms_respondent_email_wins_when_the_form_collects_it() -> None:
    body = samples.google_forms("g2", {"Name": "Ana"}, respondent="ana@example.org")
    assert parse_submission("google_forms", "join", body).payload["email"] == "ana@example.org"


def test_repeated_question_labels_are_both_kept() -> None:
    body = samples.google_forms("g3", {"Name": "A"})
    raw = json.loads(body)
    raw["items"].append({"id": 7, "title": "Name", "type": "TEXT", "value": "B"})
    answers = parse_submission("google_forms", "join", json.dumps(raw).encode()).payload["answers"]
    assert answers == {"Name": "A", "Name (2)": "B"}


@pytest.mark.parametrize(
    ("provider", "body", "message"),
    [
        ("tally", b"{not json", "the body is not JSON"),
        ("tally", b"\xff\xfe", "the body is not JSON"),
        ("tally", b"[1, 2]", "the body is not a JSON object"),
        ("tally", b'{"eventType": "FORM_RESPONSE"}', "missing object data"),
        ("tally", b'{"eventType": "FORM_DELETED", "data": {}}', "eventType is not FORM_RESPONSE"),
        ("tally", b'{"data": {"fields": []}}', "the submission has no id"),
        ("tally", b'{"data": {"responseId": "r", "fields": {"a": 1}}}', "data.fields is not a list of objects"),
        ("typeform", b'{"event_type": "form_response"}', "missing object form_response"),
        ("typeform", b'{"form_response": {"answers": []}}', "the submission has no id"),
        ("google_forms", b'{"responseId": "x", "items": "nope"}', "items is not a list of objects"),
    ],
)
def test_malformed_bodies_name_what_is_wrong(provider: str, body: bytes, message: str) -> None:
    with pytest.raises(BadSubmission) as err:
        parse_submission(provider, "join", body)
    assert str(err.value) == message


def test_a_survey_submission_is_read_by_the_survey_operation_with_its_token() -> None:
    """The contract with survey-distribution: it reads answers, hidden token and time from our payload."""
    from datetime import UTC, date, datetime

    from tasks.surveys.responses import from_inbox
    from tasks.surveys.surveys import Audience, Survey

    body = samples.tally("s-1", {"How useful was the meetup?": "4", "Email": "a@example.org"}, hidden={"t": "tok-9"})
    sub = parse_submission("tally", "pulse", body)
    survey = Survey(2, "pulse", "Pulse", "tally", "https://tally.so/r/x", "t", "pulse", Audience(),
                    date(2026, 11, 1), date(2026, 12, 1))  # fmt: skip
    row = {"id": sub.inbox_id, "form": "pulse", "payload": sub.payload, "received_at": datetime.now(UTC)}
    incoming = from_inbox(row, survey, "en")
    assert not isinstance(incoming, str), incoming
    assert (incoming.token, incoming.survey_id) == ("tok-9", "pulse")
    assert incoming.answers == {"How useful was the meetup?": "4"}  # the email question is personal: dropped
    assert incoming.submitted_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
