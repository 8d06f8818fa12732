"""The door: a QR code per event for walk-ins (`/l/door/<token>`), and the walk-in page it points to
(`/l/walkin/<token>`), where a member who came without their personal link checks in with their email.

Both tokens are for the door (`subject` = "door"), scoped to one event, and made by `weaver door-link EVENT`
for the coordinator who puts the page on a screen or prints it. The event must be one event-invites invited to
and is not cancelled (`weaver.state.checkins`). The walk-in page takes check-ins only from two hours before the
start to two hours after the end; an address is matched to an active member (normalised, as member-sync stores
it) and checked in once, like a personal link; an address that is no member's checks nobody in. The page gives
every address the same answer, naming no one: the door is open to anyone who sees the QR code, so it must not
tell who is a member (or show a member's name to whoever types their address). A GET never changes anything.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import segno

from deployments.pages import PageContext, PageReply, refusal, register
from tasks.common.text import normalise_email
from tasks.events.messages import format_span
from weaver.i18n import t
from weaver.state.checkins import active_member_by_email, checkin_event, record_checkin

DOOR, WALKIN, SUBJECT = "door", "walkin", "door"
WINDOW = timedelta(hours=2)  # walk-ins check in from this long before the start to this long after the end


def _event(ctx: PageContext) -> dict[str, Any] | None:
    if ctx.link.subject != SUBJECT or not ctx.link.scope:
        return None
    event = checkin_event(ctx.db, ctx.link.scope)
    return event if event is not None and event["status"] == "scheduled" else None


def _when(ctx: PageContext, event: dict[str, Any]) -> str:
    return format_span(event["starts_at"], event["ends_at"], ZoneInfo(event["timezone"]), ctx.language)


def walkin_url(ctx: PageContext, event: dict[str, Any]) -> str:
    expires = event["ends_at"] + timedelta(days=1)
    return ctx.url(WALKIN, ctx.signer.token(WALKIN, SUBJECT, event["event_id"], expires))


def qr_svg(url: str) -> str:
    """The QR code of `url` as inline SVG (error correction M: still reads with a smudge on a printout)."""
    return segno.make(url, error="m").svg_inline(scale=6, title=url)


class DoorPage:
    purpose = DOOR

    def get(self, ctx: PageContext) -> PageReply:
        event = _event(ctx)
        if event is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        url = walkin_url(ctx, event)
        return ctx.render("door_qr.html", t("door.title", ctx.language, title=event["title"]), when=_when(ctx, event),
                          qr=qr_svg(url), url=url)  # fmt: skip

    def post(self, ctx: PageContext) -> PageReply:
        return self.get(ctx)


class WalkinPage:
    purpose = WALKIN

    def get(self, ctx: PageContext) -> PageReply:
        event = _event(ctx)
        if event is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        return self._form(ctx, event, "")

    def post(self, ctx: PageContext) -> PageReply:
        event = _event(ctx)
        if event is None:
            return refusal(ctx.ws.config.network.name, ctx.language)
        lang = ctx.language
        if not event["starts_at"] - WINDOW <= ctx.now <= event["ends_at"] + WINDOW:
            return self._form(ctx, event, t("door.not_now", lang), 409)
        member = active_member_by_email(ctx.db, normalise_email(ctx.form.get("email", "")))
        if member is not None:
            record_checkin(ctx.db, event["event_id"], member["member_id"], ctx.now)  # once: a repeat changes nothing
        message = t("door.received", lang, title=event["title"])  # the same for a member, a repeat and a stranger
        return ctx.render("_message.html", t("door.title", lang, title=event["title"]), message=message, other="")

    def _form(self, ctx: PageContext, event: dict[str, Any], notice: str, status: int = 200) -> PageReply:
        lang = ctx.language
        return ctx.render("walk_in.html", t("door.title", lang, title=event["title"]), status, when=_when(ctx, event),
                          notice=notice)  # fmt: skip


register(DoorPage())
register(WalkinPage())
