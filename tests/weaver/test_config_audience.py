"""`[mailchimp]` and `[newsletter]` in weaver.toml: mistakes are one line naming the key."""

from __future__ import annotations

import pytest

from weaver.config import parse_config
from weaver.errors import ConfigError

BASE = {"tables": {"backend": "workbook", "path": "x.xlsx"}}
KEY = {"api_key": {"env": "MAILCHIMP_API_KEY"}, "list_id": "a1b2c3d4e5"}


def test_mailchimp_is_optional_and_validated() -> None:
    assert parse_config(BASE).mailchimp is None
    cfg = parse_config({**BASE, "mailchimp": KEY})
    assert cfg.mailchimp is not None and cfg.mailchimp.concurrency < 10


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({**KEY, "concurrency": 10}, "[mailchimp] key 'concurrency': Input should be less than or equal to 9"),
        ({**KEY, "merge_fields": {"fname": "name"}}, "merge tag 'fname' must be up to 10 capital letters"),
        ({**KEY, "merge_fields": {"FNAME": "nmae"}}, "merge tag 'FNAME' names unknown field 'nmae'"),
        ({**KEY, "api_key": "abc-us21"}, "[mailchimp] key 'api_key'"),
        ({"list_id": "x"}, "[mailchimp] key 'api_key': missing"),
    ],
)
def test_mailchimp_mistakes_name_the_key(section: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({**BASE, "mailchimp": section}, "weaver.toml")
    assert str(caught.value).startswith("weaver.toml: ") and message in str(caught.value)
    assert "abc-us21" not in str(caught.value)  # a key pasted into the file is never echoed


def test_mailchimp_delivery_needs_a_mailchimp_section() -> None:
    with pytest.raises(ConfigError, match="delivery = 'mailchimp' needs a \\[mailchimp\\] section"):
        parse_config({**BASE, "newsletter": {"delivery": "mailchimp"}})
