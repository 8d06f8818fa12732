"""Member mail carries RFC 8058 one-click unsubscribe, List-Id and a footer; staff mail none; topics apply."""

from __future__ import annotations

from pathlib import Path

from connectors.mail import Message, Sender, build_mime
from tasks.common.delivery import consent_filter
from tasks.common.unsubscribe import topic_of, with_unsubscribe
from weaver.config import WeaverConfig
from weaver.state import StateDB, save_members, utcnow
from weaver.state.preferences import save_preferences

CONFIG = WeaverConfig.model_validate({
    "tables": {"backend": "csv", "path": "t"},
    "network": {"name": "示范网络", "postal_address": "1 Example Road, Shanghai"},
    "mail": {"from_address": "hello@weaving.example.org"},
})  # fmt: skip


def msg(member_id: str | None, purpose: str, lang: str = "zh") -> Message:
    html = "<html><body><p>正文</p></body></html>"
    return Message(
        f"k:{purpose}:{member_id}", "zw@example.cn", "张伟", "主题", "正文\n", html, lang, member_id, purpose
    )


def url(member_id: str) -> str:
    return f"https://weave.example.org/l/unsubscribe/token-{member_id}"


def test_member_mail_gets_both_rfc8058_headers_list_id_and_a_footer_staff_mail_none() -> None:
    member, staff = with_unsubscribe([msg("m-1", "event_invite"), msg(None, "weaver_digest")], CONFIG, url)
    assert member.headers == {
        "List-Unsubscribe": "<https://weave.example.org/l/unsubscribe/token-m-1>, "
        "<mailto:hello@weaving.example.org?subject=unsubscribe>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": "<members.weaving.example.org>",
    }
    assert member.text.startswith("正文\n\n--\n") and "1 Example Road, Shanghai" in member.text
    assert "退订或选择接收哪些邮件: https://weave.example.org/l/unsubscribe/token-m-1" in member.text
    assert member.html.index("token-m-1") < member.html.index("</body>") and "1 Example Road" in member.html
    assert staff == msg(None, "weaver_digest")
    mime = build_mime(member, Sender("hello@weaving.example.org", "示范网络"))
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and mime["List-Id"]
    english = with_unsubscribe([msg("m-2", "newsletter", "en")], CONFIG, url)[0]
    assert "Unsubscribe or choose what you receive: https://" in english.text


def test_decorating_twice_changes_nothing() -> None:
    once = with_unsubscribe([msg("m-1", "newsletter")], CONFIG, url)
    assert with_unsubscribe(once, CONFIG, url) == once


def test_topics() -> None:
    assert topic_of(msg("m", "newsletter")) == "newsletter" and topic_of(msg("m", "event_reminder")) == "events"
    assert (
        topic_of(msg("m", "survey-invite")) == "surveys" and topic_of(msg("m", "group_assignment")) == "introductions"
    )
    assert topic_of(msg("m", "event_seat_confirmed")) == "" and topic_of(msg(None, "newsletter")) == ""


def test_a_topic_turned_off_is_never_sent_other_topics_are(tmp_path: Path) -> None:
    db = StateDB(f"sqlite:///{tmp_path / 'w.db'}")
    fields = {"consent": "是", "email": "zw@example.cn"}
    save_members(db, [{"member_id": "m-1", "email": "zw@example.cn", "fields_hash": "h", "fields": fields}], [])
    save_preferences(db, "m-1", ["newsletter"], "", utcnow())
    allowed, dropped = consent_filter(db, [msg("m-1", "newsletter"), msg("m-1", "event_invite")])
    assert [m.purpose for m in allowed] == ["event_invite"]
    assert [(d.message.purpose, d.reason) for d in dropped] == [("newsletter", "turned off newsletter")]


def test_the_footer_links_the_members_own_details_page_too() -> None:
    def details(member_id: str) -> str:
        return f"https://weave.example.org/l/my-details/token-{member_id}"

    member, staff = with_unsubscribe([msg("m-1", "event_invite"), msg(None, "weaver_digest")], CONFIG, url, details)
    assert "查看或修改我的信息: https://weave.example.org/l/my-details/token-m-1" in member.text
    assert 'href="https://weave.example.org/l/my-details/token-m-1"' in member.html
    assert "my-details" not in staff.text
    [plain] = with_unsubscribe([msg("m-1", "event_invite")], CONFIG, url)
    assert "my-details" not in plain.text
