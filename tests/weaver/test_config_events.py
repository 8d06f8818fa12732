"""The [events], [calendar] and [chat] sections: a mistake names the key and says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows._runtime import build_chat
from weaver.config import parse_config
from weaver.errors import ConfigError
from weaver.workspace import Workspace


def config(**sections: object) -> None:
    parse_config({"tables": {"path": "x.xlsx"}, **sections})


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"events": {"reminders": ["7d", "soon"]}}, "[events] key 'reminders': reminder 'soon' is not an offset"),
        ({"events": {"quiet_hours": "night"}}, "[events] key 'quiet_hours': 'night' is not a range like '21:00-08:00'"),
        ({"events": {"columns": {"title": "标题"}}}, "[events] key 'columns': must map 'event_id'"),
        ({"events": {"rsvp_columns": {"event_id": "a", "response": "b"}}}, "must map 'email' or 'member_id'"),
        ({"calendar": {"target": "google_calendar"}}, "target 'google_calendar' needs a [calendar.google] table"),
        ({"events": {"source": "google_calendar"}}, "[events] source 'google_calendar' needs a [calendar.google]"),
        ({"chat": {"backend": "apprise"}}, "backend 'apprise' needs 'urls'"),
    ],
)
def test_event_settings_errors_name_the_key(sections: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config(**sections)
    assert message in str(err.value)


def test_an_unset_chat_secret_names_the_variable_not_a_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEAVER_CHAT_URLS", raising=False)
    (tmp_path / "weaver.toml").write_text('[tables]\npath = "x.xlsx"\n[chat]\nbackend = "apprise"\n'
                                          'urls = { env = "WEAVER_CHAT_URLS" }\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError, match=r"\[chat\] urls: environment variable WEAVER_CHAT_URLS is not set"):
        build_chat(Workspace.open(tmp_path))
