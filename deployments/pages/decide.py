"""The decision page: GET /l/decide/<token> shows the proposal and the member's answer; POST records it.

The token's subject is the member, its scope the proposal (`tasks/decisions`). One answer per member and
proposal, replaced by a later one until the round closes; after the close the page shows the answer and
changes nothing. A choice the proposal does not offer is refused (400) and records nothing.
"""

from __future__ import annotations

from datetime import datetime

from deployments.pages import PageContext, PageReply, register
from weaver.i18n import t
from weaver.state.decisions import load_round, response_of, save_response

MAX_COMMENT = 2000


class DecidePage:
    purpose = "decide"

    def get(self, ctx: PageContext) -> PageReply:
        return self._show(ctx, "")

    def post(self, ctx: PageContext) -> PageReply:
        snapshot = load_round(ctx.db, ctx.link.scope)
        if snapshot is None:
            return self._show(ctx, "")
        if _closed(snapshot, ctx.now):
            return self._show(ctx, t("dec.page.too_late", ctx.language), 409)
        choice = ctx.form.get("choice", "")
        if choice not in snapshot["choices"]:
            return self._show(ctx, t("dec.page.pick_one", ctx.language), 400)
        comment = ctx.form.get("comment", "").strip()[:MAX_COMMENT]
        save_response(ctx.db, ctx.link.scope, ctx.link.subject, choice, comment, ctx.now)
        return self._show(ctx, t("dec.page.recorded", ctx.language, choice=_label(snapshot, choice, ctx.language)))

    def _show(self, ctx: PageContext, notice: str, status: int = 200) -> PageReply:
        lang = ctx.language
        snapshot = load_round(ctx.db, ctx.link.scope)
        if snapshot is None:
            return ctx.render("_message.html", t("dec.page.unknown.title", lang), 404,
                              message=t("dec.page.unknown", lang), other="")  # fmt: skip
        title = snapshot[f"title_{lang}"] or snapshot["title_en"] or snapshot["title_zh"]
        text = snapshot[f"text_{lang}"] or snapshot["text_en"] or snapshot["text_zh"]
        mine = response_of(ctx.db, ctx.link.scope, ctx.link.subject) or {}
        choices = [(c, _label(snapshot, c, lang)) for c in snapshot["choices"]]
        choice = str(mine.get("choice", ""))
        return ctx.render("decide.html", title, status, text=text, choices=choices, mine=choice,
                          mine_label=_label(snapshot, choice, lang) if choice else "", comment=mine.get("comment", ""),
                          closed=_closed(snapshot, ctx.now), closes=snapshot["closes"], notice=notice)  # fmt: skip


def _closed(snapshot: dict, now: datetime) -> bool:
    return now >= datetime.fromisoformat(snapshot["closes_at"])


def _label(snapshot: dict, choice: str, lang: str) -> str:
    return choice if snapshot["kind"] == "vote" else t(f"dec.choice.{choice}", lang)


register(DecidePage())
