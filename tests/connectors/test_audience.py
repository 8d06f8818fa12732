"""The Mailchimp gateway through the real `mailchimp-marketing` client, redirected to the stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from mailchimp_marketing.api_client import ApiClientError

from connectors.audience import (
    CampaignDraft,
    ContactUpsert,
    MailchimpAudience,
    parse_problem,
    quarter_hour,
    subscriber_hash,
)
from connectors.retry import RetryPolicy
from tests.standins.mailchimp import MailchimpStandIn
from weaver.errors import ConfigError, FatalError, RetriableError


@pytest.fixture
def standin() -> Iterator[MailchimpStandIn]:
    with MailchimpStandIn() as server:
        yield server


@pytest.fixture
def slept() -> list[float]:
    return []


def gateway(standin: MailchimpStandIn, slept: list[float] | None = None, attempts: int = 4,
            **kw: object) -> MailchimpAudience:  # fmt: skip
    sleeps = slept if slept is not None else []
    policy = RetryPolicy(attempts=attempts, sleep=sleeps.append, rand=lambda: 0.0)
    return MailchimpAudience(standin.api_key, standin.list_id, base_url=standin.url, policy=policy, **kw)  # type: ignore[arg-type]


def test_an_email_containing_server_is_addressed_by_its_hash(standin: MailchimpStandIn) -> None:
    """The client rewrites 'server' anywhere in a URL; a contact path is always the MD5, so it is safe."""
    audience = gateway(standin)
    email = "Observer@Server.example.org"
    [result] = audience.upsert_contacts([ContactUpsert(email, "subscribed", {"FNAME": "Ob"}, "en", ("climate",))])
    assert result.ok
    stored = standin.contact(email)
    assert stored is not None and stored["email_address"] == email and stored["tags"] == {"climate"}
    member_paths = [path for _method, path in standin.requests if "/members/" in path]
    assert member_paths and all(subscriber_hash(email) in path for path in member_paths)
    assert subscriber_hash(email) == subscriber_hash("observer@server.example.org")


def test_a_wrong_api_key_is_a_fatal_error_that_names_the_config_not_the_key(standin: MailchimpStandIn) -> None:
    audience = MailchimpAudience("not-the-key-us21", standin.list_id, base_url=standin.url)
    with pytest.raises(FatalError) as caught:
        audience.contacts()
    message = str(caught.value)
    assert "401 API Key Invalid" in message and "[mailchimp] api_key" in message
    assert "not-the-key" not in message


def test_a_batch_of_more_than_500_is_refused_before_any_call(standin: MailchimpStandIn) -> None:
    contacts = [ContactUpsert(f"p{i}@example.org", "subscribed") for i in range(501)]
    with pytest.raises(ValueError, match="at most 500"):
        gateway(standin).upsert_batch(contacts)
    assert standin.requests == []


def test_per_contact_errors_are_results_and_carry_no_address(standin: MailchimpStandIn) -> None:
    standin.add_contact("left@example.org", "unsubscribed")
    contacts = [
        ContactUpsert("ok@example.org", "subscribed", {"FNAME": "Ok"}, "zh", ("气候",)),
        ContactUpsert("not-an-address@", "subscribed"),
        ContactUpsert("field@example.org", "subscribed", {"NOSUCH": "x"}),
        ContactUpsert("left@example.org", "subscribed"),
    ]
    results = gateway(standin).upsert_batch(contacts)
    assert [r.ok for r in results] == [True, False, False, False]
    assert [r.problem for r in results[1:]] == [
        "address rejected as invalid",
        "merge field NOSUCH rejected",
        "compliance state (unsubscribed, bounced or under review): not retried",
    ]
    assert not any(r.retry for r in results)
    assert standin.contact("left@example.org")["status"] == "unsubscribed"  # never forced back
    assert (
        standin.contact("ok@example.org")["tags"] == {"气候"} and standin.contact("ok@example.org")["language"] == "zh"
    )
    assert standin.counts()["batch"] == 1


def test_a_put_never_changes_an_existing_contacts_status(standin: MailchimpStandIn) -> None:
    standin.add_contact("left@example.org", "unsubscribed")
    standin.add_contact("pending@example.org", "pending")
    results = gateway(standin).upsert_contacts([
        ContactUpsert("left@example.org", "subscribed", {"FNAME": "L"}),
        ContactUpsert("pending@example.org", "subscribed", {"FNAME": "P"}),
        ContactUpsert("new@example.org", "subscribed", {"FNAME": "N"}),
    ])  # fmt: skip
    assert [(r.ok, r.status) for r in results] == [(True, "unsubscribed"), (True, "pending"), (True, "subscribed")]
    assert standin.contact("pending@example.org")["merge_fields"] == {"FNAME": "P"}


def test_429_waits_for_retry_after_then_succeeds(standin: MailchimpStandIn, slept: list[float]) -> None:
    standin.add_contact("a@example.org")
    standin.fail("GET", r"/members$", status=429, times=2, retry_after="3")
    contacts = gateway(standin, slept).contacts()
    assert [c.email for c in contacts] == ["a@example.org"]
    assert slept == [3.0, 3.0] and standin.counts()["read"] == 3


def test_a_permanent_429_gives_up_after_a_bounded_number_of_tries(
    standin: MailchimpStandIn, slept: list[float]
) -> None:
    standin.fail("GET", r"/members$", status=429, times=100, retry_after="1")
    with pytest.raises(RetriableError, match="429 Too Many Requests") as caught:
        gateway(standin, slept, attempts=3).contacts()
    assert standin.counts()["read"] == 3 and len(slept) == 2
    assert caught.value.retry_after == 1.0


def test_a_retry_after_too_long_to_wait_is_reported_not_slept(standin: MailchimpStandIn, slept: list[float]) -> None:
    standin.fail("POST", r"/campaigns$", status=429, retry_after="3600")
    with pytest.raises(RetriableError) as caught:
        gateway(standin, slept).create_campaign(draft())
    assert slept == [] and caught.value.retry_after == 3600.0


def test_5xx_is_retried_for_idempotent_calls_only(standin: MailchimpStandIn, slept: list[float]) -> None:
    standin.fail("POST", r"/lists/[^/]+$", status=503, retry_after=None, title="Service Unavailable")
    [result] = gateway(standin, slept).upsert_batch([ContactUpsert("a@example.org", "subscribed")])
    assert result.ok and standin.counts()["batch"] == 2 and len(slept) == 1

    standin.fail("POST", r"/campaigns$", status=503, retry_after=None, title="Service Unavailable")
    with pytest.raises(RetriableError, match="503 Service Unavailable"):
        gateway(standin, slept).create_campaign(draft())
    assert standin.counts()["campaign"] == 1  # creating twice would make two drafts: never repeated here
    assert standin.campaigns == {}


def test_problem_json_becomes_one_clear_line_without_member_data(standin: MailchimpStandIn) -> None:
    campaign = gateway(standin).create_campaign(draft())
    with pytest.raises(FatalError) as caught:
        gateway(standin).send_campaign(campaign.id)  # no content yet: no unsubscribe link
    assert str(caught.value) == (
        "Mailchimp campaign send: 400 Bad Request: Your campaign is not ready to send: it needs an unsubscribe link."
    )


def test_mailchimps_error_text_is_parsed_and_addresses_are_redacted() -> None:
    body = ('{"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": "Invalid Resource", '
            '"status": 400, "detail": "ana@example.org looks fake or invalid", '
            '"errors": [{"field": "email_address", "message": "ana@example.org is not allowed"}]}')  # fmt: skip
    problem = parse_problem(ApiClientError(body, 400), {})
    assert (problem.status, problem.title) == (400, "Invalid Resource")
    assert problem.detail == "<email> looks fake or invalid email_address: <email> is not allowed"
    assert str(problem.error("upsert")) == f"Mailchimp upsert: 400 Invalid Resource: {problem.detail}"
    timeout = parse_problem(ApiClientError(TimeoutError("read timed out")), None)
    assert timeout.status is None and isinstance(timeout.error("listing"), RetriableError)


def test_campaign_create_content_schedule_send(standin: MailchimpStandIn) -> None:
    audience = gateway(standin)
    first = audience.create_campaign(draft("newsletter 2026-11 zh"))
    second = audience.create_campaign(draft("newsletter 2026-11 en"))
    assert first.status == "save"
    audience.set_campaign_content(first.id, "<p>你好 *|UNSUB|*</p>", "你好")
    audience.set_campaign_content(second.id, "<p>Hello *|UNSUB|*</p>", "Hello")
    audience.schedule_campaign(first.id, datetime(2026, 12, 1, 9, 7, tzinfo=UTC))
    audience.send_campaign(second.id)
    stored = standin.campaigns[first.id]
    assert stored["status"] == "schedule" and stored["schedule_time"] == "2026-12-01T09:15:00+00:00"
    assert stored["recipients"]["segment_opts"]["conditions"][0]["value"] == "zh"
    assert stored["content"]["plain_text"] == "你好"
    assert audience.campaign(second.id).status == "sent"
    found = audience.find_campaign("newsletter 2026-11 en", datetime(2026, 1, 1, tzinfo=UTC))
    assert found is not None and found.id == second.id
    assert audience.find_campaign("newsletter 2026-12 en", datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_concurrency_stays_below_mailchimps_ten_connections(standin: MailchimpStandIn) -> None:
    standin.delay = 0.05  # each request takes a moment, so parallel ones overlap
    contacts = [ContactUpsert(f"p{i}@example.org", "subscribed") for i in range(40)]
    results = gateway(standin, concurrency=25).upsert_contacts(contacts)
    assert all(r.ok for r in results)
    assert 1 < standin.max_in_flight <= 9


def test_the_data_centre_comes_from_the_key_or_must_be_given() -> None:
    assert MailchimpAudience("abc-us21", "l").client.api_client.server == "us21"
    assert MailchimpAudience("abc-us21", "l", server="us6").client.api_client.server == "us6"
    with pytest.raises(ConfigError, match="set 'server'"):
        MailchimpAudience("nosuffix", "l")


def test_schedule_times_round_up_to_the_quarter_hour() -> None:
    assert quarter_hour(datetime(2026, 12, 1, 9, 0, 30, tzinfo=UTC)).minute == 15
    assert quarter_hour(datetime(2026, 12, 1, 9, 45, tzinfo=UTC)).minute == 45


def draft(title: str = "newsletter") -> CampaignDraft:
    return CampaignDraft(title, "Subject", "Preview", "Network", "hello@example.org", title.rpartition(" ")[2])
