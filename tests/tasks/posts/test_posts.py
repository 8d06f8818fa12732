"""Social posts, planned without Prefect: due, approved posts per channel in its language, the channels' rules
checked before anything is sent, and one draft per new source."""

from __future__ import annotations

from datetime import UTC, datetime

from tasks.posts.posts import Channel, Draft, PostPlan, plan_drafts, plan_sends

HEADER = ["编号", "发布时间", "渠道", "中文内容", "英文内容", "图片", "状态", "来源"]
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
TZ = "Asia/Shanghai"
CHANNELS = [Channel("posts-zh", "folder", "zh"), Channel("mastodon", "mastodon", "en"),
            Channel("dingtalk", "dingtalk", "zh")]  # fmt: skip


def sends(plan: PostPlan) -> dict[str, str]:
    return {a.key: a.payload["text"] for a in plan.sends}


def test_an_approved_post_goes_to_every_channel_in_its_language_once_its_time_has_come() -> None:
    grid = [HEADER,
            ["hello", "2026-11-24 09:00", "", "你好", "Hello", "", "批准", ""],
            ["later", "2026-11-24 09:30", "", "稍后", "Later", "", "approved", ""],
            ["draft", "", "", "草稿", "Draft", "", "草稿", ""],
            ["asap", "", "mastodon", "", "Right away", "", "通过", ""]]  # fmt: skip
    plan = plan_sends(grid, "Posts", CHANNELS, TZ, NOW)
    assert sends(plan) == {"post:hello:posts-zh": "你好", "post:hello:mastodon": "Hello",
                           "post:hello:dingtalk": "你好", "post:asap:mastodon": "Right away"}  # fmt: skip
    assert plan.waiting == ["later"] and (plan.posts, plan.approved) == (4, 3)


def test_each_channels_rules_are_checked_in_the_plan_with_the_cell_named() -> None:
    grid = [HEADER,
            ["long", "", "mastodon, posts-zh", "短", "x" * 501, "", "批准", ""],
            ["picture", "", "", "有图", "With a picture", "https://example.org/a.png", "批准", ""],
            ["local", "", "posts-zh", "本地图", "", "file:///etc/passwd", "批准", ""],
            ["no-en", "", "mastodon", "只有中文", "", "", "批准", ""],
            ["typo", "", "mastodn", "错", "Wrong", "", "批准", ""],
            ["when", "明天", "", "时间不对", "Bad time", "", "批准", ""]]  # fmt: skip
    plan = plan_sends(grid, "Posts", CHANNELS, TZ, NOW)
    refused = {(r.post_id, r.channel): (r.cell, r.reason) for r in plan.rejected}
    assert refused == {
        ("long", "mastodon"): ("Posts!E2", "too_long"),  # 501 characters; Mastodon takes 500
        ("picture", "dingtalk"): ("Posts!F3", "no_images"),
        ("local", "posts-zh"): ("Posts!F4", "bad_image"),
        ("no-en", "mastodon"): ("Posts!E5", "no_text"),
        ("typo", "mastodn"): ("Posts!C6", "unknown_channel"),
        ("when", ""): ("Posts!B7", "bad_when"),
    }
    assert set(sends(plan)) == {"post:long:posts-zh", "post:picture:posts-zh", "post:picture:mastodon"}


def test_drafts_are_appended_once_below_the_last_row_and_never_for_a_source_the_tab_holds() -> None:
    grid = [HEADER, ["evt-old", "", "", "旧", "", "", "草稿", "event:old"], [], ["", "", "", "", "", "", "", ""]]
    plan = PostPlan("Posts")
    drafts = [Draft("event:old", {"zh": "旧"}), Draft("event:new", {"zh": "新活动", "en": "New event"}),
              Draft("event:new", {"zh": "again"}),
              Draft("newsletter:2026-11", {"zh": "通讯", "en": "Issue"})]  # fmt: skip
    plan_drafts(grid, "Posts", drafts, plan)
    assert [a.key for a in plan.drafts] == ["post-draft:event:new", "post-draft:newsletter:2026-11"]
    cells = {(c.row, c.col): c.value for a in plan.drafts for c in plan.cells[a.key]}
    assert cells[(3, 1)] == "evt-new" and cells[(3, 7)] == "草稿" and cells[(3, 8)] == "event:new"
    assert cells[(3, 4)] == "新活动" and cells[(3, 5)] == "New event" and cells[(4, 8)] == "newsletter:2026-11"


def test_a_newsletter_draft_links_the_issue_on_the_public_site_when_its_address_is_known(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tasks.newsletter.compile import Edition
    from tasks.posts.plan import plan_posts
    from tasks.posts.read import PostSources
    from weaver.config import parse_config

    config = parse_config({"tables": {"backend": "csv", "path": "x"}, "network": {"timezone": TZ},
                           "posts": {"drafts_from": ["newsletter"]},
                           "site": {"base_url": "https://network.example.org/"}})  # fmt: skip
    editions = [Edition("2026-11", "zh", "网络通讯 · 2026年11月", "", "", {}),
                Edition("2026-11", "en", "Newsletter · November 2026", "", "", {})]  # fmt: skip
    plan = plan_posts(PostSources([HEADER], None, None, editions), config, NOW, NOW.date())
    cells = {c.col: c.value for c in plan.cells["post-draft:newsletter:2026-11"]}
    assert (
        cells[4]
        == "新一期网络通讯已发布：网络通讯 · 2026年11月\nhttps://network.example.org/newsletter/2026-11-zh.html"
    )
    assert cells[5].endswith("https://network.example.org/newsletter/2026-11-en.html")
