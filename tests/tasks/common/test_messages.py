"""Messaging core: templates per language, the central consent check, exactly-once delivery."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.mail import Message, OutboxTransport, Sender
from tasks.common.messages import consent_filter, deliver, render
from weaver.errors import ConfigError
from weaver.state import StateDB, save_members, suppressions, utcnow

SENDER = Sender("hello@weaving.example.org", "示范网络 Demo")


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    for lang, hello in (("en", "Welcome"), ("zh", "欢迎")):
        (root / lang).mkdir(parents=True)
        (root / lang / "hello.subject").write_text(f"{hello}, {{{{ name }}}}", encoding="utf-8")
        (root / lang / "hello.txt").write_text(f"{hello} {{{{ name }}}}", encoding="utf-8")
        (root / lang / "hello.html").write_text(
            f"<style>p{{color:red}}</style><p>{hello} {{{{ name }}}}</p>", encoding="utf-8"
        )
    return root


@pytest.fixture
def db(state_db: StateDB) -> StateDB:
    return state_db  # on SQLite and on PostgreSQL: ids [sqlite], [postgresql]


def add_member(db: StateDB, member_id: str, email: str, consent: str) -> None:
    save_members(db, [{"member_id": member_id, "email": email, "fields_hash": "h", "fields": {"consent": consent}}], [])


def msg(member_id: str | None, email: str, key: str | None = None) -> Message:
    return Message(key or f"email:test:{member_id or email}", email, "张伟", "欢迎", "text", "<p>html</p>", "zh",
                   member_id, "test")  # fmt: skip


def test_render_picks_the_members_language_and_falls_back(templates: Path) -> None:
    zh = render("hello", "zh", {"name": "张伟"}, root=templates)
    assert (zh.subject, zh.language) == ("欢迎, 张伟", "zh")
    fallback = render("hello", "fr", {"name": "Ana"}, default_language="zh", root=templates)
    assert fallback.language == "zh"


def test_render_escapes_html_and_inlines_css(templates: Path) -> None:
    out = render("hello", "en", {"name": "<script>x</script>"}, root=templates)
    assert "<script>" not in out.html and "&lt;script&gt;" in out.html
    assert 'style="color: red' in out.html or 'style="color:red' in out.html
    assert out.text.strip() == "Welcome <script>x</script>"  # plain text is not HTML-escaped


def test_missing_template_or_variable_is_an_error(templates: Path) -> None:
    with pytest.raises(ConfigError, match="no template named 'nope'"):
        render("nope", "en", {}, root=templates)
    with pytest.raises(Exception, match="name"):
        render("hello", "en", {}, root=templates)


def test_rerun_sends_nothing_twice(db: StateDB, tmp_path: Path) -> None:
    add_member(db, "m-1", "zw@example.cn", "是")
    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    first = deliver([msg("m-1", "zw@example.cn")], outbox, db, "t")
    second = deliver([msg("m-1", "zw@example.cn")], outbox, db, "t")
    assert first.summary()["sent"] == 1 and second.summary()["already_sent"] == 1
    assert len(outbox.messages()) == 1


def test_chinese_headers_decode(db: StateDB, tmp_path: Path) -> None:
    add_member(db, "m-1", "zw@example.cn", "yes")
    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    deliver([msg("m-1", "zw@example.cn")], outbox, db, "t")
    [mail] = outbox.messages()
    assert mail["Subject"] == "欢迎"
    assert mail["To"].addresses[0].display_name == "张伟"
    assert mail["From"].addresses[0].display_name == "示范网络 Demo"
    assert mail.get_body(("plain",)).get_content().strip() == "text"


def test_dry_run_writes_previews_and_sends_nothing(db: StateDB, tmp_path: Path) -> None:
    add_member(db, "m-1", "zw@example.cn", "yes")
    outbox = OutboxTransport(tmp_path / "outbox", SENDER)
    d = deliver([msg("m-1", "zw@example.cn")], outbox, db, "t", dry_run=True, previews_dir=tmp_path / "prev")
    assert d.summary()["would_send"] == 1 and outbox.messages() == []
    assert d.previews is not None and "欢迎" in d.previews.read_text(encoding="utf-8")


def test_suppressed_address_is_never_emailed_even_as_staff(db: StateDB, tmp_path: Path) -> None:
    with db.begin() as conn:
        conn.execute(suppressions.insert().values(email="gone@example.org", reason="unsubscribed",
                                                  source="mailchimp", created_at=utcnow()))  # fmt: skip
    allowed, dropped = consent_filter(db, [msg(None, "Gone@example.org")])
    assert allowed == [] and dropped[0].reason == "unsubscribed"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["是", "yes", "否", "no", "", "maybe"]), st.booleans()), max_size=12))
def test_no_message_reaches_a_non_consenting_member(tmp_path_factory: pytest.TempPathFactory,
                                                    people: list[tuple[str, bool]]) -> None:  # fmt: skip
    """For any member list and any mix of addressing (by member id or by email only), consent decides."""
    root = tmp_path_factory.mktemp("prop")
    db = StateDB(f"sqlite:///{root / 'weaver.db'}")
    messages = []
    for i, (consent, by_id) in enumerate(people):
        add_member(db, f"m-{i}", f"p{i}@example.org", consent)
        messages.append(msg(f"m-{i}" if by_id else None, f"p{i}@example.org"))
    outbox = OutboxTransport(root / "outbox", SENDER)
    deliver(messages, outbox, db, "t")
    delivered = {m["To"].addresses[0].addr_spec for m in outbox.messages()}
    consenting = {f"p{i}@example.org" for i, (c, _) in enumerate(people) if c in ("是", "yes")}
    assert delivered == consenting
