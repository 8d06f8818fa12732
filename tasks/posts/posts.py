"""Social posts, pure: the Posts tab, each channel's rules, the drafts we write ourselves, and what goes out.

Rules a coordinator can rely on:

* A post is one row of the Posts tab: `post_id` (kept for ever), `when` (a local time in the network's time
  zone; blank: as soon as it is approved), `channels` (names from `[[posts.channels]]`; blank: every channel),
  `text_zh` / `text_en`, `image` (an http(s) link), `status` and `source`.
* Only an approved post goes out (批准 / approved / 通过), once its time has come, exactly once per channel
  (`post:<post_id>:<channel>` in the ledger), in the channel's language: a channel without a text in its
  language is skipped for that post and the report names the cell.
* Each channel's rules are checked here, before anything is sent: a text longer than the channel takes, an
  image on a channel that takes none, or an image that is not an http(s) link rejects the post for that
  channel with the cell named; the other channels still get it.
* Drafts: each new upcoming event, open opportunity and archived newsletter edition gets one draft row
  (status 草稿 / draft, source `event:<id>`, `opportunity:<digest>`, `newsletter:<period>`), appended once
  (`post-draft:<source>`); a coordinator approves it by setting its status, or deletes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from connectors.tables import Cell, Grid, cell_name
from tasks.common.text import normalise_header, normalise_text
from tasks.events.events import parse_when
from weaver.ledger import Action

FIELDS = ("post_id", "when", "channels", "text_zh", "text_en", "image", "status", "source")
ALIASES: dict[str, tuple[str, ...]] = {
    "post_id": ("post_id", "id", "编号", "帖子编号"),
    "when": ("when", "time", "post_at", "发布时间", "时间"),
    "channels": ("channels", "channel", "渠道", "平台"),
    "text_zh": ("text_zh", "中文", "中文内容", "内容（中文）"),
    "text_en": ("text_en", "english", "英文", "英文内容", "内容（英文）"),
    "image": ("image", "image_link", "图片", "图片链接"),
    "status": ("status", "状态"),
    "source": ("source", "来源"),
}
APPROVED = {"approved", "approve", "ok", "go", "批准", "已批准", "通过", "同意"}
# what each kind of channel takes: the most characters, and whether it can carry an image
RULES: dict[str, tuple[int, bool]] = {
    "mastodon": (500, True), "bluesky": (300, True), "x": (280, True), "telegram": (4096, True),
    "dingtalk": (5000, False), "wecom": (2048, False), "slack": (40000, True), "discord": (2000, True),
    "matrix": (32000, False), "folder": (100000, True),
}  # fmt: skip
REASONS = ("no_text", "too_long", "no_images", "bad_image", "bad_when", "unknown_channel")


@dataclass(frozen=True)
class Channel:
    name: str
    kind: str
    language: str


@dataclass(frozen=True)
class Post:
    row: int
    post_id: str
    when: datetime | None
    channels: tuple[str, ...]
    texts: Mapping[str, str]
    image: str
    approved: bool
    source: str


@dataclass(frozen=True)
class Rejection:
    cell: str
    post_id: str
    channel: str
    reason: str  # one of REASONS
    detail: str = ""


@dataclass
class PostPlan:
    tab: str
    sends: list[Action] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # approved posts whose time has not come
    drafts: list[Action] = field(default_factory=list)  # draft rows to append
    cells: dict[str, list[Cell]] = field(default_factory=dict)  # draft action key -> its cells
    rejected: list[Rejection] = field(default_factory=list)
    posts: int = 0
    approved: int = 0


def locate(header: Sequence[str]) -> dict[str, int]:
    keys = {normalise_header(alias): name for name, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    for col, text in enumerate(header):
        name = keys.get(normalise_header(str(text)))
        if name is not None:
            found.setdefault(name, col)
    return found


def _split(text: str) -> tuple[str, ...]:
    for sep in ("，", "、", ";", "；", "/", "\n"):
        text = text.replace(sep, ",")
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parse_posts(grid: Grid, tab: str, timezone: str, plan: PostPlan) -> list[Post]:
    """Every post row with an id; a bad `when` rejects the row with its cell named."""
    from zoneinfo import ZoneInfo

    if not grid:
        return []
    cols, zone = locate(grid[0]), ZoneInfo(timezone)
    out: list[Post] = []
    for offset, raw in enumerate(grid[1:]):
        row = offset + 2
        cells = {name: str(raw[col]).strip() if col < len(raw) and raw[col] is not None else ""
                 for name, col in cols.items()}  # fmt: skip
        if not cells.get("post_id"):
            continue
        when = None
        if cells.get("when"):
            when = parse_when(cells["when"], zone)
            if when is None:
                plan.rejected.append(Rejection(cell_name(tab, row, cols["when"] + 1), cells["post_id"], "", "bad_when"))
                continue
        texts = {lang: cells.get(f"text_{lang}", "") for lang in ("zh", "en")}
        approved = normalise_text(cells.get("status", "")).casefold() in APPROVED
        out.append(Post(row, cells["post_id"], when, _split(cells.get("channels", "")), texts,
                        cells.get("image", ""), approved, cells.get("source", "")))  # fmt: skip
    return out


def post_key(post_id: str, channel: str) -> str:
    return f"post:{post_id}:{channel}"


def check(post: Post, channel: Channel, cols: Mapping[str, int], tab: str) -> Rejection | None:
    """This channel's rules for this post: a text in its language, its length, its image rules."""

    def at(name: str) -> str:
        return cell_name(tab, post.row, cols[name] + 1) if name in cols else f"{tab}!{post.row}"

    text = post.texts.get(channel.language, "")
    limit, images = RULES[channel.kind]
    if not text:
        return Rejection(at(f"text_{channel.language}"), post.post_id, channel.name, "no_text")
    if len(text) > limit:
        return Rejection(at(f"text_{channel.language}"), post.post_id, channel.name, "too_long", f"{len(text)}/{limit}")
    if post.image and not post.image.startswith(("https://", "http://")):
        return Rejection(at("image"), post.post_id, channel.name, "bad_image")
    if post.image and not images:
        return Rejection(at("image"), post.post_id, channel.name, "no_images")
    return None


def plan_sends(grid: Grid, tab: str, channels: Sequence[Channel], timezone: str, now: datetime) -> PostPlan:
    plan = PostPlan(tab)
    posts = parse_posts(grid, tab, timezone, plan)
    cols = locate(grid[0]) if grid else {}
    by_name = {c.name: c for c in channels}
    plan.posts, plan.approved = len(posts), sum(p.approved for p in posts)
    for post in posts:
        if not post.approved:
            continue
        if post.when is not None and post.when > now:
            plan.waiting.append(post.post_id)
            continue
        for name in post.channels or tuple(by_name):
            channel = by_name.get(name)
            if channel is None:
                cell = cell_name(tab, post.row, cols["channels"] + 1) if "channels" in cols else tab
                plan.rejected.append(Rejection(cell, post.post_id, name, "unknown_channel"))
                continue
            problem = check(post, channel, cols, tab)
            if problem is not None:
                plan.rejected.append(problem)
                continue
            plan.sends.append(Action(post_key(post.post_id, channel.name), "social-post",
                                     f"post {post.post_id} to {channel.name}",
                                     {"channel": channel.name, "post_id": post.post_id,
                                      "text": post.texts[channel.language], "image": post.image}))  # fmt: skip
    return plan


# drafts ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Draft:
    source: str  # event:<id> | opportunity:<digest> | newsletter:<period>
    texts: Mapping[str, str]


def opportunity_source(title: str, funder: str) -> str:
    digest = hashlib.blake2b(f"{normalise_header(title)}|{normalise_header(funder)}".encode(), digest_size=6)
    return f"opportunity:{digest.hexdigest()}"


_SHORT = {"event": "evt", "opportunity": "opp", "newsletter": "nl"}


def draft_id(source: str) -> str:
    kind, _, rest = source.partition(":")
    return f"{_SHORT.get(kind, kind)}-{rest}"


def plan_drafts(grid: Grid, tab: str, drafts: Sequence[Draft], plan: PostPlan) -> None:
    """Append one draft row per source the tab does not hold yet, below its last filled row."""
    if not grid:
        return
    cols = locate(grid[0])
    if not {"post_id", "status", "source"} <= set(cols):
        return
    known = {str(r[cols["source"]]).strip() for r in grid[1:] if cols["source"] < len(r)}
    known |= {str(r[cols["post_id"]]).strip() for r in grid[1:] if cols["post_id"] < len(r)}
    last = max((i + 1 for i, r in enumerate(grid) if any(str(c).strip() for c in r)), default=1)
    for draft in drafts:
        if draft.source in known or draft_id(draft.source) in known:
            continue
        known.add(draft.source)
        last += 1
        values = {"post_id": draft_id(draft.source), "status": "草稿", "source": draft.source,
                  **{f"text_{lang}": text for lang, text in draft.texts.items()}}  # fmt: skip
        key = f"post-draft:{draft.source}"
        plan.cells[key] = [Cell(last, cols[k] + 1, v) for k, v in values.items() if k in cols]
        first_line = next(iter(draft.texts.values()), "").split("\n")[0]
        plan.drafts.append(Action(key, "sheet-append", f"draft post row {last}",
                                  {"row": last, "post_id": draft_id(draft.source), "title": first_line}))  # fmt: skip
