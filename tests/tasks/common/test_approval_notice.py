"""The approvers are told when a run pauses: staff email and chat, once per pause, with a signed link to the
preview page the receiver serves (checked in headless Chromium) and to the paused run in the Prefect UI."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.chat import LogChat
from connectors.mail import Message, OutboxTransport, Sender
from tasks.common.approval import summarise_send
from tasks.common.approval_notice import LINK_PURPOSE, pause_id, plan_notice, tell_approvers
from tests.browser import dump_dom
from tests.pages import link_rig, serving
from weaver.clock import utcnow

RUN = "0b7c2f5e-1111-4222-8333-944455556666"
APPROVERS = """
approvers = [{ email = "coord@weaving.example.org", name = "李娜", language = "zh" },
             { email = "ops@weaving.example.org", name = "Sam", language = "en" }]
approval_chat = true
"""


def waiting() -> list[Message]:
    people = [
        ("张伟", "zh", "十一月通讯"),
        ("Ana Lopez", "en", "November newsletter"),
        ("Bo <b>", "en", "November newsletter"),
    ]
    return [Message(f"email:newsletter:m-{i}:2026-11", f"p{i}@example.org", name, subject, "t", "<p>t</p>", lang,
                    f"m-{i}", "newsletter") for i, (name, lang, subject) in enumerate(people)]  # fmt: skip


def with_approvers(ws: Path) -> Path:
    config = ws / "weaver.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("approval_threshold = 50", "approval_threshold = 50" + APPROVERS), encoding="utf-8")
    return ws


def test_each_approver_gets_a_staff_email_in_their_language_and_the_chat_a_post(demo_ws: Path) -> None:
    rig = link_rig(with_approvers(demo_ws))
    plan = summarise_send("newsletter", waiting())
    notice = plan_notice(plan, pause_id(RUN, plan), rig.ws.config, "https://x.org/l/approval-preview/T",
                         f"http://127.0.0.1:4200/runs/flow-run/{RUN}", chat=True)  # fmt: skip
    zh, en = notice.messages
    assert (zh.to_email, zh.language, en.language) == ("coord@weaving.example.org", "zh", "en")
    assert zh.member_id is None and en.member_id is None  # staff mail: no unsubscribe footer, no member topic
    assert en.subject == "Approval needed: newsletter would email 3 recipients"
    assert "需要批准：newsletter 将发信给 3 位收件人" == zh.subject
    for part in (en.text, zh.text, en.html, zh.html):
        assert "https://x.org/l/approval-preview/T" in part and f"/runs/flow-run/{RUN}" in part
    assert "newsletter 3" in en.text and "en 2, zh 1" in en.text
    assert zh.key.startswith(f"email:approval-notice:{RUN}:") and zh.key != en.key
    [post] = notice.posts
    assert "3" in post.payload["title"] and "https://x.org/l/approval-preview/T" in post.payload["body"]


def test_the_approvers_are_told_once_per_pause_and_the_preview_page_shows_names_subjects_languages(
    demo_ws: Path,
) -> None:
    rig = link_rig(with_approvers(demo_ws))
    outbox = OutboxTransport(demo_ws / "outbox", Sender("hello@weaving.example.org", "x"))
    chat = LogChat(demo_ws / "chat.log")
    plan = summarise_send("newsletter", waiting())
    first = tell_approvers(plan, waiting(), rig.ws.config, rig.db, outbox, chat, rig.signer, RUN, utcnow())
    again = tell_approvers(plan, waiting(), rig.ws.config, rig.db, outbox, chat, rig.signer, RUN, utcnow())
    assert first.emails is not None and first.emails.summary()["sent"] == 2
    assert again.emails is not None and again.emails.summary()["sent"] == 0  # the same pause: nobody twice
    assert len(outbox.messages()) == 2 and chat.path.read_text(encoding="utf-8").count("等待批准") == 1
    mail = next(m for m in outbox.messages() if m["To"].addresses[0].addr_spec == "ops@weaving.example.org")
    text = mail.get_body(("plain",)).get_content()
    url = next(w for w in text.split() if f"/l/{LINK_PURPOSE}/" in w)
    path = url.split("127.0.0.1:8787", 1)[1]
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    with serving(rig.app) as base:
        en = dump_dom(f"{base}{path}?lang=en")
        zh = dump_dom(f"{base}{path}?lang=zh")
        refused = dump_dom(f"{base}{forged}")
    for name, subject in (("张伟", "十一月通讯"), ("Ana Lopez", "November newsletter"), ("Bo &lt;b&gt;", "")):
        assert name in en and subject in en
    assert "Waiting for approval: newsletter" in en and "<td>zh</td>" in en and "<td>en</td>" in en
    assert "等待批准：newsletter" in zh and "主题" in zh and "张伟" in zh
    assert "p0@example.org" not in en and "m-0" not in en  # names, never addresses or ids
    assert "张伟" not in refused


@pytest.mark.parametrize("minutes", [30])
def test_the_preview_link_expires_a_day_after_the_pause_would_time_out(demo_ws: Path, minutes: int) -> None:
    rig = link_rig(with_approvers(demo_ws))
    plan = summarise_send("newsletter", waiting())
    now = utcnow()
    outbox = OutboxTransport(demo_ws / "outbox", Sender("hello@weaving.example.org", "x"))
    tell_approvers(plan, waiting(), rig.ws.config, rig.db, outbox, None, rig.signer, RUN, now)
    text = outbox.messages()[0].get_body(("plain",)).get_content()
    token = next(w for w in text.split() if f"/l/{LINK_PURPOSE}/" in w).rsplit("/", 1)[1]
    timeout = timedelta(minutes=rig.ws.config.mail.approval_timeout_minutes)
    assert rig.signer.verify(token, LINK_PURPOSE, now + timeout).subject == pause_id(RUN, plan)
    with pytest.raises(Exception, match="expired"):
        rig.signer.verify(token, LINK_PURPOSE, now + timeout + timedelta(days=1, minutes=minutes))
