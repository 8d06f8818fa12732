"""The approvers' preview of a paused send: `/l/approval-preview/<token>`, linked from the approval notice.

The token names the pause (`<flow run id>:<digest of the send>`, never a person) and expires a day after the
pause would time out. GET shows, per message waiting, the recipient's name, the subject, the language and the
template, in the network's language (`?lang=` for the other); the decision itself is made on the paused run
in the Prefect UI, so this page changes nothing (POST shows the same).
"""

from __future__ import annotations

from deployments.pages import PageContext, PageReply, register, render
from tasks.common.approval_notice import LINK_PURPOSE
from weaver.i18n import LANGUAGES, t
from weaver.state.approvals import approval_preview


class ApprovalPreviewPage:
    purpose = LINK_PURPOSE

    def get(self, ctx: PageContext) -> PageReply:
        chosen = ctx.query.get("lang", "")
        lang = chosen if chosen in LANGUAGES else ctx.ws.config.network.default_language
        found = approval_preview(ctx.db, ctx.link.subject)
        network = ctx.ws.config.network.name
        if found is None:
            return render("approval_preview.html", lang, t("approval.page.gone", lang), network, gone=True)
        title = t("approval.page.title", lang, flow=found["flow"])
        return render("approval_preview.html", lang, title, network, gone=False, rows=found["rows"],
                      recipients=found["recipients"])  # fmt: skip

    def post(self, ctx: PageContext) -> PageReply:
        return self.get(ctx)


register(ApprovalPreviewPage())
