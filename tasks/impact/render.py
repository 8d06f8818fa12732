"""impact-report, pure: the report page and the funders' one-page fact sheet, in Chinese or English.

Both pages are self-contained HTML (inline CSS and SVG, no script, no remote file), laid out for the screen and
for A4 paper (Chromium prints them to PDF). They carry names only where the network's own people read them
(the report names brokers); the fact sheet is for funders and names nobody. Neither page shows a date or time
of the run: the same records give the same pages, so a rerun writes nothing new.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from tasks.impact.figures import Figures
from tasks.impact.network import NetworkMetrics
from weaver.charts import bar_chart, percent
from weaver.i18n import t

FONT = "'Noto Sans CJK SC','Noto Sans',system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif"
CSS = (
    f"body{{font-family:{FONT};max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2933;line-height:1.45}}"
    "h1{font-size:1.7rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .4rem;border-bottom:2px solid #0b6e4f}"
    "table{border-collapse:collapse;margin:.6rem 0}th,td{border:1px solid #d9e2ec;padding:.3rem .6rem;"
    "text-align:left;vertical-align:top}th{background:#f0f4f8}.sub{color:#627d98}"
    ".tiles{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0}.tile{border:1px solid #d9e2ec;border-radius:6px;"
    "padding:.5rem .8rem;min-width:8.5rem}.tile b{display:block;font-size:1.5rem;color:#0b6e4f}"
    ".up{color:#0b6e4f}.down{color:#b42318}figure{margin:.8rem 0}"
    "@page{size:A4;margin:14mm}@media print{body{margin:0;max-width:none}h2{break-after:avoid}"
    "figure,table{break-inside:avoid}}"
)
SHEET_CSS = CSS + (
    ".sheet{font-size:.92rem}.sheet h1{font-size:1.4rem}.sheet h2{font-size:1rem;margin:.8rem 0 .3rem}"
    ".sheet .tile b{font-size:1.25rem}.sheet svg{max-width:100%;height:auto}"
)
MAP_LEGEND = ("member", "broker", "newcomer")  # texts impact.legend.<kind>
METRIC_KEYS = ("people", "ties", "components", "largest", "density", "clustering", "isolates")  # impact.n.<key>


def legend(lang: str) -> dict[str, str]:
    return {k: t(f"impact.legend.{k}", lang) for k in MAP_LEGEND}


def _page(title: str, body: str, lang: str, css: str = CSS, cls: str = "") -> str:
    return (f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width"><title>{escape(title)}</title>'
            f'<style>{css}</style></head><body class="{cls}">{body}</body></html>')  # fmt: skip


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}".rstrip("0").rstrip(".")


def _delta(value: float) -> str:
    if value == 0:
        return "±0"
    cls = "up" if value > 0 else "down"
    return f'<span class="{cls}">{"+" if value > 0 else "−"}{_num(abs(value))}</span>'


def _tiles(items: list[tuple[str, str]]) -> str:
    return '<div class="tiles">' + "".join(f'<div class="tile"><b>{escape(v)}</b>{escape(k)}</div>'
                                           for k, v in items) + "</div>"  # fmt: skip


def _table(headers: list[str], rows: list[list[str]], raw: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    cell = (lambda c: c) if raw else escape
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _rate(value: float | None) -> str:
    return "–" if value is None else percent(value)


def headline(fig: Figures, net: NetworkMetrics, lang: str) -> list[tuple[str, str]]:
    m = fig.members
    return [
        (t("impact.h.members", lang), _num(m.at_end)),
        (t("impact.h.joins", lang), _num(m.joins)),
        (t("impact.h.retention", lang), _rate(m.retention)),
        (t("impact.h.events", lang), _num(fig.events.held)),
        (t("impact.h.attendances", lang), _num(fig.events.attendances)),
        (t("impact.h.new_ties", lang), _num(fig.new_ties)),
        (t("impact.h.connected", lang), _rate(1 - net.isolates / net.people if net.people else None)),
    ]


def report_page(fig: Figures, net: NetworkMetrics, before: NetworkMetrics, change: Mapping[str, float],
                map_svg: str, names: Mapping[str, str], lang: str,
                stories: Sequence[tuple[str, str, str]] = ()) -> str:  # fmt: skip
    q, m = fig.quarter, fig.members
    title = t("impact.title", lang, network=fig.network_name, quarter=q.label)
    body = [f"<h1>{escape(title)}</h1>",
            f'<p class="sub">{escape(t("impact.period", lang, start=q.start.isoformat(), end=min(q.end, fig.today).isoformat()))}</p>',  # noqa: E501
            _tiles(headline(fig, net, lang))]  # fmt: skip
    # members
    body.append(f"<h2>{escape(t('impact.members', lang))}</h2>")
    rows = [[t("impact.m.at_start", lang), _num(m.at_start)], [t("impact.m.joins", lang), _num(m.joins)],
            [t("impact.m.leavers", lang), _num(m.leavers)], [t("impact.m.at_end", lang), _num(m.at_end)],
            [t("impact.m.retention", lang), _rate(m.retention)]]  # fmt: skip
    body.append(_table([t("impact.col.measure", lang), t("impact.col.value", lang)], rows))
    # engagement
    body.append(f"<h2>{escape(t('impact.engagement', lang))}</h2>")
    now, then = fig.engagement_now, fig.engagement_before
    rows = [[t(f"eng.reason.{k}", lang), _num(then.statuses[k]), _num(v), _delta(v - then.statuses[k])]
            for k, v in now.statuses.items()]  # fmt: skip
    rows += [[t("impact.e.band", lang, band=b), _num(then.bands[b]), _num(v), _delta(v - then.bands[b])]
             for b, v in now.bands.items()]  # fmt: skip
    average = [_num(then.average), _num(now.average), _delta(now.average - then.average)]
    rows.append([t("impact.e.average", lang), *average])
    heads = [t("impact.col.measure", lang), t("impact.col.before", lang), t("impact.col.now", lang),
             t("impact.col.change", lang)]  # fmt: skip
    body.append(_table(heads, [[escape(c) if i < 3 else c for i, c in enumerate(r)] for r in rows], raw=True))
    body.append("<figure>" + bar_chart([(t(f"eng.reason.{k}", lang), v) for k, v in now.statuses.items()],
                                       title=t("impact.e.chart", lang)) + "</figure>")  # fmt: skip
    # events
    ev = fig.events
    body.append(f"<h2>{escape(t('impact.events', lang))}</h2>")
    body.append(_tiles([(t("impact.h.events", lang), _num(ev.held)), (t("impact.h.attendances", lang),
                         _num(ev.attendances)), (t("impact.ev.people", lang), _num(ev.people)),
                        (t("impact.ev.rate", lang), _rate(ev.rate)), (t("impact.ev.feedback", lang),
                         _num(fig.feedback))]))  # fmt: skip
    rows = [[e.title, e.day.isoformat(), _num(e.attended), _num(e.expected)] for e in ev.lines]
    body.append(_table([t("impact.col.event", lang), t("impact.col.date", lang), t("impact.col.attended", lang),
                        t("impact.col.expected", lang)], rows))  # fmt: skip
    # ties
    body.append(f"<h2>{escape(t('impact.ties', lang))}</h2>")
    body.append(f"<p>{escape(t('impact.ties.note', lang))}</p>")
    rows = [[month, _num(met), _num(intro)] for month, met, intro in fig.ties_by_month]
    body.append(_table([t("impact.col.month", lang), t("impact.col.met", lang), t("impact.col.introduced", lang)],
                       rows))  # fmt: skip
    body.append("<figure>" + bar_chart([(month, met) for month, met, _ in fig.ties_by_month],
                                       title=t("impact.ties.chart", lang)) + "</figure>")  # fmt: skip
    # the map
    body.append(f"<h2>{escape(t('impact.map', lang))}</h2>")
    body.append(f"<figure>{map_svg}<figcaption class=sub>{escape(t('impact.map.caption', lang))}</figcaption></figure>")
    body.append(_metrics_table(net, before, change, lang))
    if net.brokers:
        rows = [[names.get(b) or "?", f"{c:.3f}"] for b, c in net.brokers]
        body.append(_table([t("impact.col.broker", lang), t("impact.col.betweenness", lang)], rows))
    if net.newcomers_unconnected:
        listed = "、".join if lang == "zh" else ", ".join
        who = listed(names.get(m) or "?" for m in net.newcomers_unconnected[:30])
        more = len(net.newcomers_unconnected) - 30
        body.append(f"<p>{escape(t('impact.unconnected', lang, who=who))}"
                    f"{escape(t('impact.more', lang, n=more)) if more > 0 else ''}</p>")  # fmt: skip
    # surveys
    body.append(f"<h2>{escape(t('impact.surveys', lang))}</h2>")
    if not fig.surveys:
        body.append(f"<p class=sub>{escape(t('impact.surveys.none', lang))}</p>")
    for s in fig.surveys:
        body.append(f"<h3>{escape(s.title)} <span class=sub>({escape(t('impact.answers', lang, n=s.responses))})"
                    f"</span></h3>")  # fmt: skip
        rows = [[q, a, percent(share)] for q, a, share in s.top]
        if rows:
            body.append(_table([t("impact.col.question", lang), t("impact.col.top_answer", lang),
                                t("impact.col.share", lang)], rows))  # fmt: skip
    # stories: only those their authors agreed to publish (the stories operation)
    body.append(f"<h2>{escape(t('stories.impact.heading', lang))}</h2>")
    if not stories:
        body.append(f"<p class=sub>{escape(t('stories.impact.none', lang))}</p>")
    for text, who, about in stories:
        cite = " · ".join(x for x in (who, about) if x)
        body.append(f'<blockquote class="story"><p>{escape(text)}</p><p class=sub>{escape(cite)}</p></blockquote>')
    return _page(title, "".join(body), lang)


def _metrics_table(net: NetworkMetrics, before: NetworkMetrics, change: Mapping[str, float], lang: str) -> str:
    rows = [[escape(t(f"impact.n.{k}", lang)), _num(getattr(before, k)), _num(getattr(net, k)), _delta(change[k])]
            for k in METRIC_KEYS]  # fmt: skip
    rows.append([escape(t("impact.n.newcomers_unconnected", lang)), _num(len(before.newcomers_unconnected)),
                 _num(len(net.newcomers_unconnected)), _delta(change["newcomers_unconnected"])])  # fmt: skip
    heads = [t("impact.col.measure", lang), t("impact.col.before", lang), t("impact.col.now", lang),
             t("impact.col.change", lang)]  # fmt: skip
    note = f"<p class=sub>{escape(t('impact.n.estimated', lang))}</p>" if net.estimated else ""
    return _table(heads, rows, raw=True) + note


def factsheet_page(fig: Figures, net: NetworkMetrics, change: Mapping[str, float], map_svg: str, lang: str) -> str:
    """One A4 page for funders: the headline figures, the map (no names), new ties per month."""
    q = fig.quarter
    title = t("impact.sheet.title", lang, network=fig.network_name, quarter=q.label)
    body = [f"<h1>{escape(title)}</h1>", _tiles(headline(fig, net, lang))]
    body.append(f"<h2>{escape(t('impact.map', lang))}</h2><figure>{map_svg}</figure>")
    lines = [t("impact.sheet.ties", lang, met=_num(fig.new_ties), introduced=_num(fig.introductions)),
             t("impact.sheet.network", lang, components=_num(net.components), largest=_num(net.largest),
               clustering=_num(net.clustering), change=_num(change["ties"])),
             t("impact.sheet.events", lang, held=_num(fig.events.held), people=_num(fig.events.people),
               rate=_rate(fig.events.rate))]  # fmt: skip
    body.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>")
    return _page(title, '<div class="sheet">' + "".join(body) + "</div>", lang, SHEET_CSS, "sheet")
