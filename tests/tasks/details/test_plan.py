"""details-check (pure): each member once a year, in the week of their joining anniversary, with their link."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tasks.details.plan import anniversary_week, plan_details_check
from weaver.config import parse_config
from weaver.links import LinkSigner

TODAY = date(2026, 11, 24)  # ISO week 48
SIGNER = LinkSigner(b"a test network's link key")
CONFIG = parse_config({"tables": {"backend": "workbook", "path": "x.xlsx"},
                       "links": {"base_url": "https://links.example.org"}})  # fmt: skip


def member(member_id: str, joined: str = "", language: str = "zh", **fields: str) -> dict:
    values = {"name": f"Name {member_id}", "joined": joined, "language": language, "consent": "是", **fields}
    first_seen = datetime(2025, 3, 2, tzinfo=UTC)
    return {"member_id": member_id, "email": f"{member_id}@example.org", "first_seen": first_seen, "fields": values}


MEMBERS = [
    member("m-due", "2021-11-25", needs="场地"),  # anniversary in week 48: asked now
    member("m-missed", "2019-11-12"),  # week 46: a missed run is caught up
    member("m-long-ago", "2020-03-01"),  # week 9: asked next year, not now
    member("m-later", "2024-12-20", language="en"),  # week 51: later this year
    member("m-nodate"),  # first seen 2025-03-02: week 10
    member("m-no", "2021-11-24", consent=""),  # no yes to email: never asked
]


def test_each_member_is_asked_in_their_anniversary_week_once_a_year() -> None:
    plan = plan_details_check(MEMBERS, set(), CONFIG, SIGNER, TODAY)
    assert plan.due == ["m-missed", "m-due"] and plan.later == 1
    done = {m.key for m in plan.messages}
    assert done == {"email:details-check:m-missed:2026", "email:details-check:m-due:2026"}
    again = plan_details_check(MEMBERS, done, CONFIG, SIGNER, TODAY + timedelta(days=3))
    assert again.due == [] and again.asked_before == 2
    assert anniversary_week(MEMBERS[4], 2026) == 10  # 2026-03-02, from when member-sync first saw them


def test_the_email_shows_what_is_held_and_a_link_only_for_that_member() -> None:
    plan = plan_details_check(MEMBERS, set(), CONFIG, SIGNER, TODAY)
    mail = next(m for m in plan.messages if m.member_id == "m-due")
    assert mail.language == "zh" and "需求：场地" in mail.text
    url = next(w for w in mail.text.split() if w.startswith("https://links.example.org/l/my-details/"))
    link = SIGNER.verify(url.rsplit("/", 1)[1], "my-details", datetime(2026, 11, 24, tzinfo=UTC))
    assert link.subject == "m-due" and "m-due@example.org" not in url
