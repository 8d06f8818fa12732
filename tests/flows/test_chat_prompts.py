"""chat-prompts on the demo workspace (the chat.log default): the question of the week, the weekly digest and a
reminder, each posted once; a rerun posts nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.chat_prompts import chat_prompts
from flows.member_sync import member_sync
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_questions_digest_and_reminders_are_posted_once(demo_ws: Path) -> None:
    member_sync(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    first = chat_prompts(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())  # a Tuesday, 09:00
    assert (first["questions"], first["digests"], first["reminders"], first["waiting"]) == (1, 1, 0, 1)
    log = (demo_ws / "chat.log").read_text(encoding="utf-8")
    assert "本周问题 · Question of the week\n这个月你在社区里学到了什么？\nWhat did you learn" in log
    assert "本周看点 · What's on this week" in log and "欢迎新成员 · Welcome to our new members" in log
    assert "@" not in log  # names only: no address reaches the chat

    again = chat_prompts(workspace=str(demo_ws), as_of=DEMO_DAY.isoformat())
    assert (again["questions"], again["digests"], again["already_posted"]) == (0, 0, 2)
    assert (demo_ws / "chat.log").read_text(encoding="utf-8") == log

    day_before = chat_prompts(workspace=str(demo_ws), as_of="2026-11-25 15:00")  # the clinic: 26 Nov 14:00
    assert day_before["reminders"] == 1 and day_before["digests"] == 0  # the week's digest went out already
    assert "提醒：开放数据工作坊 · Open Data Clinic 将于 2026年11月26日 14:00 开始" in (demo_ws / "chat.log").read_text(
        encoding="utf-8"
    )
