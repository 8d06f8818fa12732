"""The Google Forms connector through the real google-api-python-client against the Forms v1 stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httplib2
import pytest

from connectors.forms import GoogleForms, build_google_forms
from connectors.retry import RetryPolicy
from tests.standins.forms import ACCESS_TOKEN, FormsStandIn, choice_item, scale_item, text_item
from weaver.config import GoogleFormsConfig, SecretRef
from weaver.errors import ConfigError, FatalError, RetriableError


@pytest.fixture
def standin() -> Iterator[FormsStandIn]:
    with FormsStandIn(page_size=2) as forms:
        forms.add_form("form-1", "会员年度问卷", [
            text_item("1a2b", "token"),
            choice_item("3c4d", "你最看重哪项活动？", ["线下聚会", "线上分享", "Newsletter"]),
            scale_item("5e6f", "How connected do you feel?", 1, 5),
            text_item("7a8b", "一个故事 / A story", paragraph=True),
        ])  # fmt: skip
        forms.add_form("empty", "Nobody answered yet", [text_item("1a2b", "token")])
        yield forms


def client(standin: FormsStandIn, sleeps: list[float] | None = None, attempts: int = 4) -> GoogleForms:
    record = sleeps.append if sleeps is not None else (lambda _s: None)
    policy = RetryPolicy(attempts=attempts, sleep=record)  # waits are recorded, never slept
    return GoogleForms(httplib2.Http(timeout=5), standin.endpoint, policy=policy)


def add(standin: FormsStandIn, n: int, day: int = 20) -> None:
    for i in range(n):
        standin.add_response("form-1", f"r{i}", f"2026-11-{day}T08:00:0{i}.123456789Z",
                             {"1a2b": [f"tok{i}"], "3c4d": ["线下聚会"], "7a8b": ["我们在昆明见面 🙂"]})  # fmt: skip


def test_get_form_gives_titles_and_kinds(standin: FormsStandIn) -> None:
    schema = client(standin).get_form("form-1")
    assert schema.title == "会员年度问卷"
    kinds = {q.title: (q.kind, q.options) for q in schema.questions}
    assert kinds["你最看重哪项活动？"] == ("choice", ("线下聚会", "线上分享", "Newsletter"))
    assert kinds["How connected do you feel?"] == ("scale", ("1", "2", "3", "4", "5"))
    assert kinds["一个故事 / A story"] == ("text", ())


def test_list_follows_every_page(standin: FormsStandIn) -> None:
    add(standin, 5)
    forms = client(standin)
    found = forms.list_responses("form-1")
    assert [r.response_id for r in found] == ["r0", "r1", "r2", "r3", "r4"]
    assert forms.calls["responses.list"] == 3  # pages of 2, 2, 1
    assert found[0].answers["7a8b"] == ("我们在昆明见面 🙂",)
    assert found[4].submitted_at.isoformat() == "2026-11-20T08:00:04.123456+00:00"


def test_since_sends_the_timestamp_filter_and_keeps_it_across_pages(standin: FormsStandIn) -> None:
    add(standin, 3, day=19)
    standin.add_response("form-1", "late-1", "2026-11-22T09:00:00Z", {"1a2b": ["a"]})
    standin.add_response("form-1", "late-2", "2026-11-22T09:00:00Z", {"1a2b": ["b"]})
    standin.add_response("form-1", "late-3", "2026-11-23T10:00:00Z", {"1a2b": ["c"]})
    found = client(standin).list_responses("form-1", since="2026-11-22T09:00:00Z")
    assert [r.response_id for r in found] == ["late-1", "late-2", "late-3"]  # >=: the mark itself is included
    filters = {q.get("filter") for name, q in standin.requests if name == "responses.list"}
    assert filters == {"timestamp >= 2026-11-22T09:00:00Z"}


def test_an_empty_form_answers_an_empty_object(standin: FormsStandIn) -> None:
    assert client(standin).list_responses("empty") == []


def test_429_is_retried_after_the_servers_delay(standin: FormsStandIn) -> None:
    add(standin, 1)
    standin.fail_next(429, retry_after=7)
    standin.fail_next(503)
    sleeps: list[float] = []
    found = client(standin, sleeps).list_responses("form-1")
    assert len(found) == 1
    assert 7.0 <= sleeps[0] <= 8.0 and 0 <= sleeps[1] <= 2.0  # Retry-After honoured, then jittered backoff


def test_retries_are_bounded(standin: FormsStandIn) -> None:
    for _ in range(5):
        standin.fail_next(503)
    with pytest.raises(RetriableError, match=r"responses.list for form form-1: HTTP 503"):
        client(standin, attempts=3).list_responses("form-1")
    assert standin.calls["fault"] == 3


def test_unknown_form_is_fatal_and_not_retried(standin: FormsStandIn) -> None:
    forms = client(standin)
    with pytest.raises(FatalError, match="no such form"):
        forms.get_form("nope")
    assert forms.calls["forms.get"] == 1


def service_account_key(token_uri: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()  # fmt: skip
    return json.dumps({"type": "service_account", "project_id": "p", "private_key_id": "k1", "private_key": pem,
                       "client_email": "weaver@p.iam.gserviceaccount.com", "client_id": "1",
                       "token_uri": token_uri})  # fmt: skip


def test_production_factory_authorises_with_the_service_account(monkeypatch: pytest.MonkeyPatch) -> None:
    with FormsStandIn(require_auth=True) as standin:
        standin.add_form("form-1", "t", [text_item("1a2b", "token")])
        monkeypatch.setenv("FORMS_KEY", service_account_key(standin.token_uri))
        cfg = GoogleFormsConfig(credentials=SecretRef(env="FORMS_KEY"))
        forms = build_google_forms(cfg, "weaver.toml", api_endpoint=standin.endpoint)
        assert forms.list_responses("form-1") == []
        assert standin.calls["token"] == 1 and standin.auth_headers[-1] == f"Bearer {ACCESS_TOKEN}"


def test_a_bad_key_is_a_config_error_without_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORMS_KEY", "not json at all")
    cfg = GoogleFormsConfig(credentials=SecretRef(env="FORMS_KEY"))
    with pytest.raises(ConfigError) as caught:
        build_google_forms(cfg, "weaver.toml")
    assert "not a service-account JSON key" in str(caught.value) and "not json" not in str(caught.value)
