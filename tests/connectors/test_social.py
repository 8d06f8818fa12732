"""Social posts through apprise's real Mastodon plugin against a loopback Mastodon (POST /api/v1/statuses),
and the posts/ folder the embedded default writes."""

from __future__ import annotations

from pathlib import Path

from connectors.social import ApprisePosts, FolderPosts
from tests.standins.mastodon import TOKEN, MastodonStandIn


def poster(api: MastodonStandIn, waits: list[float], attempts: int = 3) -> ApprisePosts:
    host = api.url.removeprefix("http://")
    return ApprisePosts(f"mastodon://{TOKEN}@{host}", attempts=attempts, backoff_seconds=0.5, sleep=waits.append)


def test_a_post_is_one_status_request_with_the_text_as_sent() -> None:
    with MastodonStandIn() as api:
        out = poster(api, []).post("evt-1", "气候行动圆桌 · Climate Action Roundtable\n2026-12-01 19:00", "")
        assert out.ok
        assert [(c.method, c.path, c.status) for c in api.log] == [("POST", "/api/v1/statuses", 200)]
        assert api.log[0].body["status"] == "气候行动圆桌 · Climate Action Roundtable\n2026-12-01 19:00"
        assert [s["content"] for s in api.statuses] == [api.log[0].body["status"]]


def test_a_429_is_retried_boundedly_with_growing_waits_and_posts_once() -> None:
    with MastodonStandIn() as api:
        waits: list[float] = []
        target = poster(api, waits)
        api.fail("statuses", 429, times=1, retry_after="1")
        out = target.post("evt-1", "Hello", "")
        assert out.ok and target.tries == 2 and waits == [0.5]
        assert [c.status for c in api.log] == [429, 200] and len(api.statuses) == 1

        api.fail("statuses", 429, times=None)  # the limit holds: three tries, then the next run
        out = target.post("evt-2", "Again", "")
        assert not out.ok and out.retry and target.tries == 3 and waits == [0.5, 0.5, 1.0]
        assert api.count("statuses") == 2 + 3 and len(api.statuses) == 1


def test_a_refusal_is_not_retried_and_a_server_error_is_unknown() -> None:
    with MastodonStandIn() as api:
        target = poster(api, [])
        api.fail("statuses", 422, times=1)
        out = target.post("evt-1", "Hello", "")
        assert not out.ok and not out.retry and not out.uncertain and api.count("statuses") == 1
        api.fail("statuses", 500, times=1)  # it may have posted: never repeated without a coordinator's word
        out = target.post("evt-1", "Hello", "")
        assert out.uncertain and api.count("statuses") == 2
        assert TOKEN not in out.detail and target.describe() == "apprise mastodon://"


def test_the_folder_channel_writes_one_file_per_post_and_channel(tmp_path: Path) -> None:
    out = FolderPosts(tmp_path / "posts", "posts-zh").post(
        "welcome/winter", "冬季活动季开始了！", "https://x.org/a.png"
    )
    assert out.ok
    assert (tmp_path / "posts" / "welcome-winter.posts-zh.txt").read_text(encoding="utf-8") == (
        "冬季活动季开始了！\n\nhttps://x.org/a.png\n"
    )


def test_an_image_link_is_fetched_uploaded_as_media_and_attached_to_the_status() -> None:
    with MastodonStandIn() as api:
        out = poster(api, []).post("evt-1", "With a picture", f"{api.url}/files/winter.png")
        assert out.ok
        assert [c.route for c in api.log] == ["file", "media", "statuses"]
        assert api.statuses[0]["media_ids"] == ["m-1"] and api.statuses[0]["content"] == "With a picture"
