"""event-harvest, the harvest page (pure): one self-contained HTML page per event and language.

What the event harvested: who came and answered (counts), the average rating, the insights by tag, and the
quotes members consented to share, with their name or without it as they chose. Names, never ids; a quote
its author did not consent to share is counted, never shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from tasks.events.messages import format_span
from tasks.harvest.harvest import TAGS, Finished
from weaver.i18n import t

CSS = """body{margin:0;background:#f4f6f8;color:#1f2933;font:16px/1.6 -apple-system,"Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei","Segoe UI",sans-serif}main{max-width:46rem;margin:0 auto;background:#fff;padding:1.5rem 2rem}
h1{font-size:1.5rem;color:#0b5d43;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.tiles{display:flex;flex-wrap:wrap;gap:.75rem}.tile{border:1px solid #e4e7eb;border-radius:6px;padding:.5rem 1rem}
.tile b{display:block;font-size:1.4rem;color:#0b5d43}table{border-collapse:collapse}td,th{padding:.25rem .75rem;
border-bottom:1px solid #e4e7eb;text-align:left}blockquote{margin:.75rem 0;padding:.5rem 1rem;border-left:4px solid
#0b5d43;background:#f7faf9}blockquote footer{color:#52606d;font-size:.9rem}.note{color:#52606d;font-size:.9rem}
@page{size:A4;margin:16mm}"""


def member_name(member: Mapping[str, Any]) -> str:
    fields = member.get("fields") or {}
    email = str(member.get("email") or fields.get("email") or "")
    return str(fields.get("name") or "").strip() or email.partition("@")[0]


def harvest_page(f: Finished, names: Mapping[str, str], network: str, lang: str) -> str:
    """The page; `names` are the answering members' names (by member id)."""
    answers = f.answers
    rated = [a.rating for a in answers if a.rating]
    average = f"{sum(rated) / len(rated):.1f}" if rated else "–"
    tiles = [
        (t("harvest.page.came", lang), str(len(f.attendees))),
        (t("harvest.page.answered", lang), str(len(answers))),
        (t("harvest.page.rating", lang), average),
    ]
    tags = Counter(a.tag for a in answers)
    tag_rows = "".join(f"<tr><td>{escape(t(f'harvest.tag.{tag}', lang))}</td><td>{tags[tag]}</td></tr>"
                       for tag in TAGS if tags[tag])  # fmt: skip
    shared = [a for a in answers if a.shareable]
    quotes = []
    for tag in TAGS:
        for a in (a for a in shared if a.tag == tag):
            who = names.get(a.member_id, "") if a.consent == "name" else t("harvest.page.anonymous", lang)
            quotes.append(f"<blockquote><p>{escape(a.quote.strip())}</p><footer>{escape(who)} · "
                          f"{escape(t(f'harvest.tag.{tag}', lang))}</footer></blockquote>")  # fmt: skip
    kept = len(answers) - len(shared)
    when = format_span(f.start, f.end, ZoneInfo(f.timezone), lang)
    status = t(f"harvest.status.{f.status}", lang)
    body = [
        f"<h1>{escape(t('harvest.page.title', lang, title=f.title))}</h1>",
        f"<p>{escape(when)} · {escape(status)}</p>",
        '<div class="tiles">'
        + "".join(f'<div class="tile"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in tiles)
        + "</div>",
        f"<h2>{escape(t('harvest.page.by_tag', lang))}</h2>",
        f"<table><tr><th>{escape(t('harvest.page.tag', lang))}</th><th>{escape(t('harvest.page.count', lang))}</th>"
        f"</tr>{tag_rows}</table>",
        f"<h2>{escape(t('harvest.page.quotes', lang))}</h2>",
        "".join(quotes) or f'<p class="note">{escape(t("harvest.page.no_quotes", lang))}</p>',
    ]
    if kept:
        body.append(f'<p class="note">{escape(t("harvest.page.kept", lang, n=kept))}</p>')
    html_lang = "zh-Hans" if lang == "zh" else "en"
    title = escape(t("harvest.page.title", lang, title=f.title))
    return (f'<!doctype html>\n<html lang="{html_lang}"><head><meta charset="utf-8"><title>{title} · '
            f"{escape(network)}</title><style>{CSS}</style></head><body><main>{''.join(body)}"
            f'<p class="note">{escape(network)}</p></main></body></html>\n')  # fmt: skip
