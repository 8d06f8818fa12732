"""The dot-vote page: GET /l/dots/<token> lists the round's event ideas with the member's dots; POST records them.

The token's subject is the member, its scope the round (`tasks/ideas`). One allocation per member and round,
replaced by a later one until the close; more dots than the budget, a non-number or an idea not in the round
is refused (400) and changes nothing; after the close, 409.
"""

from __future__ import annotations

from datetime import datetime

from deployments.pages import PageContext, PageReply, register
from tasks.ideas.ideas import DotError, allocation
from weaver.i18n import t
from weaver.state.ideas import dots_of, load_idea_round, save_dots


class DotsPage:
    purpose = "dots"

    def get(self, ctx: PageContext) -> PageReply:
        return self._show(ctx, "")

    def post(self, ctx: PageContext) -> PageReply:
        snapshot = load_idea_round(ctx.db, ctx.link.scope)
        if snapshot is None:
            return self._show(ctx, "")
        if ctx.now >= datetime.fromisoformat(snapshot["closes_at"]):
            return self._show(ctx, t("ideas.page.too_late", ctx.language), 409)
        try:
            dots = allocation(ctx.form, [i["id"] for i in snapshot["ideas"]], int(snapshot["dots"]))
        except DotError as err:
            return self._show(ctx, t(f"ideas.page.{err.code}", ctx.language, dots=snapshot["dots"]), 400)
        save_dots(ctx.db, ctx.link.scope, ctx.link.subject, dots, ctx.now)
        return self._show(ctx, t("ideas.page.recorded", ctx.language, used=sum(dots.values()), dots=snapshot["dots"]))

    def _show(self, ctx: PageContext, notice: str, status: int = 200) -> PageReply:
        lang = ctx.language
        snapshot = load_idea_round(ctx.db, ctx.link.scope)
        if snapshot is None:
            return ctx.render("_message.html", t("ideas.page.unknown.title", lang), 404,
                              message=t("ideas.page.unknown", lang), other="")  # fmt: skip
        mine = next(iter(dots_of(ctx.db, ctx.link.scope, ctx.link.subject)), {}).get("dots", {})
        closed = ctx.now >= datetime.fromisoformat(snapshot["closes_at"])
        return ctx.render("dots.html", t("ideas.page.title", lang), status, ideas=snapshot["ideas"], mine=mine,
                          dots=snapshot["dots"], closes=snapshot["closes"], closed=closed, notice=notice)  # fmt: skip


register(DotsPage())
