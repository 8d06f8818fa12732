"""stories, plan (pure, no I/O): a new round when none is open and enough new candidates wait; every member's
personal vote link (once per round); at a round's close the tally and a consent-to-publish email to the authors
of the most voted stories (once each); each story its author agreed to publish offered once to the newsletter
(a News tab row, `[stories] news_status`). Exactly what a dry run shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from prefect.cache_policies import NO_CACHE

from connectors.mail import Message
from tasks.common.messages import render
from tasks.common.prefect_task import task
from tasks.harvest.render import member_name
from tasks.stories.read import StoriesRead
from tasks.stories.stories import CONSENT, PUBLISH, VOTE, tally
from weaver.config import WeaverConfig
from weaver.i18n import LANGUAGES, t
from weaver.ledger import Action
from weaver.links import LinkSigner, link_url

LINK_DAYS_AFTER_CLOSE = 7  # a vote link still opens (to say "closed") a week after the close
CONSENT_LINK_DAYS = 60


@dataclass
class RoundView:
    round_id: str
    status: str  # open | closed
    opened_at: datetime
    closes_at: datetime
    nominees: list[dict[str, str]]
    voters: int = 0
    tally: list[tuple[str, int]] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)  # story ids put to their authors


@dataclass
class StoriesPlan:
    now: datetime
    rounds: list[RoundView] = field(default_factory=list)
    new_round: dict[str, Any] | None = None
    messages: list[Message] = field(default_factory=list)
    news: list[Action] = field(default_factory=list)
    published: list[dict[str, str]] = field(default_factory=list)  # consented stories: text, who, title
    waiting: int = 0  # candidates not yet in a round

    def count(self, purpose: str) -> int:
        return sum(1 for m in self.messages if m.purpose == purpose)


def vote_key(round_id: str, member_id: str) -> str:
    return f"story-vote:{round_id}:{member_id}"


def consent_key(story: str) -> str:
    return f"{CONSENT}:{story}"


def plan_stories(read: StoriesRead, config: WeaverConfig, now: datetime, signer: LinkSigner) -> StoriesPlan:
    cfg, tz = config.stories, ZoneInfo(config.network.timezone)
    plan = StoriesPlan(now)
    rounds = list(read.rounds)
    in_rounds = {n["story_id"] for r in rounds for n in r["nominees"]}
    fresh = [c for c in read.candidates if c.story_id not in in_rounds and c.author in read.members]
    plan.waiting = len(fresh)
    if not any(now < r["closes_at"] for r in rounds) and len(fresh) >= cfg.min_nominees:
        chosen = sorted(fresh, key=lambda c: (c.at, c.story_id), reverse=True)[: cfg.nominees]
        plan.new_round = {"round_id": f"stories-{now.astimezone(tz).date().isoformat()}", "opened_at": now,
                          "closes_at": now + timedelta(days=cfg.round_days), "picks": cfg.picks,
                          "nominees": [c.nominee() for c in chosen]}  # fmt: skip
        rounds.append(plan.new_round)
        plan.waiting -= len(chosen)
    by_round: dict[str, list[dict[str, Any]]] = {}
    for v in read.votes:
        by_round.setdefault(v["round_id"], []).append(v)
    for r in rounds:
        view = RoundView(r["round_id"], "open" if now < r["closes_at"] else "closed", r["opened_at"], r["closes_at"],
                         list(r["nominees"]), len(by_round.get(r["round_id"], [])))  # fmt: skip
        plan.rounds.append(view)
        if view.status == "open":
            expires = r["closes_at"] + timedelta(days=LINK_DAYS_AFTER_CLOSE)
            for member_id, member in sorted(read.members.items()):
                key = vote_key(view.round_id, member_id)
                if key not in read.sent:
                    url = link_url(config, VOTE, signer.token(VOTE, member_id, view.round_id, expires))
                    plan.messages.append(_vote_invite(key, view, member, url, config))
            continue
        view.tally = tally(view.nominees, by_round.get(view.round_id, []))
        view.chosen = [s for s, n in view.tally if n > 0][: cfg.winners]
        nominees = {n["story_id"]: n for n in view.nominees}
        for story in view.chosen:
            nominee, author = nominees[story], read.members.get(nominees[story]["author"])
            if author is None:
                continue  # the author left: never published
            key = consent_key(story)
            if key not in read.sent and story not in read.consents:
                scope = f"{view.round_id}|{story}"
                expires = now + timedelta(days=CONSENT_LINK_DAYS)
                url = link_url(config, CONSENT, signer.token(CONSENT, author["member_id"], scope, expires))
                plan.messages.append(_consent_ask(key, nominee, author, view, url, config))
            answer = read.consents.get(story)
            if answer is not None and answer["answer"] in PUBLISH and answer["member_id"] == nominee["author"]:
                who = member_name(author) if answer["answer"] == "name" else ""
                plan.published.append({"story_id": story, "text": nominee["text"], "who": who,
                                       "title": nominee["title"],
                                       "day": answer["answered_at"].astimezone(tz).date().isoformat()})  # fmt: skip
                plan.news.append(_news(plan.published[-1], config))
    return plan


def _language(member: Mapping[str, Any], config: WeaverConfig) -> str:
    lang = str((member.get("fields") or {}).get("language") or "")
    return lang if lang in LANGUAGES else config.network.default_language


def _mail(template: str, key: str, member: Mapping[str, Any], ctx: dict[str, Any], config: WeaverConfig) -> Message:
    lang = _language(member, config)
    name = member_name(member)
    text = render(template, lang, {**ctx, "name": name, "network_name": config.network.name},
                  default_language=config.network.default_language)  # fmt: skip
    return Message(key=key, to_email=member["email"], to_name=name, subject=text.subject, text=text.text,
                   html=text.html, language=text.language, member_id=member["member_id"], purpose=template)  # fmt: skip


def _vote_invite(key: str, view: RoundView, member: Mapping[str, Any], url: str, config: WeaverConfig) -> Message:
    closes = view.closes_at.astimezone(ZoneInfo(config.network.timezone)).date().isoformat()
    ctx = {"url": url, "closes": closes, "count": len(view.nominees), "picks": config.stories.picks}
    return _mail("story_vote", key, member, ctx, config)


def _consent_ask(key: str, nominee: Mapping[str, str], member: Mapping[str, Any], view: RoundView, url: str,
                 config: WeaverConfig) -> Message:  # fmt: skip
    return _mail("story_consent", key, member, {"url": url, "text": nominee["text"], "title": nominee["title"]},
                 config)  # fmt: skip


def _news(story: Mapping[str, str], config: WeaverConfig) -> Action:
    values = {"date": story["day"], "status": config.stories.news_status}
    for lang in LANGUAGES:
        values[f"title_{lang}"] = t("stories.news.title", lang, title=story["title"]) if story["title"] else (
            t("stories.news.untitled", lang))  # fmt: skip
        values[f"summary_{lang}"] = story["text"]
    values["by"] = story["who"] or t("stories.anonymous", config.network.default_language)
    return Action(f"story-news:{story['story_id']}", "sheet-append", "a published story for the newsletter",
                  {"values": values}, idempotent=True)  # fmt: skip


plan_stories_task = task(name="plan-stories", cache_policy=NO_CACHE)(plan_stories)
