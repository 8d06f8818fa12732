"""A Mastodon stand-in on 127.0.0.1: `POST /api/v1/statuses` (and the account lookup) in the API's wire format.

It keeps the statuses posted, with the bearer token each came with, and answers like Mastodon: 401 without a
valid token, 422 for an empty or too long status (500 characters), 429 from `fail("statuses", 429)` with
Mastodon's rate-limit headers. Used through apprise's real Mastodon plugin.
"""

from __future__ import annotations

from typing import Any

from tests.standins.base import ApiError, Reply, Request, StandIn, route

TOKEN = "standin-access-token"
# a 1x1 PNG
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf"
    "c0f01f0005000201d1a7a3a50000000049454e44ae426082"
)


class MastodonStandIn(StandIn):
    def __init__(self, latency: float = 0.0) -> None:
        super().__init__(latency)
        self.statuses: list[dict[str, Any]] = []
        self.media: list[dict[str, Any]] = []

    def error_body(self, status: int, message: str, reason: str, route: str) -> Any:
        return {"error": message or ("Too many requests" if status == 429 else "Error")}

    def _auth(self, req: Request) -> None:
        if req.headers.get("authorization") != f"Bearer {TOKEN}":
            raise ApiError(401, "The access token is invalid")

    @route("GET", r"/api/v1/accounts/verify_credentials", "verify_credentials")
    def verify(self, req: Request) -> Reply:
        self._auth(req)
        return Reply(200, {"id": "1", "username": "weaving", "acct": "weaving"})

    @route("GET", r"/files/(?P<name>[^/]+)", "file")
    def image(self, req: Request) -> Reply:
        """A picture to attach, as a post's image link names it (a web server somewhere, here on loopback)."""
        return Reply(200, PNG, content_type="image/png")

    @route("POST", r"/api/v1/media", "media")
    def upload(self, req: Request) -> Reply:
        self._auth(req)
        if b"Content-Disposition: form-data" not in req.body:
            raise ApiError(422, "Validation failed: File can't be blank")
        with self.lock:
            media = {"id": f"m-{len(self.media) + 1}", "type": "image", "size": len(req.body)}
            self.media.append(media)
        return Reply(200, media)

    @route("POST", r"/api/v1/statuses", "statuses")
    def post_status(self, req: Request) -> Reply:
        self._auth(req)
        body = req.json() or {}
        text = str(body.get("status", ""))
        if not text.strip() or len(text) > 500:
            raise ApiError(422, "Validation failed: Text character limit of 500 exceeded" if text else "Text blank")
        with self.lock:
            status = {"id": str(100 + len(self.statuses)), "content": text, "visibility": body.get("visibility"),
                      "media_ids": list(body.get("media_ids") or []),
                      "url": f"https://mastodon.example/@weaving/{100 + len(self.statuses)}"}  # fmt: skip
            self.statuses.append(status)
        return Reply(200, status, headers={"X-RateLimit-Remaining": "299", "X-RateLimit-Limit": "300"})
