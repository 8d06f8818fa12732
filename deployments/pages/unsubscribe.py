"""The preference page behind every member email's unsubscribe link: `/l/unsubscribe/<token>`.

GET shows, in the member's language, the topics they receive (newsletter, events, surveys, introductions and
groups) and the language of our emails, and a button to leave altogether. POST acts at once:

- RFC 8058 one-click (`List-Unsubscribe=One-Click`, POSTed by the mailbox provider, no browser) and the
  "unsubscribe from everything" button put the address on the suppression list (reason "unsubscribed",
  source "link"): no flow emails it any more, and the next member-sync writes "unsubscribed" into the sheet's
  consent column (and so unsubscribes the contact in Mailchimp when [mailchimp] is set);
- saving the form records the topics turned off and the language (`weaver.state.preferences`), which the
  central consent check applies to the next send; ticking a topic after leaving by this link subscribes
  again (only an unsubscribe made here is lifted: a bounce or a Mailchimp unsubscribe stays).

Nothing here logs an address; a token names a member id only.
"""

from __future__ import annotations

from typing import Any

from deployments.pages import PageContext, PageReply, register
from tasks.common.delivery import suppress
from tasks.common.unsubscribe import LINK_PURPOSE, TOPICS
from weaver.i18n import LANGUAGES, t
from weaver.state.preferences import lift_own_unsubscribe, preferences_of, save_preferences, suppression_of
from weaver.state.self_service import record_edits


class PreferencePage:
    purpose = LINK_PURPOSE

    def get(self, ctx: PageContext, notice: str = "") -> PageReply:
        member = ctx.member()
        lang = ctx.language
        if member is None or not member.get("email"):
            return ctx.render("_message.html", t("prefs.title", lang), message=t("prefs.unknown", lang), other="")
        prefs = preferences_of(ctx.db, [member["member_id"]]).get(member["member_id"]) or {}
        off = set(prefs.get("topics_off") or ())
        entry = suppression_of(ctx.db, str(member["email"]).lower())
        unsubscribed = entry is not None and entry["source"] == "link"
        chosen = prefs.get("language") or str((member.get("fields") or {}).get("language") or "") or lang
        values: dict[str, Any] = {
            "notice": notice or (t("prefs.unsubscribed", lang) if unsubscribed else ""),
            "blocked": entry is not None and not unsubscribed,
            "unsubscribed": unsubscribed,
            "topics": [
                {"name": n, "label": t(f"prefs.topic.{n}", lang), "on": not unsubscribed and n not in off}
                for n in TOPICS
            ],  # fmt: skip
            "languages": [
                {"code": code, "label": t(f"prefs.language.{code}", lang), "chosen": code == chosen}
                for code in LANGUAGES
            ],  # fmt: skip
        }
        return ctx.render("preferences.html", t("prefs.title", lang), **values)

    def post(self, ctx: PageContext) -> PageReply:
        member = ctx.member()
        if member is None or not member.get("email"):
            return self.get(ctx)
        email = str(member["email"]).lower()
        one_click = ctx.form.get("List-Unsubscribe", "") == "One-Click"
        if one_click or ctx.form.get("action") == "unsubscribe":
            suppress(ctx.db, email, "unsubscribed", "link")
            return self.get(ctx, t("prefs.unsubscribed", ctx.language))
        chosen = {name for name in ctx.form.get("topic", "").split("\n") if name in TOPICS}
        language = ctx.form.get("language", "")
        language = language if language in LANGUAGES else ""
        save_preferences(ctx.db, member["member_id"], [n for n in TOPICS if n not in chosen], language, ctx.now)
        if language and language != str((member.get("fields") or {}).get("language") or ""):
            # a change of language reaches the sheet's language column (and so every later email) at the next
            # member-sync, as a change on "my details" does: written into the member's own cell, conflicts shown
            record_edits(ctx.db, f"prefs:{member['member_id']}:{ctx.now.isoformat()}", member["member_id"],
                         {"language": language}, ctx.now)  # fmt: skip
        if chosen:
            lift_own_unsubscribe(ctx.db, email)
        return self.get(ctx, t("prefs.saved", ctx.language))


register(PreferencePage())
