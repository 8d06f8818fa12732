"""Survey summaries: rates by segment, distributions, free text kept out of the artifact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from tasks.surveys.plan import SurveyPlan
from tasks.surveys.report import build_survey_report
from tasks.surveys.responses import Recorded
from tasks.surveys.summary import infer_kind, summarise_questions, summarise_survey
from tasks.surveys.surveys import parse_surveys

HEADER = ["survey_id", "title", "form_link", "opens", "closes"]
SURVEY = parse_surveys([HEADER, ["s1", "年度问卷", "https://tally.so/r/a", "2026-11-20", "2026-12-04"]], "S", "en")


def response(member: str | None, day: int, **answers: object) -> dict[str, object]:
    return {"id": f"r-{member}-{day}", "member_id": member, "submitted_at": datetime(2026, 11, day, tzinfo=UTC),
            "answers": answers}  # fmt: skip


MEMBERS = {f"m-{i}": {"member_id": f"m-{i}", "fields": {"region": "华东" if i < 4 else "Europe"}} for i in range(6)}
MEMBERS["m-5"]["fields"] = {}
RESPONSES = [
    response("m-0", 21, 活动="线下聚会", 评分="4", 故事="在昆明认识了伙伴"),
    response("m-0", 23, 活动="线上分享", 评分="5"),  # answered again: the latest counts, once
    response("m-1", 22, 活动="线下聚会", 评分="2"),
    response("m-4", 22, 活动="线下聚会", 评分="4", 故事="A pilot with two members"),
    response(None, 22, 活动="线上分享", 评分="4", 故事="anonymous story"),
]


def summary(lang: str = "en"):  # type: ignore[no-untyped-def]
    plan = SurveyPlan(SURVEY.surveys[0], "open", list(MEMBERS), reminder_due=date(2026, 11, 23))
    invited = {"m-0", "m-1", "m-2", "m-3", "m-4", "m-5"}
    return summarise_survey(plan, MEMBERS, invited, RESPONSES, {}, {}, lang)


def test_rate_counts_members_once_and_anonymous_apart() -> None:
    s = summary()
    assert (s.invited, s.responded, s.anonymous) == (6, 3, 1)
    assert s.rate == 0.5


def test_rate_by_segment_includes_members_without_one() -> None:
    assert summary().segments == [("华东", 4, 2), ("Europe", 1, 1), ("(not given)", 1, 0)]
    assert summary("zh").segments[2][0] == "（未填写）"


def test_choice_answers_are_counted_from_latest_responses() -> None:
    questions = {q.title: q for q in summary().questions}
    assert questions["活动"].kind == "choice" and dict(questions["活动"].counts) == {"线下聚会": 2, "线上分享": 2}
    assert questions["评分"].counts == [("2", 1), ("4", 2), ("5", 1)]  # a scale reads in order
    assert questions["故事"].kind == "text"
    assert sorted(questions["故事"].texts, key=str) == [("m-4", "A pilot with two members"), (None, "anonymous story")]


def test_known_options_show_even_when_nobody_chose_them() -> None:
    [q] = summarise_questions([response("m-1", 21, Q="b")], {"Q": "choice"}, {"Q": ["a", "b"]})
    assert q.counts == [("a", 0), ("b", 1)]


def test_kind_inference() -> None:
    assert infer_kind([["a", "b"], ["a"]]) == "choice"
    assert infer_kind(["yes", "no", "yes"]) == "choice"
    assert infer_kind(["good", "more events", "thanks"]) == "text"  # nothing repeats: a list, not a chart
    assert infer_kind(["x" * 60, "x" * 60]) == "text"


def test_report_charts_in_the_file_and_free_text_only_there(tmp_path: Path) -> None:
    s = summary("zh")
    s.invites_sent, s.reminders_sent = 2, 3
    report = build_survey_report([s], [], [], Recorded(new=4, anonymous_new=1), "zh", dry_run=False)
    markdown = report.to_markdown()
    page = report.write_html(tmp_path).read_text(encoding="utf-8")
    assert "在昆明认识了伙伴" not in markdown and "anonymous story" not in markdown  # never in the artifact
    assert "A pilot with two members" in page and "匿名" in page and page.count("<svg") == 3
    assert "| 回复率 | 50% |" in markdown and "| 本次发出的提醒 | 3 |" in markdown
