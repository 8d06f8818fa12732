"""The newsletter flow on the demo workspace: by email (the embedded default) and as Mailchimp campaigns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from connectors.endpoints import redirect
from connectors.mail import OutboxTransport, Sender
from flows.member_sync import member_sync
from flows.newsletter import newsletter
from tasks.members.plan import member_id_for
from tests.flows.gate import PausedRun, approval_threshold_one
from tests.standins.mailchimp import MailchimpStandIn
from weaver.ledger import Ledger
from weaver.state import StateDB, utcnow
from weaver.state.preferences import save_preferences

pytestmark = pytest.mark.usefixtures("prefect_harness")
NOVEMBER = {"period": "2026-11", "as_of": "2026-11-24"}  # the demo workbook is built for 2026-11-24


def outbox(ws: Path) -> OutboxTransport:
    return OutboxTransport(ws / "outbox", Sender("x@example.org", "x"))


def consenting(ws: Path) -> dict[str, str]:
    """member id -> language, for members who said yes."""
    rows = StateDB(f"sqlite:///{ws / 'weaver.db'}").member_rows()
    yes = {"是", "yes"}
    return {r["member_id"]: r["fields"]["language"] for r in rows if r["fields"].get("consent", "").lower() in yes}


def test_the_months_issue_goes_to_each_consenting_member_once_in_their_language(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    first = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    expected = consenting(demo_ws)
    assert first["delivery"] == "email" and first["sent"] == len(expected) > 100
    assert first["new_editions"] == "zh, en" and first["sections"]["news"] == 5
    assert first["sections"]["opportunities"] == 8  # the grant pipeline's open calls, read by [grants.columns]
    mails = outbox(demo_ws).messages()
    by_member = {m["X-Weaver-Key"].rsplit(":", 1)[1]: m for m in mails}
    assert set(by_member) == set(expected)
    for member_id, lang in list(expected.items())[:20]:
        subject = by_member[member_id]["Subject"]
        assert ("通讯 · 2026年11月" in subject) if lang == "zh" else ("newsletter · November 2026" in subject)
    sample = mails[0]
    assert sample.get_body(("plain",)).get_content().startswith("Demo Weaving Network")
    assert "<html" in sample.get_body(("html",)).get_content() and sample["List-Unsubscribe"]
    archive = demo_ws / "reports" / "newsletters"
    assert sorted(p.name for p in archive.iterdir()) == ["2026-11-en.html", "2026-11-en.txt", "2026-11-zh.html",
                                                          "2026-11-zh.txt"]  # fmt: skip

    # a coordinator adds a news item after the issue went out: the rerun makes no second issue
    book = load_workbook(demo_ws / "network.xlsx")
    book["News"].append(["2026-11-23", "Late news", "迟到的消息", "", "", "", "", ""])
    book.save(demo_ws / "network.xlsx")
    before = (archive / "2026-11-zh.html").read_bytes()
    again = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    assert (again["sent"], again["already_sent"], again["new_editions"]) == (0, first["sent"], "-")
    assert len(outbox(demo_ws).messages()) == len(mails)
    assert (archive / "2026-11-zh.html").read_bytes() == before


def test_dry_run_previews_and_sends_nothing(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    plan = newsletter(auto_approve=True, workspace=str(demo_ws), dry_run=True, **NOVEMBER)
    assert plan["would_send"] > 100 and plan["sent"] == 0
    assert outbox(demo_ws).messages() == []
    assert not (demo_ws / "reports" / "newsletters").exists()
    assert all(Path(p).is_file() and "previews" in p for p in plan["editions"])
    preview = latest_artifact("newsletter-preview")
    for path in plan["editions"]:  # the artifact links each edition's HTML for a coordinator to review
        assert Path(path).resolve().as_uri() in preview


def latest_artifact(key: str) -> str:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return str(max(found, key=lambda a: a.created).data)


@pytest.fixture
def standin() -> Iterator[MailchimpStandIn]:
    """The stand-in, and every flow in the test sends its Mailchimp calls there (see connectors.endpoints)."""
    with MailchimpStandIn() as server, redirect(mailchimp=server.url):
        yield server


def use_mailchimp(ws: Path, standin: MailchimpStandIn, monkeypatch: pytest.MonkeyPatch, delivery: str = "auto") -> None:
    monkeypatch.setenv("TEST_MAILCHIMP_KEY", standin.api_key)
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8").replace('delivery = "auto"', f'delivery = "{delivery}"')
    text += f'\n[mailchimp]\napi_key = {{ env = "TEST_MAILCHIMP_KEY" }}\nlist_id = "{standin.list_id}"\n'
    config.write_text(text, encoding="utf-8")


def test_with_mailchimp_each_language_is_one_draft_campaign_then_sent_once(
    demo_ws: Path, standin: MailchimpStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mailchimp(demo_ws, standin, monkeypatch)
    member_sync(workspace=str(demo_ws))
    first = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    assert first["delivery"] == "mailchimp" and first["campaigns_created"] == 2
    campaigns = sorted(standin.campaigns.values(), key=lambda c: c["settings"]["title"])
    assert [c["status"] for c in campaigns] == ["save", "save"]  # drafts: a coordinator reviews them there
    assert [c["recipients"]["segment_opts"]["conditions"][0]["value"] for c in campaigns] == ["en", "zh"]
    assert all("*|UNSUB|*" in c["content"]["html"] for c in campaigns)
    assert outbox(demo_ws).messages() == []

    again = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    assert again["campaigns_created"] == 2 and len(standin.campaigns) == 2  # found, not made again

    # a member turns the newsletter off on their preference page after the drafts were made: the next
    # member-sync tags them, and Mailchimp leaves them out when it sends (the drafts exclude the tag's segment)
    off = next(c for c in standin.members.values() if c["status"] == "subscribed" and c["language"] == "zh")
    save_preferences(StateDB(f"sqlite:///{demo_ws / 'weaver.db'}"), member_id_for(off["email_address"]),
                     ["newsletter"], "", utcnow())  # fmt: skip
    member_sync(workspace=str(demo_ws))
    assert "topic-off:newsletter" in off["tags"]
    sent = newsletter(auto_approve=True, workspace=str(demo_ws), campaign="send", **NOVEMBER)
    assert sent["campaigns_sent"] == 2
    assert sorted(c["status"] for c in standin.campaigns.values()) == ["sent", "sent"]
    zh = next(c for c in standin.campaigns.values() if c["settings"]["title"] == campaigns[1]["settings"]["title"])
    subscribed_zh = {c["email_address"] for c in standin.members.values()
                     if c["status"] == "subscribed" and c["language"] == "zh"}  # fmt: skip
    assert set(zh["sent_to"]) == subscribed_zh - {off["email_address"]} and len(zh["sent_to"]) > 10
    standin.reset_counts()
    newsletter(auto_approve=True, workspace=str(demo_ws), campaign="send", **NOVEMBER)
    assert standin.counts()["campaign"] == 0  # nothing created, changed or sent again


def test_a_mailchimp_campaign_send_waits_for_approval_and_a_decline_issues_nothing(
    demo_ws: Path, standin: MailchimpStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mailchimp(demo_ws, standin, monkeypatch)
    approval_threshold_one(demo_ws)
    member_sync(workspace=str(demo_ws))
    draft = newsletter(workspace=str(demo_ws), **NOVEMBER)  # a draft reaches no one: it does not wait
    assert draft["campaigns_created"] == 2 and len(standin.campaigns) == 2

    paused = PausedRun("newsletter", lambda: newsletter(workspace=str(demo_ws), campaign="send", **NOVEMBER))
    declined = paused.answer(approve=False)
    assert "campaigns_sent" not in declined and declined["new_editions"] == "-"
    assert sorted(c["status"] for c in standin.campaigns.values()) == ["save", "save"]  # nothing sent to the list
    assert (demo_ws / "reports" / "previews" / "newsletter" / "2026-11-en.html").is_file()  # what was to approve

    sent = newsletter(workspace=str(demo_ws), campaign="send", auto_approve=True, **NOVEMBER)
    assert sent["campaigns_sent"] == 2


def test_unsubscribed_in_mailchimp_ends_unsubscribed_in_the_sheet_and_gets_no_email(
    demo_ws: Path, standin: MailchimpStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_mailchimp(demo_ws, standin, monkeypatch, delivery="email")
    first = member_sync(workspace=str(demo_ws))
    assert first["audience"]["pushed"] == len(standin.members) > 100
    member_id, _lang = next(iter(consenting(demo_ws).items()))
    row = next(r for r in StateDB(f"sqlite:///{demo_ws / 'weaver.db'}").member_rows() if r["member_id"] == member_id)
    standin.set_status(row["email"], "unsubscribed")  # the member clicks "unsubscribe" in a campaign

    second = member_sync(workspace=str(demo_ws))
    assert second["audience"]["consent_marked"] == 1 and second["changed"] == 1
    sheet = load_workbook(demo_ws / "network.xlsx")["Members"]
    headers = [c.value for c in sheet[1]]
    id_col, consent_col = headers.index("成员编号"), headers.index("同意接收邮件")
    [sheet_row] = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[id_col] == member_id]
    assert sheet_row[consent_col] == "unsubscribed"

    result = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    assert result["sent"] > 100
    keys = {m["X-Weaver-Key"] for m in outbox(demo_ws).messages()}
    assert not any(k.endswith(f":{member_id}") for k in keys)
    assert standin.contact(row["email"])["status"] == "unsubscribed"


OLD_TITLE, NEW_TITLE = "Kunming river clean-up drew 120 volunteers", "Kunming river clean-up drew 150 volunteers"


def fix_title(ws: Path) -> None:
    """A coordinator corrects a news title in the News tab (both languages)."""
    book = load_workbook(ws / "network.xlsx")
    for row in book["News"].iter_rows(min_row=2):
        if row[1].value == OLD_TITLE:
            row[1].value, row[2].value = NEW_TITLE, "昆明河道清洁行动吸引 150 名志愿者"
    book.save(ws / "network.xlsx")


def newsletter_ledger(ws: Path) -> list[dict[str, object]]:
    return [e for e in Ledger(StateDB(f"sqlite:///{ws / 'weaver.db'}"), "t").entries() if e["flow"] == "newsletter"]


def test_above_the_threshold_the_newsletter_waits_and_a_decline_issues_nothing(demo_ws: Path) -> None:
    approval_threshold_one(demo_ws)
    member_sync(workspace=str(demo_ws))
    paused = PausedRun("newsletter", lambda: newsletter(workspace=str(demo_ws), **NOVEMBER))
    assert outbox(demo_ws).messages() == []  # nothing went out while waiting
    declined = paused.answer(approve=False)
    assert declined["sent"] == 0 and declined["held"] > 100 and outbox(demo_ws).messages() == []
    assert not (demo_ws / "reports" / "newsletters").exists() and newsletter_ledger(demo_ws) == []  # nothing issued

    fix_title(demo_ws)  # the coordinator declined to fix the title: the next run compiles afresh
    approved = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    assert approved["new_editions"] == "zh, en" and approved["sent"] == len(consenting(demo_ws))
    archived = (demo_ws / "reports" / "newsletters" / "2026-11-en.html").read_text(encoding="utf-8")
    assert NEW_TITLE in archived and OLD_TITLE not in archived
    bodies = [m.get_body(("plain",)).get_content() for m in outbox(demo_ws).messages()]
    assert all(OLD_TITLE not in b for b in bodies) and any(NEW_TITLE in b for b in bodies)


def test_recompile_replaces_the_archived_edition_and_mails_only_who_has_not_had_the_issue(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws))
    first = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    archive = demo_ws / "reports" / "newsletters" / "2026-11-en.html"
    fix_title(demo_ws)
    kept = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)  # without recompile: the issue stands
    assert kept["new_editions"] == "-" and OLD_TITLE in archive.read_text(encoding="utf-8")

    book = load_workbook(demo_ws / "network.xlsx")  # a member who joins after the issue went out
    book["Members"].append(["周新", "zhou.new@example.cn", "气候", "华东", "en", "", "NGO", "2026-11-24", "是"])
    book.save(demo_ws / "network.xlsx")
    member_sync(workspace=str(demo_ws))
    redo = newsletter(auto_approve=True, workspace=str(demo_ws), recompile=True, **NOVEMBER)
    assert redo["new_editions"] == "zh, en" and redo["already_sent"] == first["sent"] and redo["sent"] == 1
    assert NEW_TITLE in archive.read_text(encoding="utf-8") and OLD_TITLE not in archive.read_text(encoding="utf-8")
    [newcomer] = [m for m in outbox(demo_ws).messages() if m["To"].addresses[0].addr_spec == "zhou.new@example.cn"]
    assert NEW_TITLE in newcomer.get_body(("plain",)).get_content()  # the others get the corrected edition

    after = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)  # the recompiled edition stands now
    assert (after["earlier_editions"], after["sent"]) == ("zh, en", 0)
    assert NEW_TITLE in archive.read_text(encoding="utf-8")


def test_after_unsubscribing_by_the_emails_own_link_the_next_newsletter_skips_that_member(demo_ws: Path) -> None:
    """One-click (RFC 8058, no browser) takes effect at once: the next newsletter skips the member, and one who
    turned the newsletter off on the preference page too; every member's issue carries both headers, List-Id
    and a footer with the postal address and a link that works; member-sync writes the unsubscribe into the
    sheet's consent column."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    from tests.pages import link_rig
    from weaver.state.preferences import suppression_of

    member_sync(workspace=str(demo_ws))
    expected = consenting(demo_ws)
    gone, quiet, third = sorted(expected)[:3]
    rig = link_rig(demo_ws)
    with TestClient(rig.app) as client:
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        one_click = client.post(f"/l/unsubscribe/{rig.token('unsubscribe', gone)}",
                                content=b"List-Unsubscribe=One-Click", headers=form)  # fmt: skip
        assert one_click.status_code == 200
        client.post(f"/l/unsubscribe/{rig.token('unsubscribe', quiet)}", data={"action": "save", "topic": "events"})

    sent = newsletter(auto_approve=True, workspace=str(demo_ws), **NOVEMBER)
    by_member = {m["X-Weaver-Key"].rsplit(":", 1)[1]: m for m in outbox(demo_ws).messages()}
    assert set(by_member) == set(expected) - {gone, quiet} and sent["suppressed"] >= 2
    for mail in by_member.values():
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["List-Id"] == "<members.weaving.example.org>" and "/l/unsubscribe/" in mail["List-Unsubscribe"]
    mail = by_member[third]
    https, mailto = (part.strip(" <>") for part in mail["List-Unsubscribe"].split(","))
    body = mail.get_body(("plain",)).get_content()
    assert https in body and "1 Example Road" in body and mailto.startswith("mailto:hello@")
    with TestClient(rig.app) as client:  # the link in the email itself, as a mailbox provider posts it
        assert client.post("/l/" + https.split("/l/", 1)[1], data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert suppression_of(rig.db, mail["To"].addresses[0].addr_spec.lower()) is not None

    member_sync(workspace=str(demo_ws))
    rows = {r["member_id"]: r for r in StateDB(f"sqlite:///{demo_ws / 'weaver.db'}").member_rows()}
    assert rows[gone]["fields"]["consent"] == rows[third]["fields"]["consent"] == "unsubscribed"
    book = load_workbook(demo_ws / "network.xlsx")
    cells = [str(c.value) for r in book["Members"].iter_rows() for c in r]
    assert cells.count("unsubscribed") >= 2
