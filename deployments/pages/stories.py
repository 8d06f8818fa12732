"""The story pages: members vote on a round's nominated stories (`/l/story-vote/<token>`, scope = the round), and
the author of a chosen story says whether we may publish it (`/l/story-consent/<token>`, scope = round|story).

A GET never changes anything (mail scanners open links). A vote or an answer is recorded once: a replay changes
nothing and says it was recorded earlier. A token for a round this member was never invited to, for a story
someone else wrote, or for an unknown round or story, gets the plain refusal, like a forged or foreign one. The
vote page shows the stories without their authors' names: nobody is named before they agree.
"""

from __future__ import annotations

from typing import Any

from deployments.pages import PageContext, PageReply, refusal, register
from tasks.stories.plan import consent_key, vote_key
from tasks.stories.stories import ANSWERS, CONSENT, VOTE
from weaver.i18n import t
from weaver.state import ledger_keys_like
from weaver.state.stories import consents, load_round, record_consent, record_vote, votes


def _sent(ctx: PageContext, key: str) -> bool:
    return key in {k for k, _ in ledger_keys_like(ctx.db, [key])}


class StoryVotePage:
    purpose = VOTE

    def _round(self, ctx: PageContext) -> dict[str, Any] | None:
        r = load_round(ctx.db, ctx.link.scope) if ctx.link.scope else None
        if r is None or not _sent(ctx, vote_key(r["round_id"], ctx.link.subject)):
            return None
        return r

    def _mine(self, ctx: PageContext, r: dict[str, Any]) -> dict[str, Any] | None:
        return next((v for v in votes(ctx.db, r["round_id"]) if v["member_id"] == ctx.link.subject), None)

    def get(self, ctx: PageContext) -> PageReply:
        r = self._round(ctx)
        if r is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        return self._show(ctx, r, "")

    def post(self, ctx: PageContext) -> PageReply:
        r = self._round(ctx)
        if r is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        if self._mine(ctx, r) is not None or ctx.now >= r["closes_at"]:
            return self._show(ctx, r, "", 409)
        picks = [p for p in ctx.form.get("story", "").split("\n") if p]
        known = {n["story_id"] for n in r["nominees"]}
        if not picks or len(set(picks)) != len(picks) or len(picks) > int(r["picks"]) or not set(picks) <= known:
            return self._show(ctx, r, t("stories.page.pick", ctx.language, n=r["picks"]), 400)
        record_vote(ctx.db, r["round_id"], ctx.link.subject, picks, ctx.now)
        return self._show(ctx, r, t("stories.page.voted", ctx.language))

    def _show(self, ctx: PageContext, r: dict[str, Any], notice: str, status: int = 200) -> PageReply:
        lang = ctx.language
        mine = self._mine(ctx, r)
        closed = ctx.now >= r["closes_at"]
        stories = [(n["story_id"], n["text"], n["title"]) for n in r["nominees"]]
        return ctx.render("story_vote.html", t("stories.page.vote_title", lang), status, notice=notice,
                          stories=stories, picks=r["picks"], mine=list(mine["picks"]) if mine else [],
                          closed=closed, done=mine is not None)  # fmt: skip


class StoryConsentPage:
    purpose = CONSENT

    def _story(self, ctx: PageContext) -> dict[str, str] | None:
        round_id, _, story = ctx.link.scope.partition("|")
        r = load_round(ctx.db, round_id) if round_id and story else None
        nominee = next((n for n in (r or {}).get("nominees", []) if n["story_id"] == story), None)
        if nominee is None or nominee["author"] != ctx.link.subject or not _sent(ctx, consent_key(story)):
            return None
        return nominee

    def get(self, ctx: PageContext) -> PageReply:
        story = self._story(ctx)
        if story is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        return self._show(ctx, story, "")

    def post(self, ctx: PageContext) -> PageReply:
        story = self._story(ctx)
        if story is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        answer = ctx.form.get("answer", "")
        if story["story_id"] in consents(ctx.db):
            return self._show(ctx, story, "", 409)
        if answer not in ANSWERS:
            return self._show(ctx, story, t("stories.page.choose", ctx.language), 400)
        record_consent(ctx.db, story["story_id"], ctx.link.subject, answer, ctx.now)
        return self._show(ctx, story, t(f"stories.consent.done.{answer}", ctx.language))

    def _show(self, ctx: PageContext, story: dict[str, str], notice: str, status: int = 200) -> PageReply:
        lang = ctx.language
        given = consents(ctx.db).get(story["story_id"])
        answers = [(a, t(f"stories.consent.{a}", lang)) for a in ANSWERS]
        return ctx.render("story_consent.html", t("stories.page.consent_title", lang), status, notice=notice,
                          text=story["text"], answers=answers,
                          given=t(f"stories.consent.{given['answer']}", lang) if given else "")  # fmt: skip


register(StoryVotePage())
register(StoryConsentPage())
