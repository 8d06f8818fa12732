"""The "did you meet?" page: `/l/met/<token>`, from the two links in engagement-review's follow-up email.

The token is for the member asked (`subject`) and carries the answer and the introduction:
`scope = "<yes|not-yet>|intro:<newcomer>:<partner>"`. Opening the link shows the question with one button
(a GET never changes anything: mail scanners open links); pressing it records the answer once:

- **yes**: a confirmed tie between the two (source `meeting`, ref the introduction's, dated the day of the
  answer in the network's time zone): new-tie figures and the impact report count it as a meeting;
- **not yet**: recorded; the next engagement-review offers the introduction once more (email
  `intro-reoffer`), unless they confirm a meeting first.

A replayed token changes nothing and shows what the first use recorded. A token whose member is not one of
the pair, or whose introduction was never made, gets the plain refusal, like a forged or foreign one.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from deployments.pages import PageContext, PageReply, refusal, register
from tasks.common.ties import MET_ANSWERS, MET_PURPOSE, parse_met_scope, save_ties, tie
from weaver.i18n import t
from weaver.state.engagement import ties_of_ref
from weaver.state.links import first_use, link_use, member_by_id

ANSWERS = MET_ANSWERS


class MetPage:
    purpose = MET_PURPOSE

    def _introduction(self, ctx: PageContext) -> tuple[str, str, str, str, list[dict]] | None:
        parsed = parse_met_scope(ctx.link.scope)
        if parsed is None:
            return None
        answer, ref, newcomer, partner = parsed
        if ctx.link.subject not in (newcomer, partner):
            return None
        recorded = ties_of_ref(ctx.db, ref)
        if not any(r["source"] == "introduction" for r in recorded):
            return None
        other = partner if ctx.link.subject == newcomer else newcomer
        return answer, ref, newcomer, other, recorded

    def _other_name(self, ctx: PageContext, other: str) -> str:
        row = member_by_id(ctx.db, other) or {}
        return str((row.get("fields") or {}).get("name") or "") or t("met.someone", ctx.language)

    def _refuse(self, ctx: PageContext) -> PageReply:
        return refusal(ctx.ws.config.network.name, ctx.language)

    def get(self, ctx: PageContext) -> PageReply:
        found = self._introduction(ctx)
        if found is None:
            return self._refuse(ctx)
        answer, _ref, _newcomer, other, recorded = found
        lang, name = ctx.language, self._other_name(ctx, other)
        earlier = link_use(ctx.db, ctx.link.id)
        if earlier is not None:
            return self._done(ctx, str(earlier["outcome"].get("answer", answer)), name, again=True)
        if answer == "not-yet" and any(r["source"] == "meeting" for r in recorded):
            return self._done(ctx, "yes", name, again=True)
        question = t(f"met.ask.{answer}", lang, name=name)
        return ctx.render("did_you_meet.html", t("met.title", lang, name=name), question=question,
                          button=t(f"met.button.{answer}", lang))  # fmt: skip

    def post(self, ctx: PageContext) -> PageReply:
        found = self._introduction(ctx)
        if found is None:
            return self._refuse(ctx)
        answer, ref, newcomer, other, _recorded = found
        day = ctx.now.astimezone(ZoneInfo(ctx.ws.config.network.timezone)).date()
        link, name = ctx.link, self._other_name(ctx, other)
        outcome = {"answer": answer, "on": day.isoformat()}
        if not first_use(ctx.db, link.id, link.purpose, link.subject, link.scope, ctx.now, outcome):
            earlier = link_use(ctx.db, link.id) or {"outcome": outcome}
            return self._done(ctx, str(earlier["outcome"].get("answer", answer)), name, again=True)
        if answer == "yes":
            save_ties(ctx.db, [tie(newcomer, other, "meeting", ref, day)])
        return self._done(ctx, answer, name, again=False)

    def _done(self, ctx: PageContext, answer: str, name: str, again: bool) -> PageReply:
        lang = ctx.language
        note = t("met.again", lang) if again else ""
        return ctx.render("_message.html", t("met.thanks", lang), message=t(f"met.done.{answer}", lang, name=name),
                          other=note)  # fmt: skip


register(MetPage())
