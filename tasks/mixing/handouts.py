"""group-mixer, what people read (pure): each participant's email and the printable table cards.

Both name people and the event by its title, never by an id: they are for the participants and the tables.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from connectors.mail import Message
from tasks.common.attendance import Event
from tasks.common.messages import render
from tasks.mixing.mix import Mix
from weaver.config import WeaverConfig
from weaver.i18n import t
from weaver.models import split_list


def digest(text: str) -> str:
    """A short stable hash: keys that change exactly when what they stand for changes."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _interests(fields: Mapping[str, Any]) -> list[str]:
    return list(split_list(str(fields.get("interests", ""))))


def shared_interests(member_id: str, others: Sequence[str], members: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Other member -> the interests they share with `member_id` (case-insensitive), for introductions."""
    mine = {i.casefold(): i for i in _interests(members[member_id])}
    out = {}
    for other in others:
        common = [i for i in _interests(members[other]) if i.casefold() in mine]
        out[other] = ", ".join(common)
    return out


def table_topics(people: Sequence[str], members: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Interests two or more people at the table share: conversation starters for the card."""
    counts = Counter(i.casefold() for m in people for i in {x.casefold(): x for x in _interests(members[m])})
    names = {i.casefold(): i for m in people for i in _interests(members[m])}
    return [names[k] for k, n in counts.most_common() if n > 1][:4]


def participant_messages(event: Event, result: Mix, members: Mapping[str, Mapping[str, Any]], config: WeaverConfig,
                         lang: str, title: str = "") -> list[Message]:  # fmt: skip
    """One email per participant: their group in each round, the others' names and shared interests.

    The event is named by its title (without one, by its date alone): the id is ours, not theirs."""
    out = []
    for member_id in event.attendees:
        fields = members[member_id]
        rounds = []
        for r, groups in enumerate(result.rounds):
            g, people = next((g, p) for g, p in enumerate(groups) if member_id in p)
            others = [m for m in people if m != member_id]
            shared = shared_interests(member_id, others, members)
            rounds.append({"round": r + 1, "group": g + 1, "mates": [
                {"name": members[m].get("name", ""), "organisation": members[m].get("organisation", ""),
                 "shared": shared[m], "facilitator": m in event.facilitators} for m in others]})  # fmt: skip
        context = {"network_name": config.network.name, "name": fields.get("name", ""), "event_title": title,
                   "event_date": event.day.isoformat(), "rounds": rounds}  # fmt: skip
        rendered = render("group_assignment", str(fields.get("language", "")), context,
                          config.network.default_language)  # fmt: skip
        mine = digest(repr([r["group"] for r in rounds]) + repr([[m["name"] for m in r["mates"]] for r in rounds]))
        out.append(Message(f"email:groups:{event.event_id}:{member_id}:{mine}", str(fields.get("email", "")),
                           str(fields.get("name", "")), rendered.subject, rendered.text, rendered.html,
                           rendered.language, member_id, "group_assignment"))  # fmt: skip
    return out


def table_cards(event: Event, result: Mix, members: Mapping[str, Mapping[str, Any]], network: str, lang: str,
                title: str = "") -> str:  # fmt: skip
    """Printable cards, one per table and round (two to a page): names, organisations, the facilitator
    marked, and the interests the table shares. They carry names: they are for the tables, not for filing."""
    esc = html.escape
    cards = []
    for r, groups in enumerate(result.rounds):
        for g, people in enumerate(groups):
            ordered = sorted(people, key=lambda m: (m not in event.facilitators, str(members[m].get("name", ""))))
            items = "".join(
                f"<li>{'★ ' if m in event.facilitators else ''}<b>{esc(str(members[m].get('name', '')))}</b>"
                f"<span>{esc(str(members[m].get('organisation', '')))}</span></li>"
                for m in ordered
            )
            topics = ", ".join(table_topics(people, members))
            talk = f"<p class=topics>{esc(t('mix.card.topics', lang))}: {esc(topics)}</p>" if topics else ""
            table = t("mix.card.title", lang, round=r + 1, group=g + 1)
            cards.append(f"<section class=card><h2>{esc(table)}</h2><ul>{items}</ul>{talk}</section>")
    head = esc(t("mix.card.heading", lang, event=title or event.event_id, date=event.day.isoformat()))
    return (f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8"><title>{head}</title>'
            f"<style>{_CARD_CSS}</style></head><body><p class=head>{esc(network)} · {head}</p>"
            f"{''.join(cards)}<p class=legend>★ {esc(t('mix.role.facilitator', lang))}</p></body></html>")  # fmt: skip


_CARD_CSS = (
    "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;margin:0;color:#1f2933}"
    ".head,.legend{color:#627d98;margin:1rem}.card{border:2px solid #0b6e4f;border-radius:12px;margin:1rem;"
    "padding:1rem 1.5rem;page-break-inside:avoid;break-inside:avoid;min-height:40vh}"
    ".card h2{font-size:2rem;color:#0b6e4f;margin:0 0 .5rem}.card ul{list-style:none;padding:0;font-size:1.3rem}"
    ".card li{margin:.3rem 0}.card li span{color:#627d98;margin-left:.6rem;font-size:1rem}"
    ".topics{font-size:1.1rem}@media print{.card:nth-of-type(2n){page-break-after:always}}"
)
