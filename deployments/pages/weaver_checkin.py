"""A weaver's check-in outcome: `/l/weaver-checkin/<token>`, the link beside each check-in in their digest.

The token names the member checked in on (subject) and the assignment (scope `<weaver id>:<ISO week>`), under
the workspace's link key; the weaver answers a short form: did you meet? needs heard, offers heard, follow-up
wanted. The first answer is recorded once per link (`weaver.state.links.first_use`); a replay, a second
submit, changes nothing and shows what was recorded. An answer:

* "met": a tie between the weaver and the member (source `checkin`, ref `checkin:<member>:<week>`), counted
  by engagement-review, mixing history and the impact report like any tie;
* needs and offers heard: added to the member's needs and offers as a change member-sync writes into the
  sheet (the same path as the member's own page: only those columns, a coordinator's later edit wins);
* follow-up wanted: kept with the answer (`link_uses`) for the coordinator.

No hand typing (`weaver ties add`) is needed for any of it.
"""

from __future__ import annotations

from datetime import date

from deployments.pages import PageContext, PageReply, refusal, register, render
from tasks.common.links import CHECKIN
from tasks.common.ties import save_ties, tie
from weaver.i18n import t
from weaver.models import split_list
from weaver.state.links import first_use, link_use
from weaver.state.self_service import edit_rows, record_edits

MAX_VALUE = 500


def merged(current: str, heard: str) -> str:
    """The member's list with what the weaver heard added (order kept, repeats dropped)."""
    items = list(split_list(current))
    known = {i.casefold() for i in items}
    items += [i for i in split_list(heard) if i.casefold() not in known]
    return ", ".join(items)


class WeaverCheckinPage:
    purpose = CHECKIN

    def _parts(self, ctx: PageContext) -> tuple[dict, str, str] | None:
        member = ctx.member()
        weaver_id, _, week = ctx.link.scope.partition(":")
        weavers = {w.id: w.name for w in ctx.ws.config.engagement.weavers}
        if member is None or weaver_id not in weavers or not week:
            return None
        return member, weavers[weaver_id], week

    def get(self, ctx: PageContext) -> PageReply:
        parts = self._parts(ctx)
        if parts is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        member, weaver, week = parts
        lang = ctx.language
        earlier = link_use(ctx.db, ctx.link.id)
        if earlier is not None:
            return self._done(ctx, lang, again=True)
        name = str((member.get("fields") or {}).get("name", ""))
        labels = {k: t(f"checkin.{k}", lang) for k in ("met", "yes", "no", "needs", "offers", "followup", "save")}
        intro = t("checkin.intro", lang, weaver=weaver, name=name, week=week)
        return ctx.render("weaver_checkin.html", t("checkin.title", lang, name=name), intro=intro, labels=labels)

    def post(self, ctx: PageContext) -> PageReply:
        parts = self._parts(ctx)
        lang = ctx.language
        if parts is None:
            return refusal(ctx.ws.config.network.name, lang)
        member, _weaver, week = parts
        link, form = ctx.link, ctx.form
        answer = {"met": form.get("met") == "yes", "needs": " ".join(form.get("needs", "").split())[:MAX_VALUE],
                  "offers": " ".join(form.get("offers", "").split())[:MAX_VALUE],
                  "followup": form.get("followup") == "yes"}  # fmt: skip
        if not first_use(ctx.db, link.id, link.purpose, link.subject, link.scope, ctx.now, answer):
            return self._done(ctx, lang, again=True)
        weaver_id = link.scope.partition(":")[0]
        if answer["met"]:
            day: date = ctx.now.date()
            save_ties(ctx.db, [tie(weaver_id, link.subject, "checkin", f"checkin:{link.subject}:{week}", day)])
        fields = {k: str(v) for k, v in (member.get("fields") or {}).items()}
        for e in edit_rows(ctx.db, ("pending",), member_id=link.subject):
            fields[e["field"]] = str(e["value"])
        changes = {k: merged(fields.get(k, ""), answer[k]) for k in ("needs", "offers") if answer[k]}
        changes = {k: v for k, v in changes.items() if v != fields.get(k, "")}
        if changes:
            record_edits(ctx.db, f"checkin:{link.id}", link.subject, changes, ctx.now)
        return self._done(ctx, lang, again=False)

    def _done(self, ctx: PageContext, lang: str, again: bool) -> PageReply:
        message = t("checkin.again", lang) if again else t("checkin.saved", lang)
        return render("_message.html", lang, t("checkin.done", lang), ctx.ws.config.network.name, message=message,
                      other="")  # fmt: skip


register(WeaverCheckinPage())
