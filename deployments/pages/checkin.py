"""The check-in page: `/l/checkin/<token>`, each invitee's personal link in their invitation and reminder.

The token is for the invitee (`subject`) and one event (`scope` = the event id). Opening the link shows the
event and one button (a GET never changes anything: mail scanners open links); pressing it checks the member
in, recorded at once in the state database (`weaver.state.checkins`); the next event-invites run writes it to
the Attendance tab. A replay changes nothing and says "already checked in". A token for an event that
event-invites never invited this member to, or for a cancelled or unknown event, gets the plain refusal,
like a forged or foreign one.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from deployments.pages import PageContext, PageReply, refusal, register
from tasks.events.messages import CHECKIN, format_span
from weaver.i18n import t
from weaver.state import ledger_keys_like
from weaver.state.checkins import checkin_event, checkin_of, record_checkin


class CheckinPage:
    purpose = CHECKIN

    def _event(self, ctx: PageContext) -> dict[str, Any] | None:
        """The event this link may check into: known, scheduled, and this member was invited to it."""
        event_id, member_id = ctx.link.scope, ctx.link.subject
        event = checkin_event(ctx.db, event_id) if event_id else None
        if event is None or event["status"] != "scheduled":
            return None
        if not ledger_keys_like(ctx.db, [f"invite:{event_id}:{member_id}:"]):
            return None
        return event

    def _when(self, ctx: PageContext, event: dict[str, Any]) -> str:
        return format_span(event["starts_at"], event["ends_at"], ZoneInfo(event["timezone"]), ctx.language)

    def get(self, ctx: PageContext) -> PageReply:
        event = self._event(ctx)
        if event is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        if checkin_of(ctx.db, event["event_id"], ctx.link.subject) is not None:
            return self._done(ctx, event, again=True)
        lang = ctx.language
        title = t("event_checkin.title", lang, title=event["title"])
        return ctx.render("check_in.html", title, when=self._when(ctx, event),
                          question=t("event_checkin.ask", lang), button=t("event_checkin.button", lang))  # fmt: skip

    def post(self, ctx: PageContext) -> PageReply:
        event = self._event(ctx)
        if event is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        first = record_checkin(ctx.db, event["event_id"], ctx.link.subject, ctx.now)
        return self._done(ctx, event, again=not first)

    def _done(self, ctx: PageContext, event: dict[str, Any], again: bool) -> PageReply:
        lang, title, when = ctx.language, event["title"], self._when(ctx, event)
        if again:
            message = t("event_checkin.again", lang, title=title, when=when)
        else:
            message = t("event_checkin.done", lang, title=title, when=when)
        return ctx.render("_message.html", t("event_checkin.title", lang, title=title), message=message, other="")


register(CheckinPage())
