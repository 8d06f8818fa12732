"""The confirm page of a join (double opt-in): `/l/confirm-join/<token>`, linked from the confirm email.

The token names the join's inbox id (never an address) and expires with the request (`[members]
confirm_within_days`). GET only shows the question and a button, so a mail scanner that opens every link
confirms nothing; the POST of the button confirms, once: it stamps the request and queues the
`confirmed:<entry>` inbox entry that the receiver's dispatcher turns into a member-intake run, which adds the
person to the members tab, syncs them and welcomes them. A second use, a late use (the request expired) or a
token for a request we do not hold confirms nothing and says so. A forged token, one of another network or
another purpose, never reaches this page (the receiver answers 403).

The page speaks the language the person chose on the form (else the network's); `?lang=` overrides it.
"""

from __future__ import annotations

from deployments.pages import PageContext, PageReply, register, render
from tasks.common.text import LANGUAGES as SPELLINGS
from weaver.i18n import LANGUAGES, t
from weaver.state.optin import ALREADY, CONFIRMED, LINK_PURPOSE, TOO_LATE, confirm_join, confirmations_of
from weaver.state.submissions import inbox_get


def _notice(outcome: str, lang: str) -> str:
    if not outcome:
        return ""
    if outcome == CONFIRMED:
        return t("optin.confirmed", lang)
    return t("optin.already", lang) if outcome == ALREADY else t("optin.too_late", lang)


class ConfirmJoinPage:
    purpose = LINK_PURPOSE

    def get(self, ctx: PageContext, outcome: str = "") -> PageReply:
        lang = self._language(ctx)
        network = ctx.ws.config.network.name
        if not outcome:
            row = confirmations_of(ctx.db, [ctx.link.subject]).get(ctx.link.subject)
            if row is None:
                outcome = TOO_LATE
            elif row["confirmed_at"] is not None:
                outcome = ALREADY
            elif row["expired_at"] is not None or row["expires_at"] <= ctx.now:
                outcome = TOO_LATE
        days = ctx.ws.config.members.confirm_within_days
        values = {
            "notice": _notice(outcome, lang),
            "ask": "" if outcome else t("optin.ask", lang, network=network),
            "ignore": t("optin.ignore", lang, days=days),
        }
        return render("confirm_join.html", lang, t("optin.title", lang), network, **values)

    def post(self, ctx: PageContext) -> PageReply:
        outcome = confirm_join(ctx.db, ctx.link.subject, ctx.now)
        return self.get(ctx, outcome)

    @staticmethod
    def _language(ctx: PageContext) -> str:
        chosen = ctx.query.get("lang", "")
        if chosen in LANGUAGES:
            return chosen
        entry = inbox_get(ctx.db, ctx.link.subject) or {}
        fields = (entry.get("payload") or {}).get("fields") or {}
        spoken = SPELLINGS.get(str(fields.get("language") or "").strip().lower(), "")
        return spoken or ctx.ws.config.network.default_language


register(ConfirmJoinPage())
