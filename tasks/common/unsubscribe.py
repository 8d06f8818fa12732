"""Member mail versus staff mail, topics, and what every email to a member carries to let them leave.

A message with a `member_id` is member mail; one without (a weaver's digest, an owner's grant digest, the
coordinator's lists) is staff mail: it goes to people because of their role, carries no unsubscribe and is
never held back by a member's preferences. Every member email gets, in `Operation.send` before the ledger
records it (so a resend is the same message):

- `List-Unsubscribe: <https://.../l/unsubscribe/TOKEN>, <mailto:from?subject=unsubscribe>` and
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058: the mailbox provider's Unsubscribe button
  POSTs to the https address, no browser involved), and `List-Id` (RFC 2919: lets mail clients and filters
  recognise the network's mail);
- a footer in the member's language: the network's postal address (`[network] postal_address`) and the link
  to the preference page, where a member turns topics off, picks their language, or leaves altogether.

The token is the shared personal link (`weaver.links`, purpose `unsubscribe`), one per member, never
expiring: rotating the link key revokes them all.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import replace

from connectors.mail import Message
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.links import LinkSigner, link_secret, link_url
from weaver.state import StateDB

LINK_PURPOSE = "unsubscribe"
TOPICS = ("newsletter", "events", "surveys", "introductions")  # introductions covers groups too
# With [mailchimp], a topic a member turned off is pushed to the audience as the tag "topic-off:<topic>", and a
# campaign of that topic excludes the tag's static segment (Mailchimp sends campaigns, not our delivery path)
TOPIC_OFF_TAG = "topic-off:"


def topic_off_tag(topic: str) -> str:
    return f"{TOPIC_OFF_TAG}{topic}"


_TOPIC_OF = {
    "newsletter": "newsletter",
    "event_invite": "events",
    "event_update": "events",
    "event_reminder": "events",
    "event_cancel": "events",
    "survey-invite": "surveys",
    "survey-reminder": "surveys",
    "introduction": "introductions",
    "intro_followup": "introductions",
    "group_assignment": "introductions",
    "match_introduction": "introductions",
    "match_followup": "introductions",
    "asks_offers_digest": "introductions",
}  # anything else a member gets answers something they did (a seat, a receipt, a welcome): no topic


def topic_of(message: Message) -> str:
    """The topic a member can turn off for this message, or "" (staff mail, replies to the member)."""
    return _TOPIC_OF.get(message.purpose, "") if message.member_id else ""


def is_member_mail(message: Message) -> bool:
    return message.member_id is not None


def list_id(config: WeaverConfig) -> str:
    """RFC 2919 List-Id: `<members.DOMAIN>` from the sender's address (ASCII, stable across renames)."""
    domain = config.mail.from_address.rpartition("@")[2] or "localhost"
    return f"<members.{domain.lower()}>"


def with_unsubscribe(messages: Sequence[Message], config: WeaverConfig, url_for: Callable[[str], str],
                     details_for: Callable[[str], str] | None = None) -> list[Message]:  # fmt: skip
    """Every member message with its unsubscribe headers and footer; staff messages as they are.

    `url_for(member_id)` is the member's preference/unsubscribe link (`weaver.links.link_url`); with
    `details_for(member_id)`, the footer also links the member's own "my details" page."""
    mailto = f"mailto:{config.mail.from_address}?subject=unsubscribe"
    out = []
    for message in messages:
        if not is_member_mail(message) or "List-Unsubscribe-Post" in message.headers:
            out.append(message)
            continue
        assert message.member_id is not None
        url = url_for(message.member_id)
        headers = {
            **message.headers,
            "List-Unsubscribe": f"<{url}>, <{mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": list_id(config),
        }
        details = details_for(message.member_id) if details_for is not None else ""
        text, page = footer(message.language, url, config.network.postal_address, details)
        out.append(replace(message, headers=headers, text=message.text.rstrip("\n") + "\n\n" + text,
                           html=_before_body_end(message.html, page)))  # fmt: skip
    return out


def signed_member_mail(messages: Sequence[Message], db: StateDB, config: WeaverConfig, where: str,
                       dry_run: bool = False) -> list[Message]:  # fmt: skip
    """`with_unsubscribe` with the workspace's link key: each member's own signed preference and details links.

    Every path that mails members goes through here (`Operation.send`, the demo's seeded past), so no member
    email leaves without its way out."""
    if not any(m.member_id for m in messages):
        return list(messages)
    secret, _ = link_secret(db, config, dry_run, where)
    signer = LinkSigner(secret)
    return with_unsubscribe(
        messages,
        config,
        lambda m: link_url(config, LINK_PURPOSE, signer.token(LINK_PURPOSE, m)),
        lambda m: link_url(config, "my-details", signer.token("my-details", m)),  # the member's own page
    )


def footer(language: str, url: str, postal_address: str, details_url: str = "") -> tuple[str, str]:
    """The member footer: (text, html); with `details_url`, a link to the member's own details page too."""
    lang = language if language in ("zh", "en") else "en"
    why, leave, mine = t("mail.footer.why", lang), t("mail.footer.unsubscribe", lang), t("mail.footer.details", lang)
    lines = ["--", why] + ([postal_address] if postal_address else []) + [f"{leave}: {url}"]
    lines += [f"{mine}: {details_url}"] if details_url else []
    address = f"{html.escape(postal_address)}<br>" if postal_address else ""
    if details_url:
        address += f'<a href="{html.escape(details_url)}" style="color:#7b8794">{html.escape(mine)}</a><br>'

    page = (
        '<p class="unsubscribe" style="font-size:12px;color:#7b8794;margin:16px auto;max-width:600px;'
        f'padding:0 24px">{html.escape(why)}<br>{address}<a href="{html.escape(url)}" style="color:#7b8794">'
        f"{html.escape(leave)}</a></p>"
    )
    return "\n".join(lines) + "\n", page


def _before_body_end(page: str, block: str) -> str:
    at = page.rfind("</body>")
    return page + block if at < 0 else page[:at] + block + page[at:]
