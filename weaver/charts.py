"""Tiny charts as inline SVG, for reports: no plotting library, no JavaScript, no files to ship.

Shared by every operation that charts something (survey answers, response rates, engagement ...). A chart is
a string of SVG markup to put in `Report.extra_html`; it renders in any browser and in mail clients that show
HTML, and its labels stay text (searchable, CJK included). Labels and titles are escaped here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from html import escape

_FONT = "system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif"
_CHAR_PX = 7.2  # average advance of a narrow glyph at 13px; wide (CJK) glyphs count twice
_MAX_LABEL_UNITS = 34


def text_units(text: str) -> int:
    """Display width in narrow-character units: 张伟 is 4, Ana is 3."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shorten(text: str, units: int = _MAX_LABEL_UNITS) -> str:
    """Cut a label to `units` display units, ending in an ellipsis when cut."""
    if text_units(text) <= units:
        return text
    out, used = "", 0
    for ch in text:
        width = text_units(ch)
        if used + width > units - 1:
            break
        out, used = out + ch, used + width
    return out + "…"


def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str = "",
    max_value: float | None = None,
    value_text: Callable[[float], str] | None = None,
    width: int = 560,
    bar_height: int = 20,
    color: str = "#0b6e4f",
) -> str:
    """A horizontal bar chart: one bar per (label, value), in the order given.

    Args:
        bars: (label, value) pairs; negative values are drawn as zero.
        title: Shown above the chart and read out by screen readers.
        max_value: The value of a full-width bar (e.g. 1.0 for rates); the largest value when omitted.
        value_text: How a value is written at the end of its bar (default: the number without '.0').
        width: Total width in pixels.
        bar_height: Height of one bar in pixels.
        color: Fill colour of the bars.
    """
    fmt = value_text or _number
    labels = [shorten(str(label)) for label, _ in bars]
    label_px = max([60.0] + [text_units(label) * _CHAR_PX + 12 for label in labels])
    value_px = max([40.0] + [text_units(fmt(v)) * _CHAR_PX + 10 for _, v in bars])
    plot_px = max(width - label_px - value_px, 40.0)
    top = 28 if title else 6
    gap = 6
    height = top + max(len(bars), 1) * (bar_height + gap) + 4
    full = max_value if max_value and max_value > 0 else max([v for _, v in bars] + [0]) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{_FONT}" font-size="13">',
        f"<title>{escape(title)}</title>",
    ]
    if title:
        parts.append(f'<text x="0" y="17" font-weight="600" fill="#1f2933">{escape(title)}</text>')
    if not bars:
        parts.append(f'<text x="0" y="{top + bar_height - 6}" fill="#7b8794">—</text>')
    for i, ((_, value), label) in enumerate(zip(bars, labels, strict=True)):
        y = top + i * (bar_height + gap)
        length = plot_px * min(max(value, 0.0) / full, 1.0)
        mid = y + bar_height / 2 + 4.5
        parts.append(f'<text x="{label_px - 8:.1f}" y="{mid:.1f}" text-anchor="end" fill="#1f2933">'
                     f"{escape(label)}</text>")  # fmt: skip
        parts.append(f'<rect x="{label_px:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" '
                     f'rx="2" fill="{escape(color)}"/>')  # fmt: skip
        parts.append(f'<text x="{label_px + length + 6:.1f}" y="{mid:.1f}" fill="#52606d">'
                     f"{escape(fmt(value))}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def percent(value: float) -> str:
    """0.456 -> '46%' (for `value_text` with rates)."""
    return f"{value * 100:.0f}%"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def with_unit(unit: str) -> Callable[[float], str]:
    """A `value_text` that writes thousands separators and a unit: 300000 -> '300,000 CNY'."""

    def fmt(value: float) -> str:
        shown = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
        return f"{shown} {unit}".strip()

    return fmt


def figure(svg: str, caption: str = "") -> str:
    """A chart in a <figure>, with an optional caption, for `Report.extra_html`."""
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure style="margin:1rem 0">{svg}{cap}</figure>'
