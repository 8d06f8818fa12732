"""The harvest page: `/l/harvest/<token>`, each attendee's personal link in event-harvest's thank-you email.

The token is for the attendee (`subject`) and one event (`scope` = the event id). A GET shows the form and
changes nothing (mail scanners open links); a POST records the answer at once (`weaver.state.harvest`): a
rating, a tag, what they took away, and whether we may share it (with their name, without it, or not). One
answer per member and event: a replay changes nothing and says the answer was recorded earlier. A token for an
event event-harvest never thanked this member for, or an unknown event, gets the plain refusal, like a forged
or foreign one; after the harvest closes the page says so and records nothing.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from deployments.pages import PageContext, PageReply, refusal, register
from tasks.events.messages import format_span
from tasks.harvest.harvest import CONSENTS, PURPOSE, RATINGS, TAGS, thanks_key
from weaver.i18n import t
from weaver.state import ledger_keys_like
from weaver.state.harvest import answer_of, harvest_event, record_answer

MAX_QUOTE = 2000


class HarvestPage:
    purpose = PURPOSE

    def _event(self, ctx: PageContext) -> dict[str, Any] | None:
        """The event this link may answer for: known to event-harvest, and this member was thanked for it."""
        event_id, member_id = ctx.link.scope, ctx.link.subject
        event = harvest_event(ctx.db, event_id) if event_id else None
        if event is None:
            return None
        key = thanks_key(event_id, member_id)
        if key not in {k for k, _ in ledger_keys_like(ctx.db, [key])}:
            return None
        return event

    def _open(self, ctx: PageContext) -> dict[str, Any] | PageReply:
        """The event while this member may still answer; otherwise the reply that says why (GET and POST alike)."""
        event = self._event(ctx)
        if event is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        if answer_of(ctx.db, event["event_id"], ctx.link.subject) is not None:
            return self._message(ctx, event, "harvest.page.again")
        if ctx.now >= event["closes_at"]:
            return self._message(ctx, event, "harvest.page.closed", 409)
        return event

    def get(self, ctx: PageContext) -> PageReply:
        event = self._open(ctx)
        return event if isinstance(event, PageReply) else self._form(ctx, event, "")

    def post(self, ctx: PageContext) -> PageReply:
        event = self._open(ctx)
        if isinstance(event, PageReply):
            return event
        tag, consent = ctx.form.get("tag", ""), ctx.form.get("consent", "")
        quote = ctx.form.get("quote", "").strip()[:MAX_QUOTE]
        rating_text = ctx.form.get("rating", "")
        rating = int(rating_text) if rating_text.isdigit() and int(rating_text) in RATINGS else None
        if tag not in TAGS or consent not in CONSENTS or not quote or (rating_text and rating is None):
            return self._form(ctx, event, t("harvest.page.incomplete", ctx.language), 400)
        first = record_answer(ctx.db, event["event_id"], ctx.link.subject, rating, tag, quote, consent, ctx.now)
        return self._message(ctx, event, "harvest.page.done" if first else "harvest.page.again")

    def _when(self, ctx: PageContext, event: dict[str, Any]) -> str:
        return format_span(event["starts_at"], event["ends_at"], ZoneInfo(event["timezone"]), ctx.language)

    def _form(self, ctx: PageContext, event: dict[str, Any], notice: str, status: int = 200) -> PageReply:
        lang = ctx.language
        closes = event["closes_at"].astimezone(ZoneInfo(event["timezone"])).date().isoformat()
        return ctx.render("harvest_form.html", t("harvest.page.ask_title", lang, title=event["title"]), status,
                          when=self._when(ctx, event), notice=notice, closes=closes,
                          ratings=[(r, t(f"harvest.rating.{r}", lang)) for r in RATINGS],
                          tags=[(x, t(f"harvest.tag.{x}", lang)) for x in TAGS],
                          consents=[(c, t(f"harvest.consent.{c}", lang)) for c in CONSENTS],
                          form={k: ctx.form.get(k, "") for k in ("rating", "tag", "quote", "consent")})  # fmt: skip

    def _message(self, ctx: PageContext, event: dict[str, Any], key: str, status: int = 200) -> PageReply:
        lang = ctx.language
        message = t(key, lang, title=event["title"], when=self._when(ctx, event))
        return ctx.render("_message.html", t("harvest.page.ask_title", lang, title=event["title"]), status,
                          message=message, other="")  # fmt: skip


register(HarvestPage())
