"""My details: a member's own page, `/l/my-details/<token>` (the token names the member, nothing else).

GET shows, in the member's language, what the network holds about them (their fields as the last member-sync
recorded them, with any change still waiting for the next sync) and a form with the fields they may change
(`[members] self_service`, those the members tab maps). POST stores each changed field with its time
(`weaver.state.self_service`); member-sync writes it into the sheet, only into those columns, and settles it
(a coordinator's later edit wins; a conflict is reported, never silently overwritten).

Every form carries its own signed form token (purpose `my-details-form`, for this member only, valid a day):
a POST is accepted once per form, so a replayed or resubmitted form changes nothing and says so. A forged or
foreign page link never reaches this page (the receiver refuses it), and a form token made for another
member, another network or another purpose is refused here.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from deployments.pages import PageContext, PageReply, refusal, register
from weaver.i18n import field_label, t
from weaver.links import BadLink
from weaver.state.links import first_use, link_use
from weaver.state.self_service import edit_rows, record_edits

PURPOSE = "my-details"
FORM_PURPOSE = "my-details-form"
FORM_HOURS = 24
SHOWN = ("name", "email", "organisation", "org_type", "region", "language", "interests", "needs", "offers",
         "asks_offers", "phone", "timezone", "joined")  # fmt: skip
LANGUAGE_CHOICES = ("zh", "en")
MAX_VALUE = 500  # characters per field: a page, not a document


def editable(ctx: PageContext) -> list[str]:
    cfg = ctx.ws.config.members
    return [f for f in cfg.self_service if f in cfg.columns]


def holdings(ctx: PageContext, member: dict[str, Any]) -> dict[str, str]:
    """The member's fields as the network holds them, with their changes still waiting for the next sync."""
    fields = {k: str(v) for k, v in (member.get("fields") or {}).items()}
    for e in edit_rows(ctx.db, ("pending",), member_id=ctx.link.subject):
        fields[e["field"]] = str(e["value"])
    return fields


class MyDetailsPage:
    purpose = PURPOSE

    def get(self, ctx: PageContext) -> PageReply:
        member = ctx.member()
        if member is None or member.get("status") != "active":
            return refusal(ctx.ws.config.network.name, ctx.language)
        return self._form(ctx, member, ctx.language)

    def post(self, ctx: PageContext) -> PageReply:
        member = ctx.member()
        lang = ctx.language
        if member is None or member.get("status") != "active":
            return refusal(ctx.ws.config.network.name, lang)
        try:
            form = ctx.signer.verify(ctx.form.get("form", ""), FORM_PURPOSE, ctx.now)
        except BadLink:
            return refusal(ctx.ws.config.network.name, lang)
        if form.subject != ctx.link.subject:  # a form token of another member
            return refusal(ctx.ws.config.network.name, lang)
        now = holdings(ctx, member)
        changes = {}
        for name in editable(ctx):
            if name not in ctx.form:
                continue
            value = " ".join(ctx.form[name].split())[:MAX_VALUE]
            if name == "language" and value not in LANGUAGE_CHOICES:
                continue
            if value != now.get(name, ""):
                changes[name] = value
        if not first_use(ctx.db, form.id, FORM_PURPOSE, form.subject, "", ctx.now, {"changes": changes}):
            earlier = (link_use(ctx.db, form.id) or {}).get("outcome", {}).get("changes", {})
            return self._saved(ctx, member, lang, earlier, again=True)
        if changes:
            record_edits(ctx.db, form.id, ctx.link.subject, changes, ctx.now)
        reply_lang = changes.get("language", lang) if changes.get("language") in LANGUAGE_CHOICES else lang
        return self._saved(ctx, member, reply_lang, changes, again=False)

    # pages ------------------------------------------------------------------------------------------------
    def _form(self, ctx: PageContext, member: dict[str, Any], lang: str) -> PageReply:
        fields = holdings(ctx, member)
        nonce = secrets.token_urlsafe(12)
        token = ctx.signer.token(FORM_PURPOSE, ctx.link.subject, nonce, ctx.now + timedelta(hours=FORM_HOURS))
        shown = [(field_label(k, lang), fields[k]) for k in SHOWN if fields.get(k)]
        inputs = [{"name": k, "label": field_label(k, lang), "value": fields.get(k, ""),
                   "choices": [(c, t(f"details.lang.{c}", lang)) for c in LANGUAGE_CHOICES] if k == "language"
                   else None} for k in editable(ctx)]  # fmt: skip
        return ctx.render("my_details.html", t("details.title", lang), shown=shown, inputs=inputs, form=token,
                          intro=t("details.intro", lang), held=t("details.held", lang), save=t("details.save", lang),
                          change=t("details.change", lang), note=t("details.note", lang))  # fmt: skip

    def _saved(self, ctx: PageContext, member: dict[str, Any], lang: str, changes: dict[str, str],
               again: bool) -> PageReply:  # fmt: skip
        from deployments.pages import render

        if again:
            message = t("details.again", lang)
        elif changes:
            listed = "; ".join(f"{field_label(k, lang)}: {v}" for k, v in changes.items())
            message = t("details.saved", lang, changes=listed)
        else:
            message = t("details.unchanged", lang)
        network = ctx.ws.config.network.name
        return render("_message.html", lang, t("details.title", lang), network, message=message, other="")


register(MyDetailsPage())
